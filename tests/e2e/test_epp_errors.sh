#!/usr/bin/env bash
# EPP errors under FailClose: the bridge's 502/503/504 reaches the client with
# its reason (X-EPP-Error), and nothing reaches a model server.
set -euo pipefail
# shellcheck source=tests/lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
e2e_init "$@"

BRIDGE_ARGS=(--deadline-ms 1000)
start_one_pool 1

for c in "grpc-error 502 grpc-error" "garbage-endpoint 502 invalid-endpoint" \
         "close-early 502 no-decision" "delay=3000 504 deadline-exceeded"; do
    read -r fault status reason <<<"$c"
    out="$(W=' %header{x-epp-error}' chat -H "x-dev-epp-fault: $fault")" || fail "curl ($fault)"
    assert_eq "$status  $reason" "$out" "fault $fault: status, (no) model server, reason"
    note "fault $fault: $status $reason"
done
