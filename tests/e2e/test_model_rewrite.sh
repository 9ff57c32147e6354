#!/usr/bin/env bash
# Model rewrite: dev-epp --rewrite-model demo=rewritten changes the body, and
# the model server receives model "rewritten" (small, 1, 4 and 8 MiB prompts:
# the bridge returns the rewritten body because /_epp_bridge asks for it).
set -euo pipefail
# shellcheck source=tests/lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
e2e_init "$@"

start_one_pool 1 --rewrite-model demo=rewritten

out="$(W=' %header{x-mock-model}' chat)" || fail "curl"
assert_eq "200 127.0.0.1:${MOCK_PORTS[0]} rewritten" "$out" "status, server, model received"

for mib in 1 4 8; do
    f="$E2E_TMP/prompt-$mib.json"
    {
        printf '{"model":"demo","prompt":"'
        head -c $((mib * 1024 * 1024)) /dev/zero | tr '\0' 'b'
        printf '"}'
    } >"$f"
    out="$("${CURL[@]}" --max-time 60 -o /dev/null \
        -w '%{http_code} %header{x-mock-model} %header{x-mock-body-bytes}' \
        "http://127.0.0.1:$GW_PORT/v1/completions" -H 'content-type: application/json' \
        --data-binary @"$f")" || fail "curl ($mib MiB)"
    read -r code model bytes <<<"$out"
    assert_eq "200 rewritten" "$code $model" "$mib MiB prompt: status, model received"
    ((bytes > mib * 1024 * 1024)) || fail "$mib MiB prompt: model server got only $bytes bytes"
    note "model rewritten ($mib MiB prompt, $bytes bytes)"
done
