#!/usr/bin/env bash
# Soak: keep-alive load straight at the bridge while the EPP misbehaves.
#   scripts/soak.sh [--quick] BIN [REQUESTS] [SECONDS]
# Runs until REQUESTS requests (default 100000) or SECONDS (default 300; 60
# with --quick) have passed, whichever comes first. wrk sends the load (a Lua
# script mixes in x-dev-epp-fault values and bad requests); every few seconds
# the dev-epp is paused (SIGSTOP for longer than the deadline, then SIGCONT),
# killed and restarted, or stopped and restarted. Reports the answers by
# status, outcome and reason, the bridge's RSS and open fds at start, after
# warm-up, in the middle and at the end, and its /metrics counters.
# Fails when the bridge died, a request hung (wrk timeout), a connection was
# closed without an answer (wrk read/write error), an exchange was
# left in flight, the bridge did not pick again after the faults, or RSS/fds
# grew beyond the bounds below after warm-up.
# Environment: SOAK_CONNECTIONS (16), SOAK_THREADS (2), SOAK_FAULT_EVERY_S
# (5), SOAK_DEADLINE_MS (1000), SOAK_RSS_GROWTH_KB (65536: growth allowed from
# the warm-up sample to the end), SOAK_FD_GROWTH (16: growth allowed from the
# idle start to the idle end), SOAK_MAX_CLOSED (0: connections the bridge may
# close without answering, seen by wrk as read/write errors; wrk's own stop
# at the request cap and at the end closes connections without such errors),
# SOAK_KEEP=1 keeps the work directory.
# Loopback only, free ports; everything started here is stopped on exit.
set -euo pipefail

quick=0
if [[ "${1:-}" == "--quick" ]]; then quick=1; shift; fi
BIN="${1:-}"
[[ -n "$BIN" && -x "$BIN" ]] || { echo "usage: $0 [--quick] /path/to/epp-bridge [REQUESTS] [SECONDS]" >&2; exit 2; }
REQUESTS="${2:-100000}"
DURATION="${3:-$([[ $quick -eq 1 ]] && echo 60 || echo 300)}"
[[ "$REQUESTS" =~ ^[0-9]+$ && "$DURATION" =~ ^[0-9]+$ && "$DURATION" -ge 10 ]] \
    || { echo "REQUESTS and SECONDS must be numbers (SECONDS >= 10)" >&2; exit 2; }
CONNS="${SOAK_CONNECTIONS:-16}"
THREADS="${SOAK_THREADS:-2}"
FAULT_EVERY="${SOAK_FAULT_EVERY_S:-5}"
DEADLINE_MS="${SOAK_DEADLINE_MS:-1000}"
RSS_GROWTH_KB="${SOAK_RSS_GROWTH_KB:-65536}"
FD_GROWTH="${SOAK_FD_GROWTH:-16}"
MAX_CLOSED="${SOAK_MAX_CLOSED:-0}"
for tool in wrk curl ss; do
    command -v "$tool" >/dev/null || { echo "$tool not found (scripts/install-deps.sh)" >&2; exit 2; }
done
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"

TMP="$(mktemp -d /tmp/epp-soak.XXXXXX)"
PIDS=()   # bridge, wrk, sampler, injector (the dev-epp's pid is in $TMP/epp.pid)
FAILED=()
cleanup() {
    local rc=$? pid
    trap '' PIPE
    touch "$TMP/stop" 2>/dev/null || true
    if [[ -f "$TMP/epp.pid" ]]; then
        pid="$(cat "$TMP/epp.pid")"
        kill -CONT "$pid" 2>/dev/null || true
        kill -KILL "$pid" 2>/dev/null || true
    fi
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do
        for _ in {1..30}; do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [[ -n "${SOAK_KEEP:-}" ]]; then echo "kept $TMP" >&2; else rm -rf "$TMP"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# shellcheck source=tests/lib/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../tests/lib/lib.sh"  # free_port, wait_port
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
fd_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
metric_sum() {  # metric_sum NAME: the sum of every series of NAME in metrics.txt
    awk -v n="$1" '$1 == n || index($1, n "{") == 1 {s += $NF} END {printf "%d", s}' "$TMP/metrics.txt"
}
scrape() { curl -sS --max-time 5 "http://127.0.0.1:$ADMIN_PORT/metrics" >"$TMP/metrics.txt"; }

# --- the dev-epp (restartable on its port) and the bridge ----------------------
EPP_ENDPOINTS="127.0.0.1:18001,127.0.0.1:18002,127.0.0.1:18003"
start_epp() {  # start_epp: on $EPP_PORT, pid into $TMP/epp.pid
    local pid
    for _ in 1 2 3 4 5; do
        "$BIN" dev-epp --listen "127.0.0.1:$EPP_PORT" --endpoints "$EPP_ENDPOINTS" \
            --log-level warn >>"$TMP/dev-epp.log" 2>&1 &
        pid=$!
        disown "$pid" 2>/dev/null || true  # no job notice when the faults kill it
        echo "$pid" >"$TMP/epp.pid"
        wait_port "$EPP_PORT" "$pid" && return 0
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.5
    done
    return 1
}
free_port EPP_PORT
start_epp || { cat "$TMP/dev-epp.log" >&2; echo "dev-epp did not start" >&2; exit 1; }
free_port DEAD_PORT  # an EPP address where nothing listens
for _ in 1 2 3; do
    free_port BRIDGE_PORT
    "$BIN" serve --listen "127.0.0.1:$BRIDGE_PORT" --endpoint-picker-disable-tls \
        --admin-listen 127.0.0.1:0 --deadline-ms "$DEADLINE_MS" --linger-ms 1000 \
        --grace-ms 2000 --log-level info >"$TMP/bridge.log" 2>&1 &
    BRIDGE_PID=$!
    PIDS+=("$BRIDGE_PID")
    wait_port "$BRIDGE_PORT" "$BRIDGE_PID" && break
    kill -KILL "$BRIDGE_PID" 2>/dev/null || true
    BRIDGE_PID=""
done
[[ -n "${BRIDGE_PID:-}" ]] || { cat "$TMP/bridge.log" >&2; echo "bridge did not start" >&2; exit 1; }
ADMIN_PORT=""
for _ in {1..50}; do
    ADMIN_PORT="$(sed -n 's/.*admin listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/bridge.log" | head -n 1)"
    [[ -n "$ADMIN_PORT" ]] && break
    sleep 0.1
