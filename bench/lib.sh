# shellcheck shell=bash
# Helpers of bench/run.sh: load runs with h2load and `epp-bridge pick`,
# statistics, memory, and the results table. Needs tests/lib/lib.sh sourced
# first (BIN, E2E_TMP, fail, the process helpers) and CONC, SECS, EPP,
# PICK and BRIDGE_HDRS set by the caller.

RESULTS=()   # "figure<TAB>measured<TAB>target<TAB>verdict<TAB>detail"
N_PASS=0 N_FAIL=0

# need_tools TOOL...: exits 2 when one is not on PATH.
need_tools() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || { echo "$tool not found: run bench/install-deps.sh" >&2; exit 2; }
    done
}

bench_header() {
    local cpu
    cpu="$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)"
    MACHINE="$(nproc) cores, ${cpu:-unknown CPU}, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), Linux $(uname -r)"
    DATE="$(date -u +%Y-%m-%dT%H:%MZ)"
    echo "== epp-bridge benchmarks"
    echo "machine: $MACHINE"
    echo "date:    $DATE"
    echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) at start"
    echo "binary:  $BIN ($(file -b "$BIN" 2>/dev/null | cut -d, -f1 || true))"
    echo "rounds $ROUNDS, ${SECS} s per load run, $CONC in flight"
}

section() { echo; echo "-- $*"; }

# median N...: the middle value (lower middle for an even count).
median() {
    printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END{if (NR) print v[int((NR+1)/2)]; else print "n/a"}'
}

# ratio A B: A/B with 2 decimals, or n/a.
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN{ if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a/b; else print "n/a" }'
}

# report FIGURE VALUE OP TARGET DETAIL: one target line, PASS or FAIL.
report() {
    local name="$1" value="$2" op="$3" target="$4" detail="$5" verdict
    if awk -v v="$value" -v t="$target" -v op="$op" 'BEGIN{
            if (v !~ /^[0-9.]+$/) exit 1
            exit !((op == "<=" && v <= t) || (op == ">=" && v >= t)) }'; then
        verdict=PASS N_PASS=$((N_PASS + 1))
    else
        verdict=FAIL N_FAIL=$((N_FAIL + 1))
    fi
    printf '  %-58s %8s   target %s %-5s %s\n' "$name" "$value" "$op" "$target" "$verdict"
    echo "      ($detail)"
    RESULTS+=("$name"$'\t'"$value"$'\t'"$op $target"$'\t'"$verdict"$'\t'"$detail")
}

# info FIGURE VALUE DETAIL: a measured figure without a target.
info() {
    printf '  %-58s %8s   (no target)\n' "$1" "$2"
    echo "      ($3)"
    RESULTS+=("$1"$'\t'"$2"$'\t'"-"$'\t'"info"$'\t'"$3")
}

# report_rounds FIGURE OP TARGET ARRAY DETAIL: report of the median of the
# rounds' ratios held in the array named ARRAY, the rounds printed before DETAIL.
report_rounds() {
    local -n rounds_="$4"
    report "$1" "$(median "${rounds_[@]}")" "$2" "$3" "median of the rounds' ratios (${rounds_[*]}); $5"
}

# info_rounds FIGURE ARRAY DETAIL: the same without a target.
info_rounds() {
    local -n rounds_="$2"
    info "$1" "$(median "${rounds_[@]}")" "median of the rounds' ratios (${rounds_[*]}); $3"
}

bench_footer() {
    echo
    echo "== results ($MACHINE; $DATE; $1 s)"
    local row name value target verdict
    for row in "${RESULTS[@]}"; do
        IFS=$'\t' read -r name value target verdict _ <<<"$row"
        printf '  %-58s %8s   %-8s %s\n' "$name" "$value" "$target" "$verdict"
    done
    echo "targets: $N_PASS PASS, $N_FAIL FAIL"
    if [[ -n "${BENCH_OUT:-}" ]]; then
        {
            printf 'machine\t%s\ndate\t%s\n' "$MACHINE" "$DATE"
            printf '%s\n' "${RESULTS[@]}"
        } >"$BENCH_OUT"
    fi
    if [[ "${BENCH_STRICT:-}" == 1 && $N_FAIL -gt 0 ]]; then exit 1; fi
    return 0
}

# h2load_ok FILE: an h2load run where every request that finished got a 2xx
# (in -D mode a response may land after the count closes: 2xx >= succeeded).
h2load_ok() {
    awk '/^requests:/{for (i = 1; i <= NF; i++) {v = $(i-1) + 0; k = $i; sub(/,$/, "", k); n[k] = v}}
         /^status codes:/{ok = $3; bad = $5 + $7 + $9}
         END{exit !(n["succeeded"] > 0 && n["failed"] == 0 && n["errored"] == 0 &&
                    bad == 0 && ok >= n["succeeded"])}' "$1"
}

