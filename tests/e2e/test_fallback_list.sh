#!/usr/bin/env bash
# Fallback list: when the EPP's first endpoint refuses the connection, the
# request is served by the next one, and the client sees which.
set -euo pipefail
# shellcheck source=tests/lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
e2e_init "$@"

free_port DEAD
start_one_pool 2
LIVE="127.0.0.1:${MOCK_PORTS[1]}"

for i in 1 2 3 4 5; do
    out="$(W=' %header{x-gateway-destination-endpoint-served}' \
        chat -H "test-epp-endpoint-selection: 127.0.0.1:$DEAD,$LIVE")" || fail "curl"
    assert_eq "200 $LIVE $LIVE" "$out" "request $i: status, served by, served header"
done
note "first endpoint dead: served by the second ($LIVE)"
