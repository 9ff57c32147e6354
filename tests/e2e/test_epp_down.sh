#!/usr/bin/env bash
# EPP down: a FailClose location answers 5xx, a FailOpen location answers 200
# from a pool member. Also with the bridge itself down.
set -euo pipefail
# shellcheck source=tests/lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
e2e_init "$@"

start_mocks 2
free_port DEAD_EPP
start_bridge --deadline-ms 5000
start_gateway failure-modes.conf.in "BRIDGE_ADDR=127.0.0.1:$BRIDGE_PORT" "EPP_PORT=$DEAD_EPP" \
    "POOL_SERVERS=$(pool_servers "${MOCK_PORTS[@]}")"

check() {  # check WHAT
    local out code server
    out="$(W=' %header{x-epp-error}' chat -H 'Host: failclose.local')" || fail "$1: curl (FailClose)"
    code="${out%% *}"
    [[ "$code" == 5?? ]] || fail "$1: FailClose answered '$out', want 5xx"
    note "$1: FailClose answered $out"
    out="$(chat -H 'Host: failopen.local')" || fail "$1: curl (FailOpen)"
    read -r code server <<<"$out"
    assert_eq 200 "$code" "$1: FailOpen status"
    [[ " $(csv "${MOCK_PORTS[@]}" | tr ',' ' ') " == *" $server "* ]] \
        || fail "$1: FailOpen served by '$server', not a pool member"
    note "$1: FailOpen served by $server"
}

check "EPP down"
kill -TERM "$BRIDGE_PID"
for ((i = 0; i < 50; i++)); do port_in_use "$BRIDGE_PORT" || break; sleep 0.1; done
check "bridge down"
