#!/usr/bin/env bash
# The EPP transports side by side: `pick --epp-transport h2` against
# `pick --epp-transport grpc`, client CPU per request (user + system), at
# BENCH_CONCURRENCY in flight and one at a time, against the same dev-epp.
# Runs interleave (grpc h2 grpc h2 ..., BENCH_ROUNDS rounds); each round
# gives one ratio h2 / grpc and the figure is the median of those ratios.
#
#   bench/transport.sh BUILD_DIR
#
# Environment: BENCH_ROUNDS=5, BENCH_REQUESTS=20000 (closed loop),
# BENCH_SERIAL_REQUESTS=3000 (one at a time), BENCH_CONCURRENCY=32.
set -euo pipefail

[[ $# -ge 1 && -x "$1/epp-bridge" ]] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
BIN="$(cd "$1" && pwd)/epp-bridge"
ROUNDS="${BENCH_ROUNDS:-5}"
N="${BENCH_REQUESTS:-20000}"
SERIAL_N="${BENCH_SERIAL_REQUESTS:-3000}"
CONC="${BENCH_CONCURRENCY:-32}"
CHAT='{"model":"demo","messages":[{"role":"user","content":"Write a haiku about load balancers."}],"max_tokens":64}'

tmp="$(mktemp -d)"
epp_pid=""
cleanup() {
    [[ -n "$epp_pid" ]] && kill "$epp_pid" 2>/dev/null && wait "$epp_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$BIN" dev-epp --listen "127.0.0.1:$port" --endpoints 127.0.0.1:8001,127.0.0.1:8002 \
    --log-level warn >"$tmp/dev-epp.log" 2>&1 &
epp_pid=$!
for _ in $(seq 100); do
    "$BIN" pick --epp "127.0.0.1:$port" --endpoint-picker-disable-tls >/dev/null 2>&1 && break
    sleep 0.1
done

# run TRANSPORT REQUESTS CONCURRENCY: prints "cpu_us_per_request requests_per_second".
run() {
    local out="$tmp/pick.txt"
    /usr/bin/time -f '%U %S' -o "$tmp/time.txt" "$BIN" pick --epp "127.0.0.1:$port" \
        --endpoint-picker-disable-tls --epp-transport "$1" --body "$CHAT" \
        --requests "$2" --concurrency "$3" >"$out" 2>&1 || { cat "$out" >&2; exit 1; }
    grep -q "error=0" "$out" || { echo "pick $1: errors: $(grep outcomes "$out")" >&2; exit 1; }
    awk -v n="$2" 'NR==FNR{cpu=$1+$2; next} /^throughput_rps:/{printf "%.1f %.0f\n", cpu*1e6/n, $2}' \
        "$tmp/time.txt" "$out"
}

median() { tr ' ' '\n' | sort -g | awk '{a[NR]=$1} END{print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

echo "# EPP transports, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -r)"
echo "# $ROUNDS interleaved rounds; CPU of the pick process per request"
for mode in "closed loop, $CONC in flight:$N:$CONC" "one at a time:$SERIAL_N:1"; do
    IFS=: read -r label n c <<<"$mode"
    "$BIN" pick --epp "127.0.0.1:$port" --endpoint-picker-disable-tls --requests 500 \
        --concurrency "$c" >/dev/null  # warm-up
    ratios=()
    echo "## $label ($n requests per run)"
    for r in $(seq "$ROUNDS"); do
        read -r g_cpu g_rps < <(run grpc "$n" "$c")
        read -r h_cpu h_rps < <(run h2 "$n" "$c")
        ratio="$(awk -v a="$h_cpu" -v b="$g_cpu" 'BEGIN{printf "%.2f", a/b}')"
        ratios+=("$ratio")
        echo "  round $r: grpc $g_cpu us/req ($g_rps req/s), h2 $h_cpu us/req ($h_rps req/s), h2/grpc $ratio"
    done
    echo "  median h2/grpc CPU per request: $(echo "${ratios[*]}" | median) (target <= 0.33)"
done
