#!/usr/bin/env bash
# Routing follows the EPP: with test-epp-endpoint-selection naming 1, 2 or 3
# endpoints, 100 requests (10 at a time) land only on the named endpoints,
# and X-Gateway-Destination-Endpoint-Served names the one that answered.
set -euo pipefail
# shellcheck source=tests/lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
e2e_init "$@"

start_one_pool 3
M=("${MOCK_PORTS[@]}")

for pick in "${M[0]}" "${M[1]} ${M[2]}" "${M[2]} ${M[0]} ${M[1]}"; do
    # shellcheck disable=SC2086
    selection="$(csv $pick)"
    out="$(burst 100 10 -H "test-epp-endpoint-selection: $selection")"
    total="$(wc -l <<<"$out")"
    assert_eq 100 "$total" "responses for selection $selection"
    bad="$(grep -v '^200 ' <<<"$out" | head -n3 || true)"
    [[ -z "$bad" ]] || fail "selection $selection: non-200 answers: $bad"
    while read -r _ server served; do
        [[ ",$selection," == *",$server,"* ]] || fail "selection $selection: served by '$server'"
        assert_eq "$server" "$served" "X-Gateway-Destination-Endpoint-Served"
    done <<<"$out"
    note "selection $selection: 100/100 on selected endpoints ($(cut -d' ' -f2 <<<"$out" | sort | uniq -c | tr -s ' ' | tr '\n' ';'))"
done
