#!/usr/bin/env bash
# One EPP variant through real NGINX + njs/epp.js + the bridge, against
# llm-d-inference-sim model servers. Runs every scenario that applies and
# appends one line per scenario to RESULTS:
#   VARIANT|SCENARIO|pass|fail|skip|n/a|limit|DETAIL
#   tests/interop/suite.sh VARIANT BIN RESULTS [SCENARIO-FILTER]
# VARIANT: llm-d-v0.9-plaintext, llm-d-v0.9-tls (llm-d-router v0.9.0, file
# discovery), llm-d-v0.7-kube (v0.7.1 over kube-stub), lwepp.
set -euo pipefail
VARIANT="${1:-}"
RESULTS="${3:-}"
FILTER="${4:-}"
[[ -n "$VARIANT" && -n "$RESULTS" ]] || { echo "usage: $0 VARIANT BIN RESULTS [FILTER]" >&2; exit 2; }
# shellcheck source=tests/interop/lib.sh
source "$(dirname "$0")/lib.sh"
E2E_NAME="$VARIANT"
e2e_init "$2"
# shellcheck source=tests/interop/scenarios.sh
source "$INTEROP_DIR/scenarios.sh"

case "$VARIANT" in
    llm-d-v0.9-plaintext) EPP_KIND=router EPP_TLS=false ;;
    llm-d-v0.9-tls) EPP_KIND=router EPP_TLS=true ;;
    llm-d-v0.7-kube) EPP_KIND=llmd EPP_TLS=false ;;
    lwepp) EPP_KIND=lwepp EPP_TLS=false ;;
    *) fail "unknown variant $VARIANT" ;;
esac
export EPP_KIND EPP_TLS

start=$SECONDS
start_pools
free_port DEAD_PORT
all_a_ips="$(IFS=,; echo "${POOL_A_IPS[*]}")"
EPP_PD_PORT="$DEAD_PORT" EPP_FC_PORT="$DEAD_PORT"  # llm-d-router's only
if [[ "$EPP_KIND" == router ]]; then
    # File discovery: each EPP reads its pool's endpoints from a file; the
    # conformance configuration and the EPP's default profile over pool A,
    # pool B with its own EPP, and the P/D pool (start_pd).
    start_router_epp conf EPP_CONF_PORT "$EPP_TLS" conformance "${POOL_A_ENDPOINTS[@]}"
    start_router_epp sched EPP_SCHED_PORT "$EPP_TLS" default "${POOL_A_ENDPOINTS[@]}"
    start_router_epp b EPP_B_PORT "$EPP_TLS" default "${POOL_B_ENDPOINTS[@]}"
    start_router_epp fc EPP_FC_PORT "$EPP_TLS" flowcontrol "${POOL_B_ENDPOINTS[@]}"
    start_pd
    wait_epp_ready "$EPP_CONF_PORT" "test-epp-endpoint-selection: $all_a_ips"
    wait_epp_ready "$EPP_SCHED_PORT"
    wait_epp_ready "$EPP_B_PORT"
    wait_epp_ready "$EPP_PD_PORT"
    wait_epp_ready "$EPP_FC_PORT"
elif [[ "$EPP_KIND" == llmd ]]; then
    start_kube_stub
    # The conformance configuration (test-epp-endpoint-selection) and the
    # production one (llm-d's sample scheduling profile), both over pool A;
    # pool B has its own EPP.
    start_llmd_epp conf EPP_CONF_PORT pool-a "$EPP_TLS" "$LLMD_CONFORMANCE_CONFIG"
    start_llmd_epp sched EPP_SCHED_PORT pool-a "$EPP_TLS" "$LLMD_SCHED_CONFIG"
    start_llmd_epp b EPP_B_PORT pool-b "$EPP_TLS" "$LLMD_SCHED_CONFIG"
    wait_epp_ready "$EPP_CONF_PORT" "test-epp-endpoint-selection: $all_a_ips"
    wait_epp_ready "$EPP_SCHED_PORT"
    wait_epp_ready "$EPP_B_PORT"
