#!/usr/bin/env bash
# epp-bridge benchmarks: each figure of docs/benchmarks.md as a ratio measured
# in this run, on this machine, against the same dev-epp, printed beside its
# target with PASS or FAIL.
#
#   bench/run.sh BUILD_DIR          (make bench: BUILD_DIR=build-release)
#
# A and B of a ratio run interleaved (A B A B ..., BENCH_ROUNDS rounds); each
# round gives one ratio, from an A and a B measured seconds apart, and the
# figure is the median of those ratios, so the machine's speed drifting
# between rounds (other work on a shared host) cancels out within each pair. Every server listens on a free loopback port and
# is stopped by the EXIT trap (tests/lib/lib.sh). About 2 minutes.
#
# Sections: micro (Google Benchmark), throughput and latency (bridge vs
# `pick`, no targets), transport (`pick` over the HTTP/2 transport against
# `pick` over gRPC C++), threads, floors (the bridge's two halves against
# h2_floor_client and http1_floor_server, the least an HTTP/2 ext_proc client
# and a keep-alive HTTP/1.1 server can do per request: client floor, own cost,
# latency), syscalls (context switches and system calls per request, with
# perf), fullpath (NGINX+njs: the bridge's share of the CPU), memory (RssAnon),
# prompt (4 MiB bodies).
#
# Environment:
#   BENCH_ROUNDS=5        rounds of each interleaved comparison
#   BENCH_SECONDS=3       length of one load run
#   BENCH_CONCURRENCY=32  requests in flight (HTTP connections, gRPC streams)
#   BENCH_ONLY="..."      run only these sections: micro throughput latency
#                         transport floors syscalls fullpath memory prompt threads
#   BENCH_EPP_TRANSPORT=h2  the EPP transport of every bridge and `pick` run
#                         (grpc or h2; the transport section runs both)
#   BENCH_SERIAL_REQUESTS=6000  requests of a one-at-a-time run (transport, floors;
#                         CPU time is counted in 10 ms ticks)
#   BENCH_CHUNKS="..."    --chunk-bytes of the large-prompt sweep (bytes)
#   BENCH_OUT=FILE        also write the results table (TSV) to FILE
#   BENCH_STRICT=1        exit 1 when a target FAILs
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
[[ $# -ge 1 && -x "$1/epp-bridge" ]] || { echo "usage: $0 BUILD_DIR (with epp-bridge, micro_bench, epp_probe, h2_floor_client, http1_floor_server)" >&2; exit 2; }
build="$(cd "$1" && pwd)"
MICRO="$build/micro_bench"
PROBE="$build/epp_probe"

# shellcheck source=tests/lib/lib.sh
source "$repo/tests/lib/lib.sh"
e2e_init "$build/epp-bridge"
source "$here/lib.sh"
need_tools h2load nginx curl ss

ROUNDS="${BENCH_ROUNDS:-5}"
SECS="${BENCH_SECONDS:-3}"
CONC="${BENCH_CONCURRENCY:-32}"
ONLY="${BENCH_ONLY:-micro throughput latency transport floors syscalls fullpath memory prompt threads}"
TRANSPORT="${BENCH_EPP_TRANSPORT:-h2}"
# Every serve and pick started below inherits it (a flag still overrides it).
export EPP_BRIDGE_EPP_TRANSPORT="$TRANSPORT" EPP_BRIDGE_PICK_EPP_TRANSPORT="$TRANSPORT"
wants() { [[ " $ONLY " == *" $1 "* ]]; }

bench_header
echo "EPP transport of the bridges and pick: $TRANSPORT (BENCH_EPP_TRANSPORT)"
t_start=$SECONDS

# --- micro-benchmarks of the hot path -----------------------------------------
if wants micro; then
    section "micro-benchmarks (Google Benchmark, $MICRO)"
    [[ -x "$MICRO" ]] || fail "$MICRO not built (cmake -DEPP_BRIDGE_BENCH=ON)"
    "$MICRO" --benchmark_min_time=0.1 --benchmark_counters_tabular=true 2>&1 \
        | grep -v -e '^\*\*\*WARNING' -e '^$' || fail "micro_bench failed"
fi

# --- the servers --------------------------------------------------------------
# One mock model server, one dev-epp picking it, and bridges that differ in
# one flag each. Logs at warn: the dev-epp logs every stream at info.
CHAT='{"model":"demo","messages":[{"role":"user","content":"Write a haiku about load balancers."}],"max_tokens":64}'
printf '%s' "$CHAT" >"$E2E_TMP/chat.json"
start_mocks 1
MOCKS_PID="$SPAWNED_PID"
MOCK="127.0.0.1:${MOCK_PORTS[0]}"
start_dev_epp EPP --endpoints "$MOCK" --log-level warn
EPP_PID="$SPAWNED_PID"
# start_bridge_named NAME PORTVAR PIDVAR [FLAGS...]
start_bridge_named() {
    local name="$1" portvar="$2" pidvar="$3"
    shift 3
    start_on_port "$name" "$portvar" "$BIN" serve --listen 127.0.0.1:@PORT@ \
        --endpoint-picker-disable-tls --log-level warn "$@"
    printf -v "$pidvar" '%s' "$SPAWNED_PID"
}
PICK=("$BIN" pick --epp "127.0.0.1:$EPP" --endpoint-picker-disable-tls --body "$CHAT"
      -H 'content-type: application/json')
BRIDGE_HDRS=(-H 'x-epp-host: 127.0.0.1' -H "x-epp-port: $EPP" -H 'x-epp-path: /v1/chat/completions'
             -H 'content-type: application/json')

# Both sides once, so that channels and connections exist before measuring.
warm_up() {  # warm_up BRIDGE_PORT
    "${PICK[@]}" --requests 200 --concurrency 8 >/dev/null || fail "pick warm-up failed"
    h2load --h1 -c 8 -n 200 "${BRIDGE_HDRS[@]}" -d "$E2E_TMP/chat.json" \
        "http://127.0.0.1:$1/v1/chat/completions" >"$E2E_TMP/warm.txt" 2>&1 \
        || fail "h2load warm-up failed: $(tail -3 "$E2E_TMP/warm.txt")"
    h2load_ok "$E2E_TMP/warm.txt" || fail "bridge warm-up: $(grep -E 'status codes|requests:' "$E2E_TMP/warm.txt")"
}

DIRECT_MAX=""
if wants throughput || wants latency || wants threads; then
    start_bridge_named bridge BRIDGE BRIDGE_PID
    warm_up "$BRIDGE"
    # pick has a request count, not a duration: size it from a short run.
    calib="$("${PICK[@]}" --requests 2000 --concurrency "$CONC" | awk '/^throughput_rps/{print $2}')"
    PICK_N="$(awk -v r="$calib" -v s="$SECS" 'BEGIN{n=int(r*s); print (n<2000?2000:n)}')"
fi

# --- throughput: maximum req/s, bridge vs direct gRPC ----------------------------
if wants throughput || wants latency || wants threads; then
    section "throughput: closed loop, $CONC in flight, ${SECS} s runs, $ROUNDS rounds"
    d=() b=() cd=() cb=() tr=()
    for ((r = 1; r <= ROUNDS; r++)); do
        e0="$(cpu_s "$EPP_PID")"
        pick_run --requests "$PICK_N" --concurrency "$CONC"
        e1="$(cpu_s "$EPP_PID")"
        d+=("$RPS")
        cd+=("$(us_per_req 0 "$CLIENT_CPU" "$NREQ") $(us_per_req "$e0" "$e1" "$NREQ")")
        e0="$(cpu_s "$EPP_PID")" b0="$(cpu_s "$BRIDGE_PID")"
        h2load_bridge "$BRIDGE" -c "$CONC"
        e1="$(cpu_s "$EPP_PID")" b1="$(cpu_s "$BRIDGE_PID")"
        b+=("$RPS")
        tr+=("$(ratio "$RPS" "${d[-1]}")")
        cb+=("$(us_per_req 0 "$CLIENT_CPU" "$NREQ") $(us_per_req "$b0" "$b1" "$NREQ") $(us_per_req "$e0" "$e1" "$NREQ")")
        read -r pc ec <<<"${cd[-1]}"
        read -r hc bc ec2 <<<"${cb[-1]}"
        echo "  round $r: direct ${d[-1]} req/s (CPU us/req: pick $pc, dev-epp $ec)" \
            "  bridge ${b[-1]} req/s (CPU us/req: h2load $hc, bridge $bc, dev-epp $ec2)  ratio ${tr[-1]}"
    done
    DIRECT_MAX="$(median "${d[@]}")"
    BRIDGE_MAX="$(median "${b[@]}")"
    info_rounds "throughput: bridge max / direct max" tr \
        "medians: bridge $BRIDGE_MAX req/s, direct (pick) $DIRECT_MAX req/s"
    col() { local i="$1"; shift; printf '%s\n' "$@" | awk -v i="$i" '{print $i}'; }
    PC="$(median $(col 1 "${cd[@]}"))" EC="$(median $(col 2 "${cd[@]}"))"
    HC="$(median $(col 1 "${cb[@]}"))" BC="$(median $(col 2 "${cb[@]}"))" EC2="$(median $(col 3 "${cb[@]}"))"
    info "CPU per request: bridge path / direct path" \
        "$(ratio "$(sum "$HC" "$BC" "$EC2")" "$(sum "$PC" "$EC")")" \
        "us/req: direct = pick $PC + dev-epp $EC; bridge = h2load $HC + bridge $BC + dev-epp $EC2"
fi

# --- latency at the same fixed rate ---------------------------------------------
if wants latency || wants threads; then
    RATE="$(awk -v m="$DIRECT_MAX" 'BEGIN{printf "%d", m/4}')"
fi
if wants latency; then
    section "latency: fixed rate $RATE req/s (a quarter of the direct maximum), ${SECS} s runs, $ROUNDS rounds"
    dp50=() dp99=() bp50=() bp99=() r50=() r99=()
    for ((r = 1; r <= ROUNDS; r++)); do
        read -r a50 a99 arate < <(pick_at_rate "$RATE")
        read -r b50 b99 brate < <(h2load_at_rate "$BRIDGE" "$RATE")
        dp50+=("$a50") dp99+=("$a99") bp50+=("$b50") bp99+=("$b99")
        r50+=("$(ratio "$b50" "$a50")") r99+=("$(ratio "$b99" "$a99")")
        echo "  round $r: direct p50 $a50 p99 $a99 ms ($arate req/s)   bridge p50 $b50 p99 $b99 ms ($brate req/s)  ratios ${r50[-1]} ${r99[-1]}"
    done
    D50="$(median "${dp50[@]}")" D99="$(median "${dp99[@]}")"
    B50="$(median "${bp50[@]}")" B99="$(median "${bp99[@]}")"
    info_rounds "latency p50: bridge / direct @ $RATE req/s" r50 \
        "medians: bridge $B50 ms, direct $D50 ms"
    info_rounds "latency p99: bridge / direct @ $RATE req/s" r99 \
        "medians: bridge $B99 ms, direct $D99 ms"
fi

# --- transport: pick over HTTP/2 against pick over gRPC C++ ----------------------
if wants transport; then
    SERIAL_T="${BENCH_SERIAL_REQUESTS:-6000}"
    calib="$("${PICK[@]}" --epp-transport grpc --requests 2000 --concurrency "$CONC" | awk '/^throughput_rps/{print $2}')"
    T_N="$(awk -v r="$calib" -v s="$SECS" 'BEGIN{n=int(r*s); print (n<2000?2000:n)}')"
    section "transport: pick --epp-transport h2 / pick --epp-transport grpc, client CPU per request;" \
        "$T_N requests at $CONC in flight, $SERIAL_T one at a time, $ROUNDS rounds"
    for t in grpc h2; do "${PICK[@]}" --epp-transport "$t" --requests 500 --concurrency 8 >/dev/null; done
    x32=() x1=() g32=() h32=() g1=() h1=()
    for ((r = 1; r <= ROUNDS; r++)); do
        pick_run --epp-transport grpc --requests "$T_N" --concurrency "$CONC"
        g32+=("$(us_per_req 0 "$CLIENT_CPU" "$NREQ")")
        pick_run --epp-transport h2 --requests "$T_N" --concurrency "$CONC"
        h32+=("$(us_per_req 0 "$CLIENT_CPU" "$NREQ")")
        pick_run --epp-transport grpc --requests "$SERIAL_T" --concurrency 1
        g1+=("$(us_per_req 0 "$CLIENT_CPU" "$NREQ")")
        pick_run --epp-transport h2 --requests "$SERIAL_T" --concurrency 1
        h1+=("$(us_per_req 0 "$CLIENT_CPU" "$NREQ")")
        x32+=("$(ratio "${h32[-1]}" "${g32[-1]}")") x1+=("$(ratio "${h1[-1]}" "${g1[-1]}")")
        echo "  round $r: CPU us/req at $CONC in flight: grpc ${g32[-1]}, h2 ${h32[-1]} (${x32[-1]});" \
            "one at a time: grpc ${g1[-1]}, h2 ${h1[-1]} (${x1[-1]})"
    done
    report_rounds "transport: pick h2 / pick grpc CPU, $CONC in flight" "<=" 0.33 x32 \
        "medians us/req: h2 $(median "${h32[@]}"), grpc $(median "${g32[@]}")"
    report_rounds "transport: pick h2 / pick grpc CPU, one at a time" "<=" 0.33 x1 \
        "medians us/req: h2 $(median "${h1[@]}"), grpc $(median "${g1[@]}")"
fi

# --- thread model: --threads 1 vs 2 ----------------------------------------------
if wants threads; then
    section "thread model: bridge --threads 1 vs --threads 2 (max req/s at $CONC in flight; latency at $RATE req/s)"
    start_bridge_named bridge-t1 BT1 BT1_PID --threads 1
    start_bridge_named bridge-t2 BT2 BT2_PID --threads 2
    warm_up "$BT1"
    warm_up "$BT2"
    echo "  OS threads: --threads 1: $(threads_of "$BT1_PID"), --threads 2: $(threads_of "$BT2_PID")"
    t1=() t2=() l1=() l2=() q1=() q2=() rt=() rl=() rq=()
    for ((r = 1; r <= ROUNDS; r++)); do
        h2load_bridge "$BT1" -c "$CONC"
        t1+=("$RPS")
        h2load_bridge "$BT2" -c "$CONC"
        t2+=("$RPS")
        read -r a50 a99 _ < <(h2load_at_rate "$BT1" "$RATE")
        read -r b50 b99 _ < <(h2load_at_rate "$BT2" "$RATE")
        l1+=("$a50") q1+=("$a99") l2+=("$b50") q2+=("$b99")
        rt+=("$(ratio "${t2[-1]}" "${t1[-1]}")") rl+=("$(ratio "$b50" "$a50")") rq+=("$(ratio "$b99" "$a99")")
        echo "  round $r: 1 thread ${t1[-1]} req/s, p50 $a50 p99 $a99 ms   2 threads ${t2[-1]} req/s, p50 $b50 p99 $b99 ms" \
            " ratios ${rt[-1]} ${rl[-1]} ${rq[-1]}"
    done
    info "threads: max req/s, 2 threads / 1 thread" "$(median "${rt[@]}")" \
        "rounds ${rt[*]}; medians: 1 thread $(median "${t1[@]}") req/s, 2 threads $(median "${t2[@]}") req/s"
    info "threads: p50 @ $RATE req/s, 2 threads / 1 thread" "$(median "${rl[@]}")" \
        "rounds ${rl[*]}; medians: 1 thread $(median "${l1[@]}") ms, 2 threads $(median "${l2[@]}") ms"
    info "threads: p99 @ $RATE req/s, 2 threads / 1 thread" "$(median "${rq[@]}")" \
        "rounds ${rq[*]}; medians: 1 thread $(median "${q1[@]}") ms, 2 threads $(median "${q2[@]}") ms"
fi

# --- floors: the bridge against the least its two halves could cost ------------------
# The bridge is an HTTP/1.1 server plus an ext_proc client. h2_floor_client is
# the least an HTTP/2 ext_proc client can do per request (one thread, libnghttp2,
# pick's messages); http1_floor_server the least a keep-alive HTTP/1.1 server
# can (Beast, one thread, a fixed decision). pick and the bridge use the h2
# transport here. The client floor runs pick on one worker loop, as the floor
# client runs on one; pick on two loops is printed beside it.
if wants floors; then
    FLOOR_CLIENT="$build/h2_floor_client" FLOOR_SERVER="$build/http1_floor_server"
    for b in "$FLOOR_CLIENT" "$FLOOR_SERVER"; do
        [[ -x "$b" ]] || fail "$b not built (cmake -DEPP_BRIDGE_BENCH=ON)"
    done
    SERIAL_N="${BENCH_SERIAL_REQUESTS:-6000}"
    start_bridge_named bridge-h2 BH2 BH2_PID --epp-transport h2
    start_on_port floor-server FS "$FLOOR_SERVER" --port @PORT@
    FS_PID="$SPAWNED_PID"
    PICK_H2=("${PICK[@]}" --epp-transport h2)
    FLOOR=("$FLOOR_CLIENT" --epp "127.0.0.1:$EPP" --body "$CHAT" -H 'content-type: application/json')
    # Warm-up of every side; pick has a request count: size the closed-loop
    # runs from a short one.
    "${FLOOR[@]}" --requests 200 --concurrency 8 >"$E2E_TMP/warm.txt" 2>&1 \
        || fail "h2_floor_client warm-up: $(tail -3 "$E2E_TMP/warm.txt")"
    for port in "$BH2" "$FS"; do
        h2load --h1 -c 8 -n 200 "${BRIDGE_HDRS[@]}" -d "$E2E_TMP/chat.json" \
            "http://127.0.0.1:$port/v1/chat/completions" >"$E2E_TMP/warm.txt" 2>&1 || true
        h2load_ok "$E2E_TMP/warm.txt" || fail "warm-up of :$port: $(grep -E 'status codes|requests:' "$E2E_TMP/warm.txt")"
    done
    calib="$("${PICK_H2[@]}" --requests 2000 --concurrency "$CONC" | awk '/^throughput_rps/{print $2}')"
    FLOOR_N="$(awk -v r="$calib" -v s="$SECS" 'BEGIN{n=int(r*s); print (n<2000?2000:n)}')"
    section "floors: pick (h2) and the bridge (serve --epp-transport h2) against h2_floor_client" \
        "and http1_floor_server; $FLOOR_N requests at $CONC in flight, $SERIAL_N one at a time," \
        "h2load ${SECS} s at $CONC connections, $ROUNDS rounds"
    cf32=() cf1=() own=() l50=() l99=() v_pc=() v_fc=() v_ps=() v_fs=() v_bc=() v_sc=()
    t1=() v_p1=()
    v_p50=() v_p99=() v_s50=() v_s99=() v_b50=() v_b99=()
    for ((r = 1; r <= ROUNDS; r++)); do
        # client floor, closed loop and one at a time; pick on its default
        # worker loops, as many as the bridge's, is the own cost's client
        timed_run pick "${PICK_H2[@]}" --requests "$FLOOR_N" --concurrency "$CONC"
        pc="$(us_per_req 0 "$CLIENT_CPU" "$NREQ")"
        timed_run floor "${FLOOR[@]}" --requests "$FLOOR_N" --concurrency "$CONC"
        fc="$(us_per_req 0 "$CLIENT_CPU" "$NREQ")"
        # pick on one worker loop, as the floor client runs on one: like with
        # like, our code on top of the same client work
        timed_run pick "${PICK_H2[@]}" --requests "$FLOOR_N" --concurrency "$CONC" --threads 1
        p1="$(us_per_req 0 "$CLIENT_CPU" "$NREQ")"
        t1+=("$(ratio "$pc" "$fc")") v_p1+=("$p1")
        timed_run pick "${PICK_H2[@]}" --requests "$SERIAL_N" --concurrency 1 --threads 1
        ps="$(us_per_req 0 "$CLIENT_CPU" "$NREQ")"
        read -r p50 p99 <<<"$(awk '/^latency_ms:/{split($2, a, "="); split($4, b, "="); print a[2], b[2]}' "$E2E_TMP/pick.txt")"
        timed_run floor "${FLOOR[@]}" --requests "$SERIAL_N" --concurrency 1
        fs="$(us_per_req 0 "$CLIENT_CPU" "$NREQ")"
        # own cost: the same h2load load on the bridge and on the floor server
        b0="$(cpu_s "$BH2_PID")"
        h2load_bridge "$BH2" -c "$CONC"
        bc="$(us_per_req "$b0" "$(cpu_s "$BH2_PID")" "$NREQ")"
        s0="$(cpu_s "$FS_PID")"
        h2load_bridge "$FS" -c "$CONC"
        sc="$(us_per_req "$s0" "$(cpu_s "$FS_PID")" "$NREQ")"
        # latency, one request at a time
        read -r b50 b99 _ < <(h2load_serial "$BH2" "$SERIAL_N")
        read -r s50 s99 _ < <(h2load_serial "$FS" "$SERIAL_N")
        cf32+=("$(ratio "$p1" "$fc")") cf1+=("$(ratio "$ps" "$fs")")
        own+=("$(ratio "$bc" "$(sum "$pc" "$sc")")")
        l50+=("$(ratio "$b50" "$(awk -v a="$p50" -v b="$s50" 'BEGIN{print a+b}')")")
        l99+=("$(ratio "$b99" "$(awk -v a="$p99" -v b="$s99" 'BEGIN{print a+b}')")")
        v_pc+=("$pc") v_fc+=("$fc") v_ps+=("$ps") v_fs+=("$fs") v_bc+=("$bc") v_sc+=("$sc")
        v_p50+=("$p50") v_p99+=("$p99") v_s50+=("$s50") v_s99+=("$s99") v_b50+=("$b50") v_b99+=("$b99")
        echo "  round $r: CPU us/req: pick $p1 (one loop; $pc on its default loops) / floor $fc at $CONC," \
            "pick $ps / floor $fs one at a time; bridge $bc vs pick $pc + floor server $sc"
        echo "           latency ms: bridge p50 $b50 p99 $b99, pick p50 $p50 p99 $p99," \
            "floor server p50 $s50 p99 $s99; ratios ${cf32[-1]} ${cf1[-1]} ${own[-1]} ${l50[-1]} ${l99[-1]}"
    done
    report_rounds "client floor: pick (h2, one loop) / h2_floor_client CPU, $CONC in flight" "<=" 1.5 cf32 \
        "medians us/req: pick $(median "${v_p1[@]}"), floor $(median "${v_fc[@]}")"
    report_rounds "client floor: pick (h2, one loop) / h2_floor_client CPU, one at a time" "<=" 1.5 cf1 \
        "medians us/req: pick $(median "${v_ps[@]}"), floor $(median "${v_fs[@]}")"
    info_rounds "client floor with pick on its default loops (as many as the bridge's), $CONC in flight" t1 \
        "medians us/req: pick $(median "${v_pc[@]}"), floor $(median "${v_fc[@]}")"
    report_rounds "own cost: bridge CPU / (pick + http1_floor_server)" "<=" 1.2 own \
        "medians us/req: bridge $(median "${v_bc[@]}"), pick $(median "${v_pc[@]}"), floor server $(median "${v_sc[@]}")"
    report_rounds "latency p50, one at a time: bridge / (pick + floor server)" "<=" 1.2 l50 \
        "medians ms: bridge $(median "${v_b50[@]}"), pick $(median "${v_p50[@]}"), floor server $(median "${v_s50[@]}")"
    report_rounds "latency p99, one at a time: bridge / (pick + floor server)" "<=" 1.5 l99 \
        "medians ms: bridge $(median "${v_b99[@]}"), pick $(median "${v_p99[@]}"), floor server $(median "${v_s99[@]}")"
fi

# --- syscalls: context switches and system calls per request (perf) ------------------
if wants syscalls; then
    section "syscalls: context switches and system calls per request, bridge and pick, $CONC in flight (perf stat)"
    if ! perf stat -e raw_syscalls:sys_enter,context-switches -x, -o "$E2E_TMP/perf-check.txt" -- true \
        >/dev/null 2>&1; then
        echo "  perf cannot count system calls here (perf stat -e raw_syscalls:sys_enter): skipped"
    else
        # perf_counts FILE N: "syscalls/req context-switches/req" from perf's CSV.
        perf_counts() {
            awk -F, -v n="$2" '$3 ~ /raw_syscalls:sys_enter/{s=$1} $3 ~ /context-switches/{c=$1}
                END{printf "%.2f %.2f", s/n, c/n}' "$1"
        }
        start_bridge_named bridge-sys BSYS BSYS_PID
        warm_up "$BSYS"
        S_N="${PICK_N:-20000}"
        perf stat -e raw_syscalls:sys_enter,context-switches -x, -o "$E2E_TMP/perf-pick.txt" -- \
            "${PICK[@]}" --requests "$S_N" --concurrency "$CONC" >"$E2E_TMP/pick-sys.txt" 2>&1 \
            || fail "pick under perf: $(tail -3 "$E2E_TMP/pick-sys.txt")"
        read -r ps pc <<<"$(perf_counts "$E2E_TMP/perf-pick.txt" "$S_N")"
        perf stat -e raw_syscalls:sys_enter,context-switches -x, -o "$E2E_TMP/perf-bridge.txt" \
            -p "$BSYS_PID" >/dev/null 2>&1 &
        perf_pid=$!
        sleep 0.5
        h2load_bridge "$BSYS" -c "$CONC"
        kill -INT "$perf_pid"
        wait "$perf_pid" || true
        read -r bs bcs <<<"$(perf_counts "$E2E_TMP/perf-bridge.txt" "$NREQ")"
        info "syscalls per request: bridge / pick" "$(ratio "$bs" "$ps")" \
            "bridge $bs (over $NREQ requests), pick $ps (over $S_N), EPP transport $TRANSPORT"
        info "context switches per request: bridge / pick" "$(ratio "$bcs" "$pc")" \
            "bridge $bcs, pick $pc"
    fi
fi

# --- full path: NGINX + NJS + bridge + dev-epp + mock vs plain proxy_pass ----------
if wants fullpath; then
    section "full path: NGINX+NJS+bridge+dev-epp+mock vs plain NGINX proxy_pass, $CONC connections, $ROUNDS rounds"
    # As deployed: the bridge holds each picked stream until NGINX's completion record.
    # BENCH_FULLPATH_ARGS: more serve flags for this bridge, split on spaces.
    # shellcheck disable=SC2086
    start_bridge_named bridge-gw GWB GWB_PID ${BENCH_FULLPATH_ARGS:-} \
        --completion-socket "$E2E_TMP/completion.sock" --completion-socket-group "$(nginx_worker_group)"
    start_gateway one-pool.conf.in "BRIDGE_ADDR=127.0.0.1:$GWB" "EPP_PORT=$EPP" \
        "POOL_SERVERS=$(pool_servers "${MOCK_PORTS[0]}")"
    GW_PID="$SPAWNED_PID"
    for ((try = 0; try < 3; try++)); do
        free_port PLAIN
        start_nginx plain "$here/nginx-plain.conf.in" "$PLAIN" "LISTEN=127.0.0.1:$PLAIN" \
            "MOCK_ADDR=$MOCK" && break
    done
    PLAIN_PID="$SPAWNED_PID"
    for p in "$GW_PORT" "$PLAIN"; do
        out="$(curl -sS --max-time 10 -o /dev/null -w '%{http_code} %header{x-mock-server}' \
            "http://127.0.0.1:$p/v1/chat/completions" -H 'content-type: application/json' -d "$CHAT")"
        [[ "$out" == "200 $MOCK" ]] || fail "full path check on :$p: '$out'"
    done
    for p in "$GW_PORT" "$PLAIN"; do
        h2load --h1 -c 8 -n 400 -d "$E2E_TMP/chat.json" -H 'content-type: application/json' \
            "http://127.0.0.1:$p/v1/chat/completions" >/dev/null 2>&1 || true
    done
    f=() p=() cf=() cp=() fr=()
    procs_full=("$GW_PID" "$GWB_PID" "$EPP_PID" "$MOCKS_PID")
    for ((r = 1; r <= ROUNDS; r++)); do
        c0=() c1=()
        for pid in "${procs_full[@]}"; do c0+=("$(cpu_s "$pid")"); done
        h2load_run "http://127.0.0.1:$GW_PORT/v1/chat/completions" -c "$CONC"
        for pid in "${procs_full[@]}"; do c1+=("$(cpu_s "$pid")"); done
        f+=("$RPS")
        cf+=("$(us_per_req 0 "$CLIENT_CPU" "$NREQ") $(for i in 0 1 2 3; do us_per_req "${c0[i]}" "${c1[i]}" "$NREQ"; echo -n ' '; done)")
        g0="$(cpu_s "$PLAIN_PID")" m0="$(cpu_s "$MOCKS_PID")"
        h2load_run "http://127.0.0.1:$PLAIN/v1/chat/completions" -c "$CONC"
        g1="$(cpu_s "$PLAIN_PID")" m1="$(cpu_s "$MOCKS_PID")"
        p+=("$RPS")
        fr+=("$(ratio "${f[-1]}" "$RPS")")
        cp+=("$(us_per_req 0 "$CLIENT_CPU" "$NREQ") $(us_per_req "$g0" "$g1" "$NREQ") $(us_per_req "$m0" "$m1" "$NREQ")")
        echo "  round $r: full path ${f[-1]} req/s   plain proxy ${p[-1]} req/s  ratio ${fr[-1]}"
        read -r a b c d e <<<"${cf[-1]}"
        echo "           CPU us/req, full path: h2load $a, NGINX $b, bridge $c, dev-epp $d, mock $e;" \
            "plain: $(awk '{printf "h2load %s, NGINX %s, mock %s", $1, $2, $3}' <<<"${cp[-1]}")"
    done
    FULL="$(median "${f[@]}")" PLAINR="$(median "${p[@]}")"
    info_rounds "full path / plain NGINX proxy (req/s)" fr \
        "medians: full path $FULL req/s, plain $PLAINR req/s"
    fc=() pc=()
    for i in 1 2 3 4 5; do fc+=("$(median $(printf '%s\n' "${cf[@]}" | awk -v i="$i" '{print $i}'))"); done
    for i in 1 2 3; do pc+=("$(median $(printf '%s\n' "${cp[@]}" | awk -v i="$i" '{print $i}'))"); done
    FT="$(sum "${fc[@]}")" PT="$(sum "${pc[@]}")"
    info "CPU per request: full path / plain proxy" "$(ratio "$FT" "$PT")" \
        "us/req: full = h2load ${fc[0]} + NGINX ${fc[1]} + bridge ${fc[2]} + dev-epp ${fc[3]} + mock ${fc[4]} = $FT; plain = h2load ${pc[0]} + NGINX ${pc[1]} + mock ${pc[2]} = $PT"
    sh=()
    for row in "${cf[@]}"; do
        sh+=("$(awk '{t = $1 + $2 + $3 + $4 + $5; if (t > 0) printf "%.1f", 100 * $3 / t; else print "n/a"}' <<<"$row")")
    done
    report "share of the full path: bridge CPU / all CPU (%)" "$(median "${sh[@]}")" "<=" 20 \
        "median of the rounds' shares (${sh[*]}); medians us/req: bridge ${fc[2]} of $FT (h2load, NGINX+njs, bridge with --completion-socket, dev-epp, mock)"
fi

# --- memory: idle and 1,000 held streams --------------------------------------------
if wants memory; then
    section "memory of the bridge (RssAnon: its private pages; VmRSS adds the shared libraries' file pages): idle, then 1,000 held streams"
    # Idle: a fresh bridge, then the same with its EPP channel open and no
    # exchange in flight (streams close right after the pick).
    start_bridge_named bridge-idle BIDLE BIDLE_PID
    sleep 1
    IDLE0="$(rss_mib "$BIDLE_PID")" D0="$(rss_detail "$BIDLE_PID")" A0="$(anon_mib "$BIDLE_PID")"
    curl -sS --max-time 10 -o /dev/null "http://127.0.0.1:$BIDLE/" -H 'x-epp-host: 127.0.0.1' \
        -H "x-epp-port: $EPP" -H 'content-type: application/json' -d "$CHAT" \
        || fail "bridge-idle: request failed"
    sleep 1
    IDLE1="$(rss_mib "$BIDLE_PID")" D1="$(rss_detail "$BIDLE_PID")" A1="$(anon_mib "$BIDLE_PID")"
    echo "  idle at start: $IDLE0 MiB ($D0)"
    echo "  idle, EPP channel open: $IDLE1 MiB ($D1)"
    # Held: with a completion socket and no NGINX writing records, every
    # picked stream stays open until --hold-ttl-ms.
    start_on_port bridge-held BHELD "$BIN" serve --listen 127.0.0.1:@PORT@ \
        --endpoint-picker-disable-tls --log-level info \
        --completion-socket "$E2E_TMP/held.sock" --hold-ttl-ms 120000
    BHELD_PID="$SPAWNED_PID"
    admin="$(admin_port "$E2E_TMP/bridge-held.log")"
    [[ -n "$admin" ]] || fail "bridge-held: no admin port in its log"
    # Each request needs its own X-EPP-Completion-Key (as NGINX's $request_id) to be held.
    printf '%032x\n' $(seq 1000) | xargs -P 50 -I{} curl -sS --max-time 30 -o /dev/null \
        -w '%{http_code}\n' "${BRIDGE_HDRS[@]}" -H 'x-epp-completion-key: {}' \
        --data-binary @"$E2E_TMP/chat.json" "http://127.0.0.1:$BHELD/v1/chat/completions" \
        >"$E2E_TMP/held.txt" 2>&1 || true
    [[ "$(grep -c '^200$' "$E2E_TMP/held.txt")" -eq 1000 ]] \
        || fail "held streams: $(sort "$E2E_TMP/held.txt" | uniq -c | tr '\n' ' ')"
    sleep 1
    held="$(curl -sS --max-time 5 "http://127.0.0.1:$admin/metrics" \
        | awk '/^epp_bridge_held_streams /{print int($2)}')"
    HELD="$(rss_mib "$BHELD_PID")" AHELD="$(anon_mib "$BHELD_PID")"
    echo "  $held held streams: $HELD MiB ($(rss_detail "$BHELD_PID"))"
    [[ "${held:-0}" -ge 1000 ]] || fail "expected 1,000 held streams, the bridge reports '${held}'"
    IDLE="$(awk -v a="$IDLE0" -v b="$IDLE1" 'BEGIN{print (a>b?a:b)}')"
    AIDLE="$(awk -v a="$A0" -v b="$A1" 'BEGIN{print (a>b?a:b)}')"
    report "memory: RssAnon idle and after one request (MiB)" "$AIDLE" "<=" 4 \
        "at start $A0 MiB, after one request $A1 MiB"
    report "memory: RssAnon with 1,000 held streams (MiB)" "$AHELD" "<=" 32 \
        "$held held streams, about $(awk -v a="$AHELD" -v b="$A1" 'BEGIN{printf "%.1f", (a-b)*1024/1000}') KiB each above idle"
    info "memory: VmRSS idle (MiB)" "$IDLE" "at start $IDLE0 MiB, after one request $IDLE1 MiB"
    info "memory: VmRSS with 1,000 held streams (MiB)" "$HELD" "$held held streams"
fi

# --- large prompt: 4 MiB, by chunk size -------------------------------------------------
if wants prompt; then
    CHUNKS="${BENCH_CHUNKS:-16384 65536 262144 1048576 4190208}"
    PROMPT_N="${BENCH_PROMPT_REQUESTS:-10}"
    section "large prompt: 4 MiB body, by --chunk-bytes, $PROMPT_N requests x $ROUNDS rounds"
    make_prompt "$E2E_TMP/prompt.json" $((4 << 20))
    declare -A BP=() PR_R=() PR_D=() PR_B=() PR_A=() PR_Q=()
    for c in $CHUNKS; do
        start_bridge_named "bridge-c$c" port_c BP_PID --chunk-bytes "$c"
        BP[$c]="$port_c"
    done
    [[ -x "$PROBE" ]] || fail "$PROBE not built (cmake -DEPP_BRIDGE_BENCH=ON)"
    # The least an HTTP/1.1 server takes to be sent the same body by h2load
    # and answer: the bridge's time includes that, `pick`'s does not.
    [[ -x "$build/http1_floor_server" ]] || fail "$build/http1_floor_server not built (cmake -DEPP_BRIDGE_BENCH=ON)"
    start_on_port floor-server-prompt FSP "$build/http1_floor_server" --port @PORT@
    fv=() ov=()
    printf '  %-10s %12s %12s %12s %12s %8s\n' chunk "EPP recv ms" "direct ms" "bridge ms" "added ms" ratio
    best="" best_ms=""
    for c in $CHUNKS; do
        rv=() dv=() bv=() qv=()
        for ((r = 1; r <= ROUNDS; r++)); do
            rv+=("$("$PROBE" --epp "127.0.0.1:$EPP" --body-file "$E2E_TMP/prompt.json" \
                --chunk-bytes "$c" --requests "$PROMPT_N" | sed -n 's/^recv_ms_p50=\([0-9.]*\).*/\1/p')")
            dv+=("$("$BIN" pick --epp "127.0.0.1:$EPP" --endpoint-picker-disable-tls \
                --body-file "$E2E_TMP/prompt.json" -H 'content-type: application/json' \
                --chunk-bytes "$c" --requests "$PROMPT_N" --concurrency 1 \
                | sed -n 's/^latency_ms: p50=\([0-9.]*\).*/\1/p')")
            bv+=("$(h2load_p50_once "${BP[$c]}" "$E2E_TMP/prompt.json" "$PROMPT_N")")
            # This round's ratio; a bridge no slower than pick (a negative
            # difference, within the noise) adds 0.
            qv+=("$(awk -v b="${bv[-1]}" -v d="${dv[-1]}" -v e="${rv[-1]}" \
                'BEGIN{a = b - d; if (a < 0) a = 0; if (e > 0) printf "%.2f", a / e; else print "n/a"}')")
            if [[ "$c" == 65536 ]]; then
                fv+=("$(h2load_p50_once "$FSP" "$E2E_TMP/prompt.json" "$PROMPT_N")")
                ov+=("$(ratio "${bv[-1]}" "$(sum "${dv[-1]}" "${fv[-1]}")")")
            fi
        done
        R="$(median "${rv[@]}")" D="$(median "${dv[@]}")" B="$(median "${bv[@]}")"
        A="$(awk -v b="$B" -v d="$D" 'BEGIN{printf "%.3f", b-d}')"
        Q="$(median "${qv[@]}")"
        printf '  %-10s %12s %12s %12s %12s %8s   rounds %s\n' "$c" "$R" "$D" "$B" "$A" "$Q" "${qv[*]}"
        PR_R[$c]="$R" PR_D[$c]="$D" PR_B[$c]="$B" PR_A[$c]="$A" PR_Q[$c]="$Q"
        if [[ -z "$best" ]] || awk -v b="$B" -v m="$best_ms" 'BEGIN{exit !(b<m)}'; then
            best="$c" best_ms="$B"
        fi
    done
    report "large prompt (4 MiB): bridge added / EPP receive, default 64 KiB chunks" \
        "${PR_Q[65536]:-n/a}" "<=" 1.2 \
        "added ${PR_A[65536]:-?} ms, EPP receive ${PR_R[65536]:-?} ms, bridge total ${PR_B[65536]:-?} ms"
    info_rounds "large prompt (4 MiB): bridge / (pick + http1_floor_server), 64 KiB chunks" ov \
        "medians ms: bridge ${PR_B[65536]:-?}, pick ${PR_D[65536]:-?}, floor server $(median "${fv[@]}")"
    info "large prompt (4 MiB): same at the fastest chunk size, $best B" "${PR_Q[$best]}" \
        "added ${PR_A[$best]} ms, EPP receive ${PR_R[$best]} ms, bridge total ${PR_B[$best]} ms (lowest bridge total of the sweep)"
fi

bench_footer $((SECONDS - t_start))
