#!/usr/bin/env bash
# Fault matrix through NGINX: every way the EPP can fail, under FailClose and
# FailOpen (deploy/nginx/failure-modes.conf.in), each request answered within
# the bridge's deadline plus a margin. FailClose must give the bridge's
# defined 5xx with its reason (X-EPP-Error) and reach no model server;
# FailOpen must give 200 from a pool member. The observed matrix is written
# to reports/fault-matrix.md beside the binary (the build directory); with
# MATRIX_DOC=docs/reliability.md (`make docs`) it also replaces that page's
# generated section.
set -euo pipefail
# shellcheck source=tests/lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
e2e_init "$@"

DEADLINE_MS=1500
LIMIT_S=3.5  # deadline + margin for a loaded machine: no answer may take longer
MATRIX_DOC="${MATRIX_DOC:--}"
# One report per EPP transport (EPP_BRIDGE_EPP_TRANSPORT, which serve reads).
REPORT="$(dirname "$BIN")/reports/fault-matrix${EPP_BRIDGE_EPP_TRANSPORT:+-$EPP_BRIDGE_EPP_TRANSPORT}.md"
STOPPED=()   # dev-epps stopped with SIGSTOP: continued before the cleanup
trap 'rc=$?; for p in "${STOPPED[@]}"; do kill -CONT "$p" 2>/dev/null || true; done; (exit $rc); e2e_cleanup' EXIT

start_mocks 2
POOL="$(csv "${MOCK_PORTS[@]}")"
start_dev_epp EPP_PORT --endpoints "$POOL"            # faults on request
EPP_PID="$SPAWNED_PID"
start_dev_epp HOLE_PORT --endpoints "$POOL"           # accepts, never answers
kill -STOP "$SPAWNED_PID"
STOPPED+=("$SPAWNED_PID")
start_dev_epp TLS_PORT --endpoints "$POOL" --tls      # TLS; the bridge speaks h2c
start_dev_epp SICK_PORT --endpoints "$POOL" --health not-serving  # grpc.health.v1 NOT_SERVING
free_port DEAD_PORT                                   # nothing listens
# The mocks listen on loopback: any other endpoint from the EPP is refused.
start_bridge --deadline-ms "$DEADLINE_MS" --allowed-endpoint-cidr 127.0.0.0/8 \
    --epp-health-interval-ms 200

# gateway NAME EPP-PORT: a failure-modes NGINX for that EPP; port in GW_NAME.
gateway() {
    local name="$1" epp="$2" port try
    for ((try = 0; try < 3; try++)); do
        free_port port
        if start_nginx "gw-$name" "$REPO_DIR/deploy/nginx/failure-modes.conf.in" "$port" \
            "LISTEN=127.0.0.1:$port" "BRIDGE_ADDR=127.0.0.1:$BRIDGE_PORT" "EPP_PORT=$epp" \
            "POOL_SERVERS=$(pool_servers "${MOCK_PORTS[@]}")"; then
            printf -v "GW_$name" '%s' "$port"
            return 0
        fi
    done
    fail "gateway $name did not start"
}
GW_main="" GW_dead="" GW_hole="" GW_tls="" GW_sick=""
gateway main "$EPP_PORT"
gateway sick "$SICK_PORT"
gateway dead "$DEAD_PORT"
gateway hole "$HOLE_PORT"
gateway tls "$TLS_PORT"

# ask GW-PORT MODE [CURL-ARGS...]: one chat request through failclose.local
# or failopen.local; prints "STATUS|SERVER|REASON|SECONDS".
ask() {
    local gw="$1" mode="$2"
    shift 2
    "${CURL[@]}" -o /dev/null -w '%{http_code}|%header{x-mock-server}|%header{x-epp-error}|%{time_total}\n' \
        "http://127.0.0.1:$gw/v1/chat/completions" -H "Host: $mode.local" \
        -H 'content-type: application/json' \
        -d '{"model":"demo","messages":[{"role":"user","content":"hi"}]}' "$@" \
        || echo "000|||20"
}

