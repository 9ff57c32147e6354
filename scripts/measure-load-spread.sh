#!/usr/bin/env bash
# How the EPP spreads load when the bridge holds each stream until NGINX has
# finished the response, compared with closing it right after the pick.
#   scripts/measure-load-spread.sh BIN [REQUESTS] [CONCURRENCY]
# Three mock model servers stream SSE answers; the last is 10x slower. The
# dev-epp picks least-in-flight, where in flight means "stream open". Each
# mode sends the same closed-loop load through real NGINX and prints how many
# requests each server got and the mean/p90 request time.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BIN_ARG="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
REQUESTS="${2:-240}" CONC="${3:-12}"
# shellcheck source=tests/lib/lib.sh
source "$here/../tests/lib/lib.sh"
e2e_init "$BIN_ARG"
MOCK_PACE_MS=(10 10 100)  # ms per SSE chunk, 10 chunks per answer
start_mocks 3
SLOW="127.0.0.1:${MOCK_PORTS[2]}"
start_dev_epp EPP_PORT --endpoints "$(csv "${MOCK_PORTS[@]}")" --policy least-in-flight \
    --log-level warn

run_mode() {  # run_mode NAME (NO_COMPLETION=1 for closing after the pick)
    local name="$1"
    start_bridge --log-level warn
    local bridge_pid="$BRIDGE_PID"
    start_gateway one-pool.conf.in "BRIDGE_ADDR=127.0.0.1:$BRIDGE_PORT" "EPP_PORT=$EPP_PORT" \
        "POOL_SERVERS=$(pool_servers "${MOCK_PORTS[@]}")"
    local gw_pid="$SPAWNED_PID"
    local out="$E2E_TMP/$name.out"
    seq "$REQUESTS" | xargs -P "$CONC" -I{} "${CURL[@]}" -N -o /dev/null \
        -w '%{http_code} %header{x-mock-server} %{time_total}\n' \
        "http://127.0.0.1:$GW_PORT/v1/chat/completions" -H 'content-type: application/json' \
        -H 'x-mock-chunks: 10' \
        -d '{"model":"demo","stream":true,"messages":[{"role":"user","content":"hi"}]}' >"$out"
    local ok p
    ok="$(awk '$1 == 200' "$out" | wc -l)"
    [[ "$ok" -eq "$REQUESTS" ]] || fail "$name: only $ok of $REQUESTS answered 200"
    printf '%-20s' "$name"
    for p in "${MOCK_PORTS[@]}"; do
        printf ' %s=%3d' "$p" "$(awk -v s="127.0.0.1:$p" '$2 == s' "$out" | wc -l)"
    done
    local p90
    p90="$(awk '{print $3}' "$out" | sort -n | awk '{t[NR] = $1} END {print t[int(NR * 0.9)]}')"
    awk -v slow="$SLOW" -v p90="$p90" '{s += $3; if ($2 == slow) n++}
        END {printf "  slow-share=%4.1f%%  mean=%.3fs  p90=%.3fs\n", 100 * n / NR, s / NR, p90}' \
        "$out"
    kill -TERM "$bridge_pid" "$gw_pid" 2>/dev/null || true
    sleep 0.5
}

echo "servers (ms per SSE chunk, 10 chunks): ${MOCK_PORTS[0]}=10 ${MOCK_PORTS[1]}=10" \
    "${MOCK_PORTS[2]}=100 (slow); $REQUESTS requests, $CONC concurrent; dev-epp least-in-flight"
for round in 1 2; do
    NO_COMPLETION=1 run_mode "closed-after-pick"
    NO_COMPLETION=0 run_mode "held-to-completion"
done