else
    start_lwepp conf EPP_CONF_PORT "$EPP_TLS" "${POOL_A_ENDPOINTS[@]}"
    EPP_SCHED_PORT="$EPP_CONF_PORT"
    start_lwepp b EPP_B_PORT "$EPP_TLS" "${POOL_B_ENDPOINTS[@]}"
    wait_epp_ready "$EPP_CONF_PORT"
    wait_epp_ready "$EPP_B_PORT"
fi
start_interop_bridge
start_interop_gateway
note "peers up in $((SECONDS - start)) s (EPP conf :$EPP_CONF_PORT sched :$EPP_SCHED_PORT B :$EPP_B_PORT P/D :$EPP_PD_PORT flow control :$EPP_FC_PORT, bridge :$BRIDGE_PORT, gateway :$GW_PORT)"

# run_scenario NAME: scenario_NAME in a subshell; records the outcome. A
# scenario may print "DETAIL: text" and "STATUS: skip|n/a|limit" lines. Each
# scenario gets its own result: a failing or hanging one (stopped after
# INTEROP_SCENARIO_TIMEOUT seconds, 120 by default) is recorded as failed and
# the next one runs; nothing here may end the suite.
SCENARIO_TIMEOUT="${INTEROP_SCENARIO_TIMEOUT:-120}"
run_scenario() {
    local name="$1" out rc pid status detail t0=$SECONDS timed_out=0 f
    [[ -z "$FILTER" || "$name" == *"$FILTER"* ]] || return 0
    echo "  --- $VARIANT: $name"
    local outf="$E2E_TMP/scenario-$name.out"
    set +e
    (E2E_NAME="$VARIANT/$name"; trap - EXIT TERM INT; "scenario_$name") >"$outf" 2>&1 </dev/null &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        if ((SECONDS - t0 >= SCENARIO_TIMEOUT)); then
            timed_out=1
            pkill -TERM -P "$pid" 2>/dev/null
            kill -TERM "$pid" 2>/dev/null
            break
        fi
        sleep 0.1
    done
    wait "$pid"
    rc=$?
    out="$(cat "$outf" 2>/dev/null)"
    sed 's/^/    /' <<<"$out"
    detail="$(grep '^DETAIL: ' <<<"$out" | tail -n 1 | cut -c9-)"
    status="$(grep '^STATUS: ' <<<"$out" | tail -n 1 | cut -c9-)"
    if ((timed_out)); then
        rc=1
        out+=$'\n'"FAIL [$VARIANT/$name]: no result after $SCENARIO_TIMEOUT s; stopped"
        echo "    FAIL [$VARIANT/$name]: no result after $SCENARIO_TIMEOUT s; stopped"
    fi
    if ((rc != 0)); then
        status=fail
        detail="$(grep '^FAIL ' <<<"$out" | tail -n 1 | sed 's/^FAIL \[[^]]*\]: //')"
        [[ -n "$detail" ]] || detail="exited with status $rc without a FAIL line"
        for f in "$E2E_TMP/gateway/logs/error.log" "$E2E_TMP/bridge.log" "$E2E_TMP"/epp-*.log; do
            [[ -s "$f" ]] || continue
            echo "    --- ${f#"$E2E_TMP"/} (last lines)"
            { grep -v '\[notice\]' "$f"; true; } | tail -n 8 | cut -c1-300 | sed 's/^/    /'
        done
    fi
    set -e
    status="${status:-pass}"
    echo "  --- $VARIANT: $name: $status ($((SECONDS - t0)) s)"
    printf '%s|%s|%s|%s\n' "$VARIANT" "$name" "$status" "${detail//|//}" >>"$RESULTS"
}

for s in "${SCENARIOS[@]}"; do run_scenario "$s"; done
note "bridge response phase at the end: $(bridge_response_counters | tr '\n' ' ')"
note "done in $((SECONDS - start)) s"
