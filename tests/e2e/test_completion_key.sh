#!/usr/bin/env bash
# Held streams are keyed by NGINX's own $request_id, never by what a client
# sends: a client's "X-Request-Id: evil id=<other>" completes only its own
# stream, two requests with the same X-Request-Id each keep their own held
# stream, an id NGINX escapes in logs (quote, backslash, non-ASCII) still
# gets its response phase at once, and the EPP sees every client's
# x-request-id unchanged. The completion socket is mode 0660.
set -euo pipefail
# shellcheck source=tests/lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
e2e_init "$@"

start_one_pool 2
EPP_LOG="$E2E_TMP/dev-epp-EPP_PORT.log"

mode="$(stat -c %a "$E2E_TMP/completion.sock")"
assert_eq 660 "$mode" "completion socket mode"

# logged ID: ID as a log field shows it: JSON-quoted when it holds a space,
# a quote or '=' (observe/logging.h).
logged() {
    if [[ "$1" =~ [[:space:]\"=] ]]; then
        python3 -c 'import json, sys; print(json.dumps(sys.argv[1], ensure_ascii=False))' "$1"
    else
        printf '%s\n' "$1"
    fi
}
# ended ID: how many of the dev-epp's end-of-stream lines name request ID.
ended() { grep -c -F "request_id=$(logged "$1") messages=" "$EPP_LOG" || true; }

# wait_ended ID N: until N streams of request ID have ended (10 s).
wait_ended() {
    local i
    for ((i = 0; i < 100; i++)); do
        (($(ended "$1") >= $2)) && return 0
        sleep 0.1
    done
    fail "$2 end-of-stream line(s) for '$1' expected in the dev-epp log, found $(ended "$1")"
}

# sse ID CHUNKS: a streamed completion (CHUNKS x 200 ms) with that X-Request-Id.
sse() {
    "${CURL[@]}" -N -o /dev/null "http://127.0.0.1:$GW_PORT/v1/chat/completions" \
        -H 'content-type: application/json' -H "x-request-id: $1" \
        -H "x-mock-chunks: $2" -H 'x-mock-chunk-delay-ms: 200' \
        -d '{"model":"demo","stream":true,"messages":[{"role":"user","content":"hi"}]}'
}

# A victim whose response streams for 3 s: its EPP stream stays held.
sse victim-1 15 &
victim=$!
sleep 0.5
(($(ended victim-1) == 0)) || fail "victim-1's stream ended while its response streamed"

# A client names the victim in its own X-Request-Id.
out="$(chat -H 'x-request-id: evil id=victim-1')" || fail curl
[[ "$out" == "200 "* ]] || fail "attacker's request: $out"
wait_ended "evil id=victim-1" 1
line="$(grep -m1 -F "request_id=$(logged "evil id=victim-1") messages=" "$EPP_LOG")"
assert_contains "$line" "served=127.0.0.1:" "the attacker's own stream got its response phase"
note "the EPP saw the client's x-request-id unchanged: 'evil id=victim-1'"
sleep 0.3
(($(ended victim-1) == 0)) || fail "a client's X-Request-Id completed another request's stream"
note "'X-Request-Id: evil id=victim-1' completed only its own stream"

# Ids that NGINX escapes in an access log complete at once, not after the TTL.
weird='q"uo\te é'
out="$(chat -H "x-request-id: $weird")" || fail curl
[[ "$out" == "200 "* ]] || fail "escaped id request: $out"
wait_ended "$weird" 1
assert_contains "$(grep -m1 -F "request_id=$(logged "$weird") messages=" "$EPP_LOG")" "served=127.0.0.1:" \
    "response phase for an id with a quote, a backslash and non-ASCII"
note "an id NGINX escapes still gets its response phase"

# Two requests with the same client id: each keeps its own held stream.
sse dup-1 8 &
first=$!
sse dup-1 8 &
second=$!
sleep 0.8
(($(ended dup-1) == 0)) || fail "the second request with id dup-1 closed the first one's stream"
wait "$first" || fail "first dup-1 curl"
wait "$second" || fail "second dup-1 curl"
wait_ended dup-1 2
(($(grep -F "request_id=dup-1 messages=" "$EPP_LOG" | grep -c "served=127.0.0.1:") == 2)) \
    || fail "both dup-1 streams should report the endpoint that served"
note "two requests with X-Request-Id dup-1 held two streams, both completed"

wait "$victim" || fail "victim curl"
wait_ended victim-1 1
assert_contains "$(grep -m1 -F "request_id=victim-1 messages=" "$EPP_LOG")" "served=127.0.0.1:" \
    "the victim's response phase"
note "victim-1 completed after its own response"
