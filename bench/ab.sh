#!/usr/bin/env bash
# Two builds of the bridge side by side: A and B run against the same dev-epp
# and mock, interleaved (A B A B ...), and every figure is the median of the
# rounds' B/A ratios, so the machine's drift between rounds cancels out.
# For measuring one change: A is the build before it, B the build after.
#
#   bench/ab.sh BUILD_DIR_A BUILD_DIR_B
#
# Figures: closed-loop req/s and bridge CPU per request at BENCH_CONCURRENCY
# in flight, and p50/p99 at a fixed rate (half of A's maximum). Environment
# as bench/run.sh (BENCH_ROUNDS, BENCH_SECONDS, BENCH_CONCURRENCY).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
[[ $# -eq 2 && -x "$1/epp-bridge" && -x "$2/epp-bridge" ]] ||
    { echo "usage: $0 BUILD_DIR_A BUILD_DIR_B (each with epp-bridge)" >&2; exit 2; }
BIN_A="$(cd "$1" && pwd)/epp-bridge"
BIN_B="$(cd "$2" && pwd)/epp-bridge"

# shellcheck source=tests/lib/lib.sh
source "$repo/tests/lib/lib.sh"
e2e_init "$BIN_B"
source "$here/lib.sh"
need_tools h2load curl

ROUNDS="${BENCH_ROUNDS:-5}"
SECS="${BENCH_SECONDS:-3}"
CONC="${BENCH_CONCURRENCY:-32}"
BIN="$BIN_A" bench_header
echo "A:       $BIN_A"
echo "B:       $BIN_B"

CHAT='{"model":"demo","messages":[{"role":"user","content":"Write a haiku about load balancers."}],"max_tokens":64}'
printf '%s' "$CHAT" >"$E2E_TMP/chat.json"
start_mocks 1
start_dev_epp EPP --endpoints "127.0.0.1:${MOCK_PORTS[0]}" --log-level warn
BRIDGE_HDRS=(-H 'x-epp-host: 127.0.0.1' -H "x-epp-port: $EPP" -H 'x-epp-path: /v1/chat/completions'
             -H 'content-type: application/json')
start_on_port bridge-a PORT_A "$BIN_A" serve --listen 127.0.0.1:@PORT@ \
    --endpoint-picker-disable-tls --log-level warn
PID_A="$SPAWNED_PID"
start_on_port bridge-b PORT_B "$BIN_B" serve --listen 127.0.0.1:@PORT@ \
    --endpoint-picker-disable-tls --log-level warn
PID_B="$SPAWNED_PID"
for port in "$PORT_A" "$PORT_B"; do
    h2load --h1 -c 8 -n 500 "${BRIDGE_HDRS[@]}" -d "$E2E_TMP/chat.json" \
        "http://127.0.0.1:$port/v1/chat/completions" >"$E2E_TMP/warm.txt" 2>&1
    h2load_ok "$E2E_TMP/warm.txt" || fail "warm-up of :$port failed"
done

section "throughput: closed loop, $CONC in flight, ${SECS} s runs, $ROUNDS rounds"
ta=() tb=() ca=() cb=() rt=() rc=()
for ((r = 1; r <= ROUNDS; r++)); do
    c0="$(cpu_s "$PID_A")"
    h2load_bridge "$PORT_A" -c "$CONC"
    ta+=("$RPS") ca+=("$(us_per_req "$c0" "$(cpu_s "$PID_A")" "$NREQ")")
    c0="$(cpu_s "$PID_B")"
    h2load_bridge "$PORT_B" -c "$CONC"
    tb+=("$RPS") cb+=("$(us_per_req "$c0" "$(cpu_s "$PID_B")" "$NREQ")")
    rt+=("$(ratio "${tb[-1]}" "${ta[-1]}")") rc+=("$(ratio "${cb[-1]}" "${ca[-1]}")")
    echo "  round $r: A ${ta[-1]} req/s (${ca[-1]} us/req)   B ${tb[-1]} req/s (${cb[-1]} us/req)" \
        "  ratios ${rt[-1]} ${rc[-1]}"
done
info "throughput: B / A (req/s)" "$(median "${rt[@]}")" \
    "rounds ${rt[*]}; medians A $(median "${ta[@]}"), B $(median "${tb[@]}") req/s"
info "bridge CPU per request: B / A" "$(median "${rc[@]}")" \
    "rounds ${rc[*]}; medians A $(median "${ca[@]}"), B $(median "${cb[@]}") us/req"

RATE="$(awk -v m="$(median "${ta[@]}")" 'BEGIN{printf "%d", m/2}')"
section "latency: fixed rate $RATE req/s (half of A's maximum), ${SECS} s runs, $ROUNDS rounds"
r50=() r99=()
for ((r = 1; r <= ROUNDS; r++)); do
    read -r a50 a99 _ < <(h2load_at_rate "$PORT_A" "$RATE")
    read -r b50 b99 _ < <(h2load_at_rate "$PORT_B" "$RATE")
    r50+=("$(ratio "$b50" "$a50")") r99+=("$(ratio "$b99" "$a99")")
    echo "  round $r: A p50 $a50 p99 $a99 ms   B p50 $b50 p99 $b99 ms   ratios ${r50[-1]} ${r99[-1]}"
done
info "latency p50: B / A @ $RATE req/s" "$(median "${r50[@]}")" "rounds ${r50[*]}"
info "latency p99: B / A @ $RATE req/s" "$(median "${r99[@]}")" "rounds ${r99[*]}"
bench_footer "$SECONDS"