in_pool() { [[ ",$POOL," == *",$1,"* ]]; }
within_limit() { awk -v t="$1" -v l="$LIMIT_S" 'BEGIN {exit !(t <= l)}'; }
secs() { awk -v t="$1" 'BEGIN {printf "%.1f s", t}'; }

MATRIX=()
# row WHAT GW-PORT STATUS REASON [CURL-ARGS...]: FailClose must answer STATUS
# with REASON (200 and "-": picked, from a pool member; REASON "immediate":
# the EPP's own answer, passed through), FailOpen 200 from a pool member (the
# EPP's own answer when immediate); both within LIMIT_S. The two run at the
# same time.
row() {
    local what="$1" gw="$2" want_status="$3" want_reason="$4" c o
    shift 4
    ask "$gw" failclose "$@" >"$E2E_TMP/row-close" &
    local pc=$!
    ask "$gw" failopen "$@" >"$E2E_TMP/row-open" &
    local po=$!
    wait "$pc" "$po"
    IFS='|' read -r c_status c_server c_reason c_time <"$E2E_TMP/row-close"
    IFS='|' read -r o_status o_server _ o_time <"$E2E_TMP/row-open"
    if [[ "$want_reason" == immediate ]]; then
        assert_eq "$want_status " "$c_status $c_server" "$what: FailClose status (no model server)"
        c="$c_status, the EPP's immediate response"
    elif [[ "$want_status" == 200 ]]; then
        assert_eq 200 "$c_status" "$what: FailClose status"
        in_pool "$c_server" || fail "$what: FailClose served by '$c_server', not a pool member"
        c="200 picked, served by the pool"
    else
        assert_eq "$want_status $want_reason" "$c_status $c_reason" "$what: FailClose status and reason"
        assert_eq "" "$c_server" "$what: FailClose reached a model server"
        c="$c_status \`$c_reason\`"
    fi
    within_limit "$c_time" || fail "$what: FailClose took $c_time s (limit $LIMIT_S s)"
    if [[ "$want_reason" == immediate ]]; then
        assert_eq "$want_status " "$o_status $o_server" "$what: FailOpen status (no model server)"
        o="$o_status, the EPP's immediate response"
    else
        assert_eq 200 "$o_status" "$what: FailOpen status"
        in_pool "$o_server" || fail "$what: FailOpen served by '$o_server', not a pool member"
        o="200, served by the pool"
    fi
    within_limit "$o_time" || fail "$what: FailOpen took $o_time s (limit $LIMIT_S s)"
    note "$what: FailClose $c ($(secs "$c_time")), FailOpen $o ($(secs "$o_time"))"
    MATRIX+=("| $what | $c | $(secs "$c_time") | $o | $(secs "$o_time") |")
}

row "none (healthy EPP)" "$GW_main" 200 -
row "EPP refuses the connection (nothing listening)" "$GW_dead" 503 epp-unavailable
row "EPP blackholed (accepts TCP, never answers)" "$GW_hole" 504 deadline-exceeded
row "EPP silent on the stream (\`no-reply\`)" "$GW_main" 504 deadline-exceeded -H 'x-dev-epp-fault: no-reply'
row "EPP slower than the deadline (\`delay=3000\`)" "$GW_main" 504 deadline-exceeded -H 'x-dev-epp-fault: delay=3000'
row "EPP slow within the deadline (\`delay=300\`)" "$GW_main" 200 - -H 'x-dev-epp-fault: delay=300'
row "gRPC error (\`grpc-error\`)" "$GW_main" 502 grpc-error -H 'x-dev-epp-fault: grpc-error'
for g in "" =model.local:80 =10.0.0.1:0 =10.0.0.1:70000 '=[::1]' '=10.0.0.1:80 x'; do
    row "garbage endpoint (\`garbage-endpoint$g\`)" "$GW_main" 502 invalid-endpoint \
        -H "x-dev-epp-fault: garbage-endpoint$g"
