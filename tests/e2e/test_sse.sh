#!/usr/bin/env bash
# SSE: a streamed completion reaches the client chunk by chunk (5 chunks
# sent 200 ms apart must arrive spread over at least 500 ms), ending [DONE].
set -euo pipefail
# shellcheck source=tests/lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
e2e_init "$@"

start_one_pool 1

times=()
chunks=0
done_seen=""
while IFS= read -r line; do
    line="${line%$'\r'}"
    case "$line" in
        "data: [DONE]") done_seen=1 ;;
        data:*) chunks=$((chunks + 1)); times+=("${EPOCHREALTIME/./}") ;;
    esac
done < <("${CURL[@]}" -N "http://127.0.0.1:$GW_PORT/v1/chat/completions" \
    -H 'content-type: application/json' -H 'x-mock-chunks: 5' -H 'x-mock-chunk-delay-ms: 200' \
    -d '{"model":"demo","stream":true,"messages":[{"role":"user","content":"hi"}]}' || echo "curl-failed")

assert_eq 5 "$chunks" "SSE chunks received"
[[ -n "$done_seen" ]] || fail "SSE: no 'data: [DONE]'"
spread_ms=$(((times[4] - times[0]) / 1000))
((spread_ms >= 500)) || fail "SSE chunks arrived together (spread ${spread_ms} ms, want >= 500)"
note "5 chunks over ${spread_ms} ms, then [DONE]"
