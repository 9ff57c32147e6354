#!/usr/bin/env bash
# Response phase through real NGINX: the EPP's stream stays open while the
# model server answers, and closes when NGINX's completion record arrives;
# the EPP receives :status and the endpoint that actually served (after a
# fallback retry too) as envoy.lb / x-gateway-destination-endpoint-served.
set -euo pipefail
# shellcheck source=tests/lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
e2e_init "$@"

free_port DEAD
start_one_pool 2
EPP_LOG="$E2E_TMP/dev-epp-EPP_PORT.log"
A="127.0.0.1:${MOCK_PORTS[0]}" B="127.0.0.1:${MOCK_PORTS[1]}"

# wait_epp_line ID: the dev-epp's end-of-stream line for request ID.
wait_epp_line() {
    local i
    for ((i = 0; i < 100; i++)); do
        grep -m1 "request_id=$1 " "$EPP_LOG" && return 0
        sleep 0.1
    done
    fail "no end-of-stream line for $1 in the dev-epp log"
}

out="$(chat -H 'x-request-id: served-1' -H "test-epp-endpoint-selection: $A")" || fail curl
assert_eq "200 $A" "$out" "status and server"
line="$(wait_epp_line served-1)"
assert_contains "$line" "served=$A" "served endpoint reported to the EPP"
note "served endpoint reached the EPP: $A"

out="$(chat -H 'x-request-id: served-2' -H "test-epp-endpoint-selection: 127.0.0.1:$DEAD,$B")" \
    || fail curl
assert_eq "200 $B" "$out" "fallback status and server"
line="$(wait_epp_line served-2)"
assert_contains "$line" "served=$B" "the fallback that served, not the first pick"
note "after a fallback retry the EPP hears the second endpoint: $B"

# The stream is held while the model server is still streaming (SSE).
"${CURL[@]}" -N -o "$E2E_TMP/sse.out" "http://127.0.0.1:$GW_PORT/v1/chat/completions" \
    -H 'content-type: application/json' -H 'x-request-id: served-sse' \
    -d '{"model":"demo","stream":true,"messages":[{"role":"user","content":"hi"}]}' &
sse_pid=$!
sleep 0.3
if grep -q "request_id=served-sse " "$EPP_LOG"; then
    fail "the EPP stream ended before the streamed response did"
fi
wait "$sse_pid" || fail "sse curl"
line="$(wait_epp_line served-sse)"
assert_contains "$line" "served=127.0.0.1:" "served endpoint after SSE"
note "stream held for the whole SSE response, then closed"
