#!/usr/bin/env bash
# EPP refusals: an ImmediateResponse from the EPP (429, 503) reaches the
# client with its status, headers and body.
set -euo pipefail
# shellcheck source=tests/lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
e2e_init "$@"

start_one_pool 1

for status in 429 503; do
    body="$E2E_TMP/body-$status"
    out="$("${CURL[@]}" -o "$body" \
        -w '%{http_code} %header{x-llm-d-request-dropped-reason} %header{content-type}' \
        "http://127.0.0.1:$GW_PORT/v1/chat/completions" -H 'content-type: application/json' \
        -H "x-dev-epp-fault: status=$status" \
        -d '{"model":"demo","messages":[{"role":"user","content":"hi"}]}')" || fail "curl ($status)"
    assert_eq "$status dev-epp text/plain" "$out" "EPP refusal: status, EPP header, content type"
    assert_contains "$(cat "$body")" "inference error" "EPP refusal body ($status)"
    note "EPP $status reached the client: $(head -c 80 "$body")"
done