done
[[ -n "$ADMIN_PORT" ]] || { cat "$TMP/bridge.log" >&2; echo "no admin port in the bridge's log" >&2; exit 1; }

BODY='{"model":"demo","messages":[{"role":"user","content":"soak"}]}'
pick_ok() {  # one request that must be picked
    local out
    out="$(curl -sS --max-time 5 -o /dev/null -w '%{http_code} %header{x-epp-outcome}' \
        "http://127.0.0.1:$BRIDGE_PORT/v1/chat/completions" -H 'X-EPP-Host: 127.0.0.1' \
        -H "X-EPP-Port: $EPP_PORT" -H 'content-type: application/json' -d "$BODY" 2>/dev/null)" || true
    [[ "$out" == "200 picked" ]]
}
for _ in {1..20}; do pick_ok && break; sleep 0.2; done
pick_ok || { echo "the bridge does not pick before the soak" >&2; exit 1; }

declare -A RSS FDS
sample() {  # sample NAME
    RSS[$1]="$(rss_kb "$BRIDGE_PID")"
    FDS[$1]="$(fd_count "$BRIDGE_PID")"
    printf '%-8s t=%3ss rss=%6s KiB fds=%4s\n' "$1" "$((SECONDS - T0))" "${RSS[$1]}" "${FDS[$1]}"
}
T0=$SECONDS
echo "soak: bridge pid $BRIDGE_PID on 127.0.0.1:$BRIDGE_PORT (admin $ADMIN_PORT), dev-epp on $EPP_PORT"
echo "soak: up to $REQUESTS requests or $DURATION s, $CONNS connections, $THREADS threads," \
     "deadline $DEADLINE_MS ms, an EPP fault every $FAULT_EVERY s"
sample start

# --- the load -----------------------------------------------------------------
cat >"$TMP/soak.lua" <<EOF
-- Mostly plain requests; every 8th carries a fault from the list, every
-- 400th a silent EPP (answered at the deadline). Tallies status, outcome
-- and reason per thread.
local threads = {}
function setup(thread) table.insert(threads, thread) end
local faults = {
  {"x-dev-epp-fault", "status=429"}, {"x-dev-epp-fault", "status=503"},
  {"x-dev-epp-fault", "status=204"},
  {"x-dev-epp-fault", "grpc-error"}, {"x-dev-epp-fault", "garbage-endpoint"},
  {"x-dev-epp-fault", "garbage-endpoint=model.local:80"},
  {"x-dev-epp-fault", "garbage-endpoint=10.0.0.1:0"},
  {"x-dev-epp-fault", "garbage-endpoint=10.0.0.1:70000"},
  {"x-dev-epp-fault", "garbage-endpoint=[::1]"}, {"x-dev-epp-fault", "close-early"},
  {"x-dev-epp-fault", "mismatch"}, {"x-dev-epp-fault", "metadata-only"},
  {"x-dev-epp-fault", "no-metadata"}, {"x-dev-epp-fault", "close-after-pick"},
  {"x-dev-epp-fault", "delay=50"},
  {"x-epp-port", "$DEAD_PORT"},        -- nothing listens there: 503
  {"x-epp-port", "0"},                 -- rejected: 400
}
local body = '$BODY'
function init(args)
  counts = {}
  n = 0
