#!/usr/bin/env bash
# Model rewrite: dev-epp --rewrite-model demo=rewritten changes the body, and
# the model server receives model "rewritten" (small and 2 MiB prompts).
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init "$@"

start_one_pool 1 --rewrite-model demo=rewritten

out="$(W=' %header{x-mock-model}' chat)" || fail "curl"
assert_eq "200 127.0.0.1:${MOCK_PORTS[0]} rewritten" "$out" "status, server, model received"

f="$E2E_TMP/prompt.json"
{
    printf '{"model":"demo","prompt":"'
    head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' 'b'
    printf '"}'
} >"$f"
out="$("${CURL[@]}" --max-time 60 -o /dev/null -w '%{http_code} %header{x-mock-model} %header{x-mock-body-bytes}' \
    "http://127.0.0.1:$GW_PORT/v1/completions" -H 'content-type: application/json' \
    --data-binary @"$f")" || fail "curl (2 MiB)"
read -r code model bytes <<<"$out"
assert_eq "200 rewritten" "$code $model" "2 MiB prompt: status, model received"
((bytes > 2 * 1024 * 1024)) || fail "2 MiB prompt: model server got only $bytes bytes"
note "model rewritten (small and 2 MiB prompt, $bytes bytes)"
