#!/usr/bin/env bash
# Instruction profile of the bridge's request path with callgrind.
#
#   bench/profile.sh BUILD_DIR [REQUESTS] [BODY_BYTES]
#
# Starts a dev-epp and the bridge under valgrind --tool=callgrind (instrumentation
# off during start-up and warm-up), sends REQUESTS chat completions (default
# 2000; BODY_BYTES > 0 sends a body of that size instead) with h2load, and
# prints the functions with the largest inclusive and exclusive shares of
# the instructions executed. The raw profile stays in
# BUILD_DIR/profile/callgrind.out (open it with callgrind_annotate or
# kcachegrind). Not part of make bench: it takes a minute or two.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
[[ $# -ge 1 && -x "$1/epp-bridge" ]] || { echo "usage: $0 BUILD_DIR [REQUESTS] [BODY_BYTES]" >&2; exit 2; }
build="$(cd "$1" && pwd)"
requests="${2:-2000}"
body_bytes="${3:-0}"

# shellcheck source=tests/lib/lib.sh
source "$repo/tests/lib/lib.sh"
e2e_init "$build/epp-bridge"
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
need_tools valgrind callgrind_control callgrind_annotate h2load

out="$build/profile"
mkdir -p "$out"
rm -f "$out"/callgrind.out*

CHAT='{"model":"demo","messages":[{"role":"user","content":"Write a haiku about load balancers."}],"max_tokens":64}'
if ((body_bytes > 0)); then
    make_prompt "$E2E_TMP/chat.json" "$body_bytes"
else
    printf '%s' "$CHAT" >"$E2E_TMP/chat.json"
fi
start_dev_epp EPP --endpoints 127.0.0.1:8000 --log-level warn

# The bridge under callgrind. wait_port allows 10 s; valgrind starts slower.
free_port BRIDGE
spawn bridge valgrind --tool=callgrind --instr-atstart=no \
    --callgrind-out-file="$out/callgrind.out" \
    "$BIN" serve --listen "127.0.0.1:$BRIDGE" --endpoint-picker-disable-tls --log-level warn \
    --threads "${PROFILE_THREADS:-2}"
PID="$SPAWNED_PID"
for ((i = 0; i < 600; i++)); do
    port_in_use "$BRIDGE" && break
    kill -0 "$PID" 2>/dev/null || fail "the bridge under valgrind exited: $(tail -5 "$E2E_TMP/bridge.log")"
    sleep 0.1
done
port_in_use "$BRIDGE" || fail "the bridge under valgrind did not listen"

BRIDGE_HDRS=(-H 'x-epp-host: 127.0.0.1' -H "x-epp-port: $EPP" -H 'x-epp-path: /v1/chat/completions'
             -H 'content-type: application/json')
# run_load N: N chat requests; DONE = how many got a 2xx. Under valgrind a
# connection of h2load's occasionally fails: reported, and left out of the
# per-request figure.
run_load() {
    h2load --h1 -c 4 -n "$1" "${BRIDGE_HDRS[@]}" -d "$E2E_TMP/chat.json" \
        "http://127.0.0.1:$BRIDGE/v1/chat/completions" >"$E2E_TMP/h2load.txt" 2>&1 || true
    DONE="$(awk '/^status codes:/{print $3}' "$E2E_TMP/h2load.txt")"
    [[ "${DONE:-0}" -gt 0 ]] || fail "load: $(cat "$E2E_TMP/h2load.txt")"
    h2load_ok "$E2E_TMP/h2load.txt" \
        || echo "note: $(grep -E '^(requests|status codes)' "$E2E_TMP/h2load.txt" | tr '\n' ' ')"
}
run_load 100   # warm-up: channel, connections, allocator, lazy initialisation
callgrind_control -i on "$PID" >/dev/null 2>&1
start=$SECONDS
run_load "$requests"
echo "profiled $DONE requests in $((SECONDS - start)) s under callgrind"
callgrind_control -i off "$PID" >/dev/null 2>&1
kill -TERM "$PID"
for ((i = 0; i < 300; i++)); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
file="$(ls -S "$out"/callgrind.out* | head -1)"
[[ -s "$file" ]] || fail "no callgrind output"

total="$(callgrind_annotate "$file" 2>/dev/null | awk '/PROGRAM TOTALS/{gsub(",", "", $1); print $1}')"
echo "instructions in the profiled window: $total ($(awk -v t="$total" -v n="$DONE" 'BEGIN{printf "%.0f", t/n}') per request)"
echo
echo "== inclusive (a function and everything it calls), top 45"
callgrind_annotate --inclusive=yes --threshold=100 "$file" 2>/dev/null \
    | sed -n '/^Ir/,$p' | sed '1,2d' | head -45 | cut -c1-200 || true
echo
echo "== exclusive (the function's own instructions), top 30"
callgrind_annotate --threshold=100 "$file" 2>/dev/null \
    | sed -n '/^Ir/,$p' | sed '1,2d' | head -30 | cut -c1-200 || true
echo
echo "raw profile: $file"
