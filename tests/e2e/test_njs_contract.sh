#!/usr/bin/env bash
# njs/epp.js against a stand-in bridge (fake-bridge.conf.in) that gives each
# answer of docs/protocol.md: picked (with header and body mutations),
# fallback list, immediate, error, rejected, and the bridge being down.
set -euo pipefail
# shellcheck source=tests/lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
e2e_init "$@"

start_mocks 2
M1="127.0.0.1:${MOCK_PORTS[0]}" M2="127.0.0.1:${MOCK_PORTS[1]}"
free_port DEAD1
free_port DEAD2
start_fake_bridge
start_gateway failure-modes.conf.in "BRIDGE_ADDR=127.0.0.1:$FAKE_PORT" "EPP_PORT=9" \
    "POOL_SERVERS=$(pool_servers "${MOCK_PORTS[@]}")"
URL="http://127.0.0.1:$GW_PORT/v1/chat/completions?x=1"
BODY='{"model":"demo","messages":[{"role":"user","content":"hi"}]}'

DATA=(-d "$BODY")

# req HOST FAKE-ANSWER FIRST ENDPOINTS [CURL-ARGS...]: sends DATA; the
# response's headers and body land in OUT.
req() {
    local host="$1" answer="$2" first="$3" list="$4"
    shift 4
    OUT="$("${CURL[@]}" -i "$URL" -H "Host: $host" -H "x-fake-bridge: $answer" \
        -H "x-fake-first: $first" -H "x-fake-endpoints: $list" \
        -H 'content-type: application/json' "${DATA[@]}" "$@")" || fail "curl failed ($answer)"
    OUT="${OUT//$'\r'/}"
}
header() { grep -i "^$1:" <<<"$OUT" | head -n1 | cut -d' ' -f2- || true; }

# picked: first endpoint, header set and removed, query kept.
req failclose.local picked "$M1" "$M1,$M2" -H 'x-gateway-destination-endpoint: from-client'
assert_contains "$OUT" "HTTP/1.1 200" "picked status"
assert_eq "$M1" "$(header x-mock-server)" "picked: served by the first endpoint"
assert_eq "$M1" "$(header x-gateway-destination-endpoint-served)" "picked: served header"
assert_eq "set" "$(header x-from-epp)" "picked: X-EPP-Set-x-echo-set-header reached the model server"
assert_contains "$OUT" '"path":"/v1/chat/completions?x=1"' "picked: request URI with query"
[[ "$OUT" != *'"x-gateway-destination-endpoint"'* ]] || fail "picked: X-EPP-Remove'd header reached the model server"
note "picked ok"

# fallback list: dead endpoints are skipped in order.
req failclose.local picked "127.0.0.1:$DEAD1" "127.0.0.1:$DEAD1,127.0.0.1:$DEAD2,$M2"
assert_eq "$M2" "$(header x-mock-server)" "fallback: served by the third endpoint"
assert_eq "$M2" "$(header x-gateway-destination-endpoint-served)" "fallback: served header"
req failclose.local picked "127.0.0.1:$DEAD1" "127.0.0.1:$DEAD1,127.0.0.1:$DEAD2"
assert_contains "$OUT" "HTTP/1.1 502" "all endpoints dead"
assert_eq "endpoints-unreachable" "$(header x-epp-error)" "all endpoints dead: reason"
note "fallback list ok"

# mutated body: the EPP's body goes upstream, bytes intact.
req failclose.local mutated "$M2" "$M2,$M1" -H 'x-gateway-destination-endpoint: from-client'
assert_eq "fake-rewritten" "$(header x-mock-model)" "mutated: model"
assert_eq "47" "$(header x-mock-body-bytes)" "mutated: body bytes (UTF-8 kept)"
assert_contains "$OUT" "\"x-gateway-destination-endpoint\":\"$M2,$M1\"" \
    "mutated: the model server sees the EPP's destination header, not the client's"
note "mutated body ok"

# immediate: status, headers and body unchanged.
req failclose.local immediate "" ""
assert_contains "$OUT" "HTTP/1.1 429" "immediate status"
assert_eq "7" "$(header retry-after)" "immediate: EPP header"
assert_contains "$OUT" "inference error: fake rate limit" "immediate body"
[[ -z "$(header x-epp-outcome)" ]] || fail "immediate: control header leaked to the client"
note "immediate ok"

# error: FailClose propagates, FailOpen serves from the pool.
req failclose.local error "" ""
assert_contains "$OUT" "HTTP/1.1 503" "error/FailClose status"
assert_eq "epp-unavailable" "$(header x-epp-error)" "error/FailClose reason"
assert_contains "$OUT" "fake: EPP unreachable" "error/FailClose body"
req failopen.local error "" ""
assert_contains "$OUT" "HTTP/1.1 200" "error/FailOpen status"
[[ " $M1 $M2 " == *" $(header x-mock-server) "* ]] || fail "error/FailOpen: not served by a pool member"
note "error ok"

# rejected 413 reaches the client as is.
req failopen.local rejected "" ""
assert_contains "$OUT" "HTTP/1.1 413" "rejected 413"
note "rejected ok"

# what the bridge receives: control headers from the location, not the client.
FORGED=0123456789abcdef0123456789abcdef
req failclose.local echo "" "" -H 'X-EPP-Subset: 10.0.0.66' -H 'X-EPP-Host: evil' -H 'x-request-id: rid-1' \
    -H "X-EPP-Completion-Key: $FORGED"
assert_contains "$OUT" "host=127.0.0.1 port=9 method=POST path=/v1/chat/completions?x=1" "echo: host/port/method/path"
assert_contains "$OUT" "authority=failclose.local scheme=http subset= rid=rid-1 len=${#BODY} bridge_method=POST" "echo: authority/scheme/subset/id/body"
# The completion key is NGINX's $request_id, whatever the client sent.
[[ "$OUT" =~ key=([0-9a-f]{32})$ ]] \
    || fail "echo: no 32-hex completion key in: ${OUT: -200}"
[[ "${BASH_REMATCH[1]}" != "$FORGED" ]] || fail "echo: the client chose the completion key"
head -c $((3 * 1024 * 1024)) /dev/zero >"$E2E_TMP/big.bin"
DATA=(--data-binary @"$E2E_TMP/big.bin")
req failclose.local echo "" ""
DATA=(-d "$BODY")
assert_contains "$OUT" "len=3145728 " "echo: a file-backed 3 MiB body reaches the bridge"
note "bridge request ok"

# bridge down.
kill -TERM "$(cat "$E2E_TMP/fake-bridge/nginx.pid")"
for ((i = 0; i < 50; i++)); do port_in_use "$FAKE_PORT" || break; sleep 0.1; done
req failclose.local picked "$M1" "$M1"
assert_contains "$OUT" "HTTP/1.1 502" "bridge down/FailClose status"
assert_eq "bridge-unavailable" "$(header x-epp-error)" "bridge down/FailClose reason"
req failopen.local picked "$M1" "$M1"
assert_contains "$OUT" "HTTP/1.1 200" "bridge down/FailOpen status"
note "bridge down ok"