end
function request()
  n = n + 1
  local h = {["X-EPP-Host"] = "127.0.0.1", ["X-EPP-Port"] = "$EPP_PORT",
             ["Content-Type"] = "application/json"}
  if n % 400 == 0 then
    h["x-dev-epp-fault"] = "no-reply"
  elseif n % 8 == 0 then
    local f = faults[(n / 8) % #faults + 1]
    if f[1] == "x-epp-port" then h["X-EPP-Port"] = f[2] else h[f[1]] = f[2] end
  end
  return wrk.format("POST", "/v1/chat/completions", h, body)
end
local function header(headers, name)
  return headers[name] or headers[string.lower(name)] or "-"
end
function response(status, headers, body)
  local k = status .. " " .. header(headers, "X-EPP-Outcome") .. " " .. header(headers, "X-EPP-Error")
  counts[k] = (counts[k] or 0) + 1
end
function done(summary, latency, requests)
  local all = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("counts") or {}) do all[k] = (all[k] or 0) + v end
  end
  local f = io.open("$TMP/counts.txt", "w")
  for k, v in pairs(all) do f:write(v, " ", k, "\n") end
  f:close()
  local e = summary.errors
  f = io.open("$TMP/summary.txt", "w")
  f:write(string.format("requests %d\nconnect %d\nread %d\nwrite %d\nstatus %d\ntimeout %d\n",
    summary.requests, e.connect, e.read, e.write, e.status, e.timeout))
  f:write(string.format("p50_ms %.1f\np99_ms %.1f\nmax_ms %.1f\n", latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
  f:close()
end
EOF
wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 10s -s "$TMP/soak.lua" \
    "http://127.0.0.1:$BRIDGE_PORT/v1/chat/completions" >"$TMP/wrk.out" 2>&1 &
WRK_PID=$!
PIDS+=("$WRK_PID")

# --- the EPP faults -------------------------------------------------------------
(
    i=0
    while [[ ! -f "$TMP/stop" ]]; do
        for ((t = 0; t < FAULT_EVERY * 5; t++)); do [[ -f "$TMP/stop" ]] && break; sleep 0.2; done
        [[ -f "$TMP/stop" ]] && break
        pid="$(cat "$TMP/epp.pid")"
        case $((i % 4)) in
            0)  echo "$((SECONDS - T0)) pause: SIGSTOP for $((DEADLINE_MS * 5 / 2)) ms"
                kill -STOP "$pid"
                sleep "$(awk -v ms="$DEADLINE_MS" 'BEGIN {printf "%.3f", ms * 2.5 / 1000}')"
                kill -CONT "$pid" ;;
            1)  echo "$((SECONDS - T0)) kill: SIGKILL, restart after 1 s"
                kill -KILL "$pid"; wait "$pid" 2>/dev/null || true
                sleep 1
                start_epp || echo "restart failed" ;;
            2)  echo "$((SECONDS - T0)) stop: SIGTERM, restart at once"
                kill -TERM "$pid"
                for _ in {1..50}; do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
                kill -KILL "$pid" 2>/dev/null || true
                start_epp || echo "restart failed" ;;
            3)  echo "$((SECONDS - T0)) none" ;;
        esac
        i=$((i + 1))
    done
) >"$TMP/faults.log" 2>&1 &
INJECTOR_PID=$!
PIDS+=("$INJECTOR_PID")

# --- watch: samples, the request cap, the bridge's life ---------------------------
warm_at=$((DURATION / 10 > 5 ? DURATION / 10 : 5))
mid_at=$((DURATION / 2))
took_warm=0 took_mid=0 capped=0
while kill -0 "$WRK_PID" 2>/dev/null; do
    sleep 1
    el=$((SECONDS - T0))
    if ! kill -0 "$BRIDGE_PID" 2>/dev/null; then
        FAILED+=("the bridge died at ${el} s")
        kill -INT "$WRK_PID" 2>/dev/null || true
        break
    fi
    ((took_warm == 0 && el >= warm_at)) && { sample warm-up; took_warm=1; }
    ((took_mid == 0 && el >= mid_at)) && { sample middle; took_mid=1; }
    if ((capped == 0)) && scrape 2>/dev/null && (($(metric_sum epp_bridge_requests_total) >= REQUESTS)); then
        echo "soak: $REQUESTS requests reached at ${el} s"
        capped=1
        kill -INT "$WRK_PID" 2>/dev/null || true
    fi
    if ((el > DURATION + 30)); then
        FAILED+=("wrk did not end")
        kill -KILL "$WRK_PID" 2>/dev/null || true
    fi