done
row "EPP ends the stream right after the decision (\`close-after-pick\`)" "$GW_main" 200 - \
    -H 'x-dev-epp-fault: close-after-pick'
row "EPP sheds the request (\`status=429\`)" "$GW_main" 429 immediate -H 'x-dev-epp-fault: status=429'
row "EPP answers 204 with a body (\`status=204\`)" "$GW_main" 204 immediate -H 'x-dev-epp-fault: status=204'
row "endpoint outside \`--allowed-endpoint-cidr\` (\`garbage-endpoint=10.0.0.1:8000\`)" "$GW_main" \
    502 endpoint-not-allowed -H 'x-dev-epp-fault: garbage-endpoint=10.0.0.1:8000'
row "header and metadata disagree (\`mismatch\`)" "$GW_main" 502 endpoint-mismatch -H 'x-dev-epp-fault: mismatch'
row "stream closed before a decision (\`close-early\`)" "$GW_main" 502 no-decision -H 'x-dev-epp-fault: close-early'
row "oversized decision: 5,000 endpoints (\`endpoints=5000\`)" "$GW_main" 502 epp-answer-too-large \
    -H 'x-dev-epp-fault: endpoints=5000'
row "EPP streams body replies without end (\`endless-body\`)" "$GW_main" 502 body-too-large \
    -H 'x-dev-epp-fault: endless-body'
row "EPP ignores the half-close after the decision (\`ignore-half-close\`; cancelled at \`--linger-ms\`)" "$GW_main" 200 - \
    -H 'x-dev-epp-fault: ignore-half-close'
row "EPP sets a 5,000-byte header (\`set-header-bytes=5000\`)" "$GW_main" 200 - \
    -H 'x-dev-epp-fault: set-header-bytes=5000'
row "immediate response naming a destination (\`immediate-destination\`)" "$GW_main" 200 immediate \
    -H "x-dev-epp-fault: immediate-destination=${POOL%%,*}"
row "TLS mismatch (bridge h2c, EPP \`--tls\`)" "$GW_tls" 503 epp-unavailable
# The first request opens the channel and its first health probe; wait for
# the answer (probes every 200 ms) before the row.
ask "$GW_sick" failclose >/dev/null
for ((i = 0; i < 50; i++)); do
    [[ "$(ask "$GW_sick" failclose)" == 503\|*epp-not-serving* ]] && break
    sleep 0.1
done
row "EPP reports NOT_SERVING on grpc.health.v1 (\`--health not-serving\`)" "$GW_sick" 503 \
    epp-not-serving

# The EPP process paused while the bridge's channel to it is up.
kill -STOP "$EPP_PID"
STOPPED+=("$EPP_PID")
row "EPP paused (SIGSTOP) with the channel up" "$GW_main" 504 deadline-exceeded
kill -CONT "$EPP_PID"
row "EPP continued (SIGCONT)" "$GW_main" 200 -

# Killed and restarted under load: two FailClose and two FailOpen callers
# send requests back to back for 4 s; the EPP is killed after 1 s and
# restarted on its port 1 s later. Every request must get a defined answer.
load_loop() {  # load_loop MODE END-SECONDS OUT
    while ((SECONDS < $2)); do echo "$1|$(ask "$GW_main" "$1")" >>"$3"; done
}
end=$((SECONDS + 4))
: >"$E2E_TMP/load"
load_pids=()
for mode in failclose failclose failopen failopen; do
    load_loop "$mode" "$end" "$E2E_TMP/load" &
    load_pids+=($!)
