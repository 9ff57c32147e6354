#!/usr/bin/env bash
# Large prompts: 2 MiB and 8 MiB prompts reach the model server intact (the
# gateway spills them to disk; the byte counts must match).
set -euo pipefail
# shellcheck source=tests/lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
e2e_init "$@"

start_one_pool 2

for mib in 2 8; do
    f="$E2E_TMP/prompt-$mib.json"
    {
        printf '{"model":"demo","prompt":"'
        head -c $((mib * 1024 * 1024)) /dev/zero | tr '\0' 'a'
        printf '"}'
    } >"$f"
    size="$(stat -c %s "$f")"
    out="$("${CURL[@]}" --max-time 60 -o /dev/null \
        -w '%{http_code} %header{x-mock-body-bytes} %header{x-mock-model}' \
        "http://127.0.0.1:$GW_PORT/v1/completions" -H 'content-type: application/json' \
        --data-binary @"$f")" || fail "$mib MiB request failed"
    assert_eq "200 $size demo" "$out" "$mib MiB prompt: status, bytes at the model server, model"
    note "$mib MiB prompt: $size bytes arrived"
done
