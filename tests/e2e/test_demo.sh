#!/usr/bin/env bash
# scripts/demo.sh --once on free ports: the demo starts every process, routes
# one request through the EPP and stops everything again.
set -euo pipefail
# shellcheck source=tests/lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
e2e_init "$@"

m1="" m2="" m3="" epp="" bridge="" gw=""
free_port m1
free_port m2
free_port m3
free_port epp
free_port bridge
free_port gw
out="$(DEMO_DIR="$E2E_TMP/demo" DEMO_MOCK_PORTS="$m1 $m2 $m3" DEMO_EPP_PORT="$epp" \
    DEMO_BRIDGE_PORT="$bridge" DEMO_GATEWAY_PORT="$gw" \
    timeout 60 "$REPO_DIR/scripts/demo.sh" "$BIN" --once 2>&1)" || fail "demo.sh --once failed: $out"
out="${out//$'\r'/}"
assert_contains "$out" "HTTP/1.1 200" "demo answer"
assert_contains "$out" "X-Gateway-Destination-Endpoint-Served: 127.0.0.1:" "demo served header"
for p in "$m1" "$gw" "$epp" "$bridge"; do
    port_in_use "$p" && fail "demo left a process listening on $p"
done
note "demo routed a request and stopped cleanly"