# Load runs set globals (they are not run in $(...)): RPS, NREQ and CLIENT_CPU
# (CPU seconds of the load generator, from /usr/bin/time).

# h2load_run URL H2LOAD-ARGS...: a closed-loop run of chat POSTs to URL for
# SECS seconds (no warm-up inside: callers warm up first, so that the CPU
# accounting covers exactly the requests counted).
h2load_run() {
    local url="$1" out="$E2E_TMP/h2load.txt"
    shift
    /usr/bin/time -f '%U %S' -o "$E2E_TMP/time.txt" \
        h2load --h1 "$@" -D "$SECS" -d "$E2E_TMP/chat.json" \
        -H 'content-type: application/json' "$url" >"$out" 2>&1 || true
    h2load_ok "$out" || fail "h2load $url: $(grep -E '^(requests|status codes)' "$out" | tr '\n' ' ')"
    RPS="$(awk '/^finished in/{print $4+0}' "$out")"
    NREQ="$(awk '/^requests:/{print $2}' "$out")"
    CLIENT_CPU="$(awk '{print $1+$2}' "$E2E_TMP/time.txt")"
}

# h2load_bridge PORT H2LOAD-ARGS...: the same straight to a bridge.
h2load_bridge() {
    local port="$1"
    shift
    h2load_run "http://127.0.0.1:$port/v1/chat/completions" "${BRIDGE_HDRS[@]}" "$@"
}

# pick_run PICK-ARGS...: a closed-loop run of the direct gRPC client.
pick_run() {
    local out="$E2E_TMP/pick.txt"
    /usr/bin/time -f '%U %S' -o "$E2E_TMP/time.txt" "${PICK[@]}" "$@" >"$out" 2>&1 \
        || fail "pick: $(tail -3 "$out")"
    RPS="$(awk '/^throughput_rps:/{print $2}' "$out")"
    NREQ="$(awk '/^requests:/{print $2}' "$out")"
    CLIENT_CPU="$(awk '{print $1+$2}' "$E2E_TMP/time.txt")"
}

# timed_run NAME CMD...: runs a load client that prints pick's "requests: N"
# line; its output goes to $E2E_TMP/NAME.txt. Sets NREQ and CLIENT_CPU (the
# whole process, from /usr/bin/time).
timed_run() {
    local out="$E2E_TMP/$1.txt"
    shift
    /usr/bin/time -f '%U %S' -o "$E2E_TMP/time.txt" "$@" >"$out" 2>&1 \
        || fail "$(basename "$1"): $(tail -3 "$out")"
    NREQ="$(awk '/^requests:/{print $2}' "$out")"
    CLIENT_CPU="$(awk '{print $1+$2}' "$E2E_TMP/time.txt")"
}

# h2load_serial PORT N: "p50 p99 rate" (ms, ms, req/s) of N chat POSTs sent
# one at a time on one connection, with the bridge's headers.
h2load_serial() {
    local port="$1" n="$2" out="$E2E_TMP/h2load-serial.txt" log="$E2E_TMP/h2load-serial.log"
    rm -f "$log"
    h2load --h1 -c 1 -n "$n" --log-file "$log" "${BRIDGE_HDRS[@]}" -d "$E2E_TMP/chat.json" \
        "http://127.0.0.1:$port/v1/chat/completions" >"$out" 2>&1 || true
    h2load_ok "$out" || fail "h2load -c 1 on :$port: $(grep -E '^(requests|status codes)' "$out" | tr '\n' ' ')"
    log_stats "$log"
}

# cpu_s PID...: CPU seconds (user + system) used so far by these processes
# and, for an NGINX master, its workers.
cpu_s() {
    local pid all=()
    for pid in "$@"; do
        all+=("$pid")
        while read -r c; do all+=("$c"); done < <(pgrep -P "$pid" 2>/dev/null || true)
    done
    for pid in "${all[@]}"; do cat "/proc/$pid/stat" 2>/dev/null || true; done \
        | awk -v hz="$(getconf CLK_TCK)" '{s += $14 + $15} END{printf "%.3f", s/hz}'
}

# us_per_req CPU0 CPU1 N: microseconds of CPU per request.
us_per_req() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN{printf "%.1f", (b-a)*1e6/n}'; }

# sum X...: the sum of decimal figures, to one decimal.
sum() { awk 'BEGIN{s = 0; for (i = 1; i < ARGC; i++) s += ARGV[i]; printf "%.1f", s}' "$@"; }