done
sleep 1
{ kill -KILL "$EPP_PID"; wait "$EPP_PID"; } 2>/dev/null || true
sleep 1
spawn dev-epp-restarted "$BIN" dev-epp --listen "127.0.0.1:$EPP_PORT" --endpoints "$POOL"
wait_port "$EPP_PORT" "$SPAWNED_PID" || fail "the dev-epp did not restart on $EPP_PORT"
wait "${load_pids[@]}"
declare -A seen=()
n=0 slowest=0
while IFS='|' read -r mode status server reason t; do
    n=$((n + 1))
    within_limit "$t" || fail "under restart: a $mode request took $t s (limit $LIMIT_S s)"
    slowest="$(awk -v a="$slowest" -v b="$t" 'BEGIN {print (b > a) ? b : a}')"
    if [[ "$mode" == failopen || "$status" == 200 ]]; then
        assert_eq 200 "$status" "under restart: $mode status"
        in_pool "$server" || fail "under restart: $mode served by '$server', not a pool member"
        seen["$mode 200"]=$((${seen["$mode 200"]:-0} + 1))
    else
        [[ "$status" =~ ^50[234]$ && -n "$reason" && -z "$server" ]] \
            || fail "under restart: FailClose answered '$status|$server|$reason'"
        seen["$mode $status $reason"]=$((${seen["$mode $status $reason"]:-0} + 1))
    fi
done <"$E2E_TMP/load"
((n >= 8)) || fail "under restart: only $n requests were sent"
summary_close="" summary_open=""
for k in $(printf '%s\n' "${!seen[@]}" | sort | tr ' ' '~'); do
    k="${k//\~/ }"
    case "$k" in
        failclose\ 200) summary_close+="${summary_close:+, }${seen[$k]}× 200 picked" ;;
        failclose\ *) read -r _ s r <<<"$k"; summary_close+="${summary_close:+, }${seen[$k]}× $s \`$r\`" ;;
        failopen\ *) summary_open+="${seen[$k]}× 200, served by the pool" ;;
    esac
done
[[ "$summary_close" == *"\`"* ]] || note "under restart: no FailClose request hit the outage (machine slow?)"
note "killed and restarted under load ($n requests): FailClose $summary_close; FailOpen $summary_open; slowest $(secs "$slowest")"
MATRIX+=("| EPP killed and restarted under load ($n requests in 4 s) | $summary_close | ≤ $(secs "$slowest") | $summary_open | ≤ $(secs "$slowest") |")

# After the restart the EPP decides again.
ok=0
for ((i = 0; i < 30; i++)); do
    IFS='|' read -r s server _ _ <<<"$(ask "$GW_main" failclose)"
    [[ "$s" == 200 ]] && in_pool "$server" && { ok=1; break; }
    sleep 0.1
done
((ok)) || fail "no pick after the EPP restarted"

# The observed matrix: a report in the build directory, and on request the
# generated section of docs/reliability.md, between the markers.
mkdir -p "$(dirname "$REPORT")"
{
    echo "Observed by \`tests/e2e/test_fault_matrix.sh\` (bridge \`--deadline-ms $DEADLINE_MS\`; every answer within $LIMIT_S s):"
    echo
    echo "| fault | FailClose answer | time | FailOpen answer | time |"
    echo "| --- | --- | --- | --- | --- |"
    printf '%s\n' "${MATRIX[@]}"
} >"$REPORT"
note "matrix written to $REPORT"
if [[ "$MATRIX_DOC" != - && -f "$MATRIX_DOC" ]] && grep -q '<!-- matrix:begin -->' "$MATRIX_DOC"; then
    cp "$REPORT" "$E2E_TMP/matrix.md"
    awk -v gen="$E2E_TMP/matrix.md" '
        /<!-- matrix:begin -->/ {print; while ((getline l < gen) > 0) print l; skip = 1; next}
        /<!-- matrix:end -->/ {skip = 0}
        !skip {print}' "$MATRIX_DOC" >"$E2E_TMP/doc.md"
    cat "$E2E_TMP/doc.md" >"$MATRIX_DOC"
    note "matrix written to ${MATRIX_DOC#"$REPO_DIR"/}"
fi