done
wait "$WRK_PID" 2>/dev/null || true
((took_warm)) || sample warm-up
((took_mid)) || sample middle
sample load-end
touch "$TMP/stop"
wait "$INJECTOR_PID" 2>/dev/null || true
epp_pid="$(cat "$TMP/epp.pid")"
kill -CONT "$epp_pid" 2>/dev/null || true
kill -0 "$epp_pid" 2>/dev/null || start_epp

# --- after the load ---------------------------------------------------------------
if kill -0 "$BRIDGE_PID" 2>/dev/null; then
    recovered=0
    for _ in {1..50}; do pick_ok && { recovered=1; break; }; sleep 0.2; done
    ((recovered)) || FAILED+=("the bridge does not pick again after the faults")
    sleep 2  # linger (1 s) and idle connections settle
    sample end
else
    FAILED+=("the bridge died")
fi

echo
echo "EPP faults: $(grep -c ' pause:' "$TMP/faults.log" || true) pauses, $(grep -c ' kill:' "$TMP/faults.log" || true) kills," \
     "$(grep -c ' stop:' "$TMP/faults.log" || true) stops (each restarted), one every $FAULT_EVERY s"
grep -q 'restart failed' "$TMP/faults.log" && FAILED+=("the dev-epp did not restart")
if [[ -f "$TMP/summary.txt" ]]; then
    declare -A W
    while read -r k v; do W[$k]="$v"; done <"$TMP/summary.txt"
    echo "requests: ${W[requests]} in $((SECONDS - T0)) s; latency p50 ${W[p50_ms]} ms, p99 ${W[p99_ms]} ms, max ${W[max_ms]} ms"
    echo "socket errors: connect ${W[connect]}, read ${W[read]}, write ${W[write]}, timeout ${W[timeout]}"
    echo "answers (count status outcome reason):"
    sort -k1,1nr "$TMP/counts.txt" | sed 's/^/  /'
    ((W[timeout] == 0)) || FAILED+=("${W[timeout]} requests hung past 10 s (wrk timeouts)")
    ((W[connect] == 0)) || FAILED+=("${W[connect]} connect errors")
    closed=$((W[read] + W[write]))
    ((closed <= MAX_CLOSED)) \
        || FAILED+=("$closed connections closed by the bridge without an answer (wrk read/write errors; bound $MAX_CLOSED)")
    if grep -qE '^[0-9]+ [0-9]+ - ' "$TMP/counts.txt"; then
        FAILED+=("answers without X-EPP-Outcome")
    fi
else
    cat "$TMP/wrk.out" >&2
    FAILED+=("wrk wrote no summary")
fi
inflight=""
if kill -0 "$BRIDGE_PID" 2>/dev/null && scrape; then
    echo "metrics:"
    grep -E '^epp_bridge_(requests_total|errors_total|epp_reconnects_total|caller_hangups_total|inflight_exchanges|epp_channel_state)' \
        "$TMP/metrics.txt" | grep -Ev '^epp_bridge_epp_channel_state.* 0$' | sed 's/^/  /'
    echo "  (sum) epp_bridge_requests_total $(metric_sum epp_bridge_requests_total)," \
         "epp_bridge_epp_reconnects_total $(metric_sum epp_bridge_epp_reconnects_total)"
    inflight="$(metric_sum epp_bridge_inflight_exchanges)"
    [[ "$inflight" == 0 ]] || FAILED+=("$inflight exchanges still in flight after the load")
fi

echo "bridge RSS and fds:"
for s in start warm-up middle load-end end; do
    [[ -n "${RSS[$s]:-}" ]] && printf '  %-8s rss=%6s KiB fds=%4s\n' "$s" "${RSS[$s]}" "${FDS[$s]}"
done
if [[ -n "${RSS[end]:-}" ]]; then
    growth=$((RSS[end] - RSS[warm-up]))
    echo "  RSS growth after warm-up: $growth KiB (bound $RSS_GROWTH_KB KiB); fds: start ${FDS[start]}, end ${FDS[end]} (bound +$FD_GROWTH)"
    ((growth <= RSS_GROWTH_KB)) || FAILED+=("RSS grew by $growth KiB after warm-up")
    ((FDS[end] <= FDS[start] + FD_GROWTH)) || FAILED+=("fds grew from ${FDS[start]} to ${FDS[end]}")
fi
if grep -qE 'terminate called|AddressSanitizer|runtime error' "$TMP/bridge.log"; then
    FAILED+=("the bridge's log reports a crash")
    grep -E -A3 'terminate called|AddressSanitizer|runtime error' "$TMP/bridge.log" | head -n 20 >&2
fi

if [[ ${#FAILED[@]} -gt 0 ]]; then
    printf 'SOAK FAILED: %s\n' "${FAILED[@]}"
    tail -n 20 "$TMP/bridge.log" >&2
    exit 1
fi
echo "SOAK PASSED"