# pick_at_rate RATE: "p50 p99 achieved-rate" of pick at a fixed rate.
pick_at_rate() {
    local rate="$1" out="$E2E_TMP/pick-rate.txt"
    "${PICK[@]}" --rate "$rate" --concurrency "$CONC" --requests $((rate * SECS)) >"$out" 2>&1 \
        || fail "pick --rate: $(tail -3 "$out")"
    awk '/^throughput_rps:/{r=$2}
         /^latency_ms:/{split($2, a, "="); split($4, b, "="); p50=a[2]; p99=b[2]}
         END{printf "%.3f %.3f %.0f\n", p50, p99, r}' "$out"
}

# h2load_at_rate PORT RATE: "p50 p99 achieved-rate" of h2load at a fixed
# rate: CONC connections at RATE/CONC req/s each, their start staggered
# (RATE/1000 per ms) so that arrivals spread evenly, not in bursts.
h2load_at_rate() {
    local port="$1" rate="$2" out="$E2E_TMP/h2load-rate.txt" log="$E2E_TMP/h2load-rate.log"
    local per_ms=$(((rate + 999) / 1000))
    rm -f "$log"
    h2load --h1 -c "$CONC" -r "$per_ms" --rate-period 1ms \
        --rps "$(awk -v r="$rate" -v c="$CONC" 'BEGIN{printf "%.3f", r/c}')" \
        -n $((rate * SECS)) --log-file "$log" "${BRIDGE_HDRS[@]}" -d "$E2E_TMP/chat.json" \
        "http://127.0.0.1:$port/v1/chat/completions" >"$out" 2>&1 || true
    h2load_ok "$out" || fail "h2load --rps: $(grep -E '^(requests|status codes)' "$out" | tr '\n' ' ')"
    log_stats "$log"
}

# log_stats H2LOAD-LOG: "p50 p99 achieved-rate" (ms, ms, req/s) of a log file
# (start µs, status, elapsed µs per request), nearest-rank percentiles.
log_stats() {
    sort -t$'\t' -k3,3n "$1" | awk -F'\t' '
        {v[NR]=$3/1000; if (NR==1 || $1<lo) lo=$1; if ($1>hi) hi=$1}
        END{
            i50=int(NR*0.50); if (i50<NR*0.50) i50++; if (i50<1) i50=1
            i99=int(NR*0.99); if (i99<NR*0.99) i99++; if (i99<1) i99=1
            printf "%.3f %.3f %.0f\n", v[i50], v[i99], (hi>lo ? (NR-1)/((hi-lo)/1e6) : 0)
        }'
}

# h2load_p50_once PORT BODY-FILE N: p50 latency (ms) of N sequential POSTs of
# BODY-FILE straight to a bridge.
h2load_p50_once() {
    local port="$1" body="$2" n="$3" out="$E2E_TMP/h2load-big.txt" log="$E2E_TMP/h2load-big.log"
    rm -f "$log"
    h2load --h1 -c 1 -n "$n" --log-file "$log" "${BRIDGE_HDRS[@]}" -d "$body" \
        "http://127.0.0.1:$port/v1/chat/completions" >"$out" 2>&1 || true
    h2load_ok "$out" || fail "h2load 4 MiB: $(grep -E '^(requests|status codes)' "$out" | tr '\n' ' ')"
    log_stats "$log" | cut -d' ' -f1
}

# make_prompt FILE BYTES: a chat request of exactly BYTES bytes.
make_prompt() {
    local pre='{"model":"demo","messages":[{"role":"user","content":"' post='"}]}'
    {
        printf '%s' "$pre"
        head -c $(($2 - ${#pre} - ${#post})) /dev/zero | tr '\0' 'a'
        printf '%s' "$post"
    } >"$1"
}

# rss_mib PID: resident set size in MiB (VmRSS).
rss_mib() { awk '/^VmRSS:/{printf "%.1f", $2/1024}' "/proc/$1/status"; }
# anon_mib PID: RssAnon (the process's private pages) in MiB.
anon_mib() { awk '/^RssAnon:/{printf "%.1f", $2/1024}' "/proc/$1/status"; }
# rss_detail PID: the RSS split into anonymous and file-backed pages (shared
# libraries' code), and the PSS (shared pages divided among their users).
rss_detail() {
    awk '/^(RssAnon|RssFile):/{printf "%s%s %.1f MiB", sep, $1, $2/1024; sep=", "}' \
        "/proc/$1/status"
    awk '/^Pss:/{printf ", Pss: %.1f MiB", $2/1024}' "/proc/$1/smaps_rollup" 2>/dev/null || true
}
threads_of() { ls "/proc/$1/task" | wc -l; }

# admin_port LOG: the admin listener's port from a bridge's startup log.
admin_port() {
    local i p
    for ((i = 0; i < 50; i++)); do
        p="$(sed -n 's/.*admin listening on [^ ]*:\([0-9][0-9]*\) .*/\1/p' "$1" | head -1)"
        [[ -n "$p" ]] && { echo "$p"; return 0; }
        sleep 0.1
    done
}
