#!/usr/bin/env bash
# Large and oversized bridge answers through NGINX with the shipped
# /_epp_bridge settings: an answer head up to the bridge's bound
# (--max-answer-head-bytes, 32 KiB) is read and routed (NGINX's default 4 KiB
# proxy_buffer_size made it "upstream sent too big header"); an EPP answer
# over a bound is a 502 epp-answer-too-large; an immediate answer cannot
# name a destination.
set -euo pipefail
# shellcheck source=tests/lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
e2e_init "$@"

# The shipped /_epp_bridge buffer holds the largest head the bridge sends.
conf="$REPO_DIR/deploy/nginx/epp-server.conf"
buffer_k="$(sed -n 's/^ *proxy_buffer_size \([0-9]*\)k;.*/\1/p' "$conf")"
head_bytes="$("$BIN" serve --help | sed -n 's/.*--max-answer-head-bytes UINT=\([0-9]*\).*/\1/p')"
[[ -n "$buffer_k" && -n "$head_bytes" ]] || fail "proxy_buffer_size ('$buffer_k') or the head bound ('$head_bytes') not found"
((buffer_k * 1024 >= head_bytes)) \
    || fail "proxy_buffer_size ${buffer_k}k in $conf is below --max-answer-head-bytes $head_bytes"
note "proxy_buffer_size ${buffer_k}k holds the bridge's largest answer head ($head_bytes bytes)"

BRIDGE_ARGS=(--deadline-ms 2000)
start_one_pool 1
MOCK="127.0.0.1:${MOCK_PORTS[0]}"

# One header of 5,000 bytes, then one of 16,000 (the largest value the bridge
# passes; the head is then about 16.3 KB).
for bytes in 5000 16000; do
    out="$(W=' %header{x-epp-error}' chat -H "x-dev-epp-fault: set-header-bytes=$bytes")" \
        || fail "curl (set-header-bytes=$bytes)"
    assert_eq "200 $MOCK " "$out" "a $bytes-byte header from the EPP: routed to the pick"
    note "set-header-bytes=$bytes: 200 from $MOCK"
done
if grep -q "too big header" "$E2E_TMP/gateway/logs/error.log"; then
    fail "NGINX could not read a bridge answer: $(grep -m1 'too big header' "$E2E_TMP/gateway/logs/error.log")"
fi

# Over a bound: the bridge's 502 with its reason reaches the client (FailClose).
for fault in endpoints=5000 endless-body; do
    out="$(W=' %header{x-epp-error}' chat -H "x-dev-epp-fault: $fault")" || fail "curl ($fault)"
    case "$fault" in
        endpoints=*) want="502  epp-answer-too-large" ;;
        *) want="502  body-too-large" ;;
    esac
    assert_eq "$want" "$out" "fault $fault: status, (no) model server, reason"
    note "fault $fault: $want"
done

# An immediate answer that tries to name a destination is passed to the
# client without it, and nothing is routed.
hdrs="$E2E_TMP/immediate.headers"
body="$("${CURL[@]}" -D "$hdrs" "http://127.0.0.1:$GW_PORT/v1/chat/completions" \
    -H 'content-type: application/json' -H "x-dev-epp-fault: immediate-destination=$MOCK" \
    -d '{"model":"demo"}')" || fail "curl (immediate-destination)"
assert_contains "$(head -n1 "$hdrs")" " 200" "immediate-destination: status"
assert_eq "immediate answer naming a destination" "$body" "immediate-destination: the EPP's body"
if grep -qi '^x-mock-server:\|^x-gateway-destination-endpoint\|^x-epp-endpoints' "$hdrs"; then
    fail "immediate-destination: routed or leaked a destination: $(tr -d '\r' <"$hdrs")"
fi
note "immediate-destination: 200 from the EPP, no destination"
