#!/usr/bin/env bash
# Weighted pools: two pools, each with its own EPP, split 70/30 by the
# gateway. Over 200 requests pool A gets 70% +- 10 points.
set -euo pipefail
# shellcheck source=tests/lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
e2e_init "$@"

start_mocks 3
A="$(csv "${MOCK_PORTS[0]}" "${MOCK_PORTS[1]}")"
B="$(csv "${MOCK_PORTS[2]}")"
start_dev_epp EPP_A --endpoints "$A"
start_dev_epp EPP_B --endpoints "$B"
start_bridge
start_gateway two-pools.conf.in "BRIDGE_ADDR=127.0.0.1:$BRIDGE_PORT" \
    "EPP_A_PORT=$EPP_A" "EPP_B_PORT=$EPP_B" \
    "POOL_A_SERVERS=$(pool_servers "${MOCK_PORTS[0]}" "${MOCK_PORTS[1]}")" \
    "POOL_B_SERVERS=$(pool_servers "${MOCK_PORTS[2]}")"

out="$(burst 200 10)"
assert_eq 200 "$(grep -c '^200 ' <<<"$out")" "200 answers"
a=0 b=0
while read -r _ server _; do
    if [[ ",$A," == *",$server,"* ]]; then a=$((a + 1));
    elif [[ ",$B," == *",$server,"* ]]; then b=$((b + 1));
    else fail "served by '$server', in neither pool"; fi
done <<<"$out"
((a >= 120 && a <= 160)) || fail "pool A got $a of 200 (want 140 +- 20)"
note "pool A $a, pool B $b of 200"
