# shellcheck shell=bash
# Helpers for the interop tier: the real peers (llm-d-router's EPP in
# file-discovery mode, llm-d's EPP v0.7.1 with kube-stub, the GIE lightweight
# EPP, llm-d-inference-sim, llm-d's P/D sidecar) on loopback, and the gateway
# from tests/interop/gateway.conf.in. Builds on tests/lib/lib.sh (processes,
# free ports, NGINX prefixes, assertions); source it, then call e2e_init BIN.

INTEROP_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tests/lib/lib.sh
source "$INTEROP_DIR/../lib/lib.sh"

: "${INTEROP_PEERS:?INTEROP_PEERS must name the directory of the built peers (build-peers.sh)}"
SIM="$INTEROP_PEERS/llm-d-inference-sim"
LLMD_EPP="$INTEROP_PEERS/epp"
KUBE_STUB="$INTEROP_PEERS/kube-stub"
LWEPP="$INTEROP_PEERS/lwepp-static"
ROUTER_EPP="$INTEROP_PEERS/router-epp"
PD_SIDECAR="$INTEROP_PEERS/pd-sidecar"

# Pool A: three model server "pods" on their own loopback IPs, each a
# simulator with three data-parallel ranks (ports P, P+1, P+2). Pool B: one
# pod with one port. Filled by start_pools.
POOL_A_IPS=(127.0.0.2 127.0.0.3 127.0.0.4)
POOL_B_IPS=(127.0.0.5)
declare -A POD_OF_IP=()   # ip -> pod name (the simulator's x-inference-pod)
declare -A PORTS_OF_IP=() # ip -> "p1 p2 p3"
POOL_A_ENDPOINTS=()       # ip:port of every endpoint of pool A
POOL_B_ENDPOINTS=()
NO_SUCH_IP=127.0.0.99     # in no pool

# free_port_run VAR N: a port P with P..P+N-1 all free, stored in VAR.
free_port_run() {
    local _var="$1" _n="$2" _try _p _i _ok
    for ((_try = 0; _try < 50; _try++)); do
        free_port _p
        _ok=1
        for ((_i = 1; _i < _n; _i++)); do
            if port_in_use $((_p + _i)) || [[ " ${E2E_PORTS[*]} " == *" $((_p + _i)) "* ]]; then
                _ok=0
                break
            fi
        done
        if ((_ok)); then
            for ((_i = 1; _i < _n; _i++)); do E2E_PORTS+=($((_p + _i))); done
            printf -v "$_var" '%s' "$_p"
            return 0
        fi
    done
    fail "no run of $_n free ports"
}

# start_sim POD IP RANKS: one llm-d-inference-sim for pod POD (echo mode,
# model "demo" with a LoRA adapter "rewritten", request ids echoed,
# x-inference-pod and x-inference-port on every answer); its ports go to
# PORTS_OF_IP[IP].
start_sim() {
    local pod="$1" ip="$2" ranks="$3" base i try ports
    for ((try = 0; try < 3; try++)); do
        free_port_run base "$ranks"
        spawn "sim-$pod" env POD_NAME="$pod" POD_NAMESPACE=default "$SIM" \
            --port "$base" --model demo --mode echo \
            --lora-modules '{"name":"rewritten","path":"/adapters/rewritten"}' --max-loras 2 \
            --data-parallel-size "$ranks" --enable-request-id-headers \
            --max-model-len 65536 --max-request-body-size-mb 32 --max-num-seqs 64 --v 1
        ports=""
        for ((i = 0; i < ranks; i++)); do
            wait_port $((base + i)) "$SPAWNED_PID" || { ports=""; break; }
            ports+="${ports:+ }$((base + i))"
        done
        if [[ -n "$ports" ]]; then
            POD_OF_IP[$ip]="$pod"
            PORTS_OF_IP[$ip]="$ports"
            return 0
        fi
        kill -KILL "$SPAWNED_PID" 2>/dev/null || true
    done
    cat "$E2E_TMP/sim-$pod.log" >&2
    fail "simulator $pod did not start"
}

# start_pools: pool A (pods with 3, 3 and 2 ranks: 8 target ports, the
# InferencePool maximum) and pool B (1 pod, 1 rank).
start_pools() {
    local i ip p ranks=(3 3 2)
    for i in "${!POOL_A_IPS[@]}"; do
        ip="${POOL_A_IPS[$i]}"
        start_sim "pool-a-$i" "$ip" "${ranks[$i]}"
        for p in ${PORTS_OF_IP[$ip]}; do POOL_A_ENDPOINTS+=("$ip:$p"); done
    done
    for i in "${!POOL_B_IPS[@]}"; do
        ip="${POOL_B_IPS[$i]}"
        start_sim "pool-b-$i" "$ip" 1
        for p in ${PORTS_OF_IP[$ip]}; do POOL_B_ENDPOINTS+=("$ip:$p"); done
    done
    note "pool A: ${POOL_A_ENDPOINTS[*]}; pool B: ${POOL_B_ENDPOINTS[*]}"
}

# target_ports ENDPOINT...: the distinct ports, comma-separated.
target_ports() {
    local e out=""
    for e in "$@"; do
        [[ ",$out," == *",${e##*:},"* ]] || out+="${out:+,}${e##*:}"
    done
    echo "$out"
}

# start_kube_stub: the Kubernetes API stub serving the Pods of both pools
# (label pool=a / pool=b, active ports per pod) and the InferencePools
# pool-a and pool-b; its address goes to KUBECONFIG.
start_kube_stub() {
    local f="$E2E_TMP/objects.txt" ip
    {
        for ip in "${POOL_A_IPS[@]}"; do
            echo "pod ${POD_OF_IP[$ip]} $ip pool=a $(tr ' ' ',' <<<"${PORTS_OF_IP[$ip]}")"
        done
        for ip in "${POOL_B_IPS[@]}"; do
            echo "pod ${POD_OF_IP[$ip]} $ip pool=b $(tr ' ' ',' <<<"${PORTS_OF_IP[$ip]}")"
        done
        echo "pool pool-a pool=a $(target_ports "${POOL_A_ENDPOINTS[@]}")"
        echo "pool pool-b pool=b $(target_ports "${POOL_B_ENDPOINTS[@]}")"
    } >"$f"
    start_on_port kube-stub KUBE_PORT "$KUBE_STUB" --listen 127.0.0.1:@PORT@ --objects "$f"
    cat >"$E2E_TMP/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: stub
  cluster:
    server: http://127.0.0.1:$KUBE_PORT
contexts:
- name: stub
  context:
    cluster: stub
    namespace: default
current-context: stub
users: []
EOF
    export KUBECONFIG="$E2E_TMP/kubeconfig"
}

# The llm-d EPP's scheduling configurations.
LLMD_CONFORMANCE_CONFIG='apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: header-based-testing-filter
- type: destination-endpoint-served-verifier
schedulingProfiles:
- name: conformance-profile
  plugins:
  - pluginRef: header-based-testing-filter'

# As llm-d's own sample configuration for simulators (deploy/config).
LLMD_SCHED_CONFIG='apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: prefix-cache-scorer
  parameters:
    maxPrefixBlocksToMatch: 256
    lruCapacityPerServer: 31250
- type: decode-filter
- type: max-score-picker
- type: single-profile-handler
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: decode-filter
  - pluginRef: max-score-picker
  - pluginRef: prefix-cache-scorer
    weight: 2'

# start_llmd_epp NAME VAR POOL TLS(true|false) CONFIG: the llm-d EPP following
# InferencePool POOL (served by kube-stub); gRPC port in VAR. With
# EPP_BIN=$ROUTER_EPP and a CONFIG with a file-discovery plugin, llm-d-router's
# EPP reading its endpoints from a file instead (POOL only names the pool:
# v0.9.0 requires --pool-name there too). Metrics port in EPP_METRICS_PORT[NAME].
start_llmd_epp() {
    local name="$1" var="$2" pool="$3" tls="$4" config="$5" hp mp try p
    for ((try = 0; try < 3; try++)); do
        free_port p
        free_port hp
        free_port mp
        spawn "epp-$name" "${EPP_BIN:-$LLMD_EPP}" \
            --grpc-port "$p" --grpc-health-port "$hp" --metrics-port "$mp" \
            --pool-name "$pool" --pool-namespace default \
            --secure-serving="$tls" --metrics-endpoint-auth=false --enable-pprof=false \
            --tracing=false --refresh-metrics-interval 200ms --config-text "$config" \
            --v "${LLMD_EPP_VERBOSITY[$name]:-3}"
        if wait_port "$p" "$SPAWNED_PID"; then
            printf -v "$var" '%s' "$p"
            EPP_PIDS[$name]="$SPAWNED_PID"
            EPP_METRICS_PORT[$name]="$mp"
            return 0
        fi
        kill -KILL "$SPAWNED_PID" 2>/dev/null || true
    done
    tail -n 30 "$E2E_TMP/epp-$name.log" >&2
    fail "llm-d EPP $name did not start"
}

# llm-d-router v0.9.0 in file-discovery mode: a file-discovery plugin reads
# FILE (written by endpoints_file) in place of Kubernetes. router_config KIND
# FILE prints the configuration:
#   conformance  the GIE conformance plugins, as LLMD_CONFORMANCE_CONFIG
#   default      the EPP's built-in default profile (pkg/epp/config/loader
#                defaults.go: queue-scorer 2, kv-cache-utilization-scorer 2,
#                prefix-cache-scorer 3, max-score picker added by the EPP, and
#                the metrics data source it adds), spelled out because a
#                configuration file replaces it
#   flowcontrol  the default profile behind flow control (feature gate
#                flowControl): the concurrency-detector saturates the pool at
#                one request in flight per endpoint; a queued request waits
#                at most 1 s (defaultRequestTTL) and at most one waits
#                (maxRequests)
#   pd           prefill/decode disaggregation as llm-d's sample for
#                simulators (deploy/config/sim-pd-epp-config.yaml):
#                prefill-filter / decode-filter by the llm-d.ai/role label,
#                prefix-based-pd-decider, disagg-profile-handler
router_config() {
    local kind="$1" file="$2"
    [[ "$kind" != flowcontrol ]] || printf 'featureGates:\n- flowControl\n'
    cat <<EOF
apiVersion: llm-d.ai/v1alpha1
kind: EndpointPickerConfig
plugins:
- name: endpoints
  type: file-discovery
  parameters:
    path: $file
EOF
    case "$kind" in
        conformance) cat <<'EOF'
- type: header-based-testing-filter
- type: destination-endpoint-served-verifier
schedulingProfiles:
- name: conformance-profile
  plugins:
  - pluginRef: header-based-testing-filter
EOF
            ;;
        default) cat <<'EOF'
- type: queue-scorer
- type: kv-cache-utilization-scorer
- type: prefix-cache-scorer
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: queue-scorer
    weight: 2
  - pluginRef: kv-cache-utilization-scorer
    weight: 2
  - pluginRef: prefix-cache-scorer
    weight: 3
EOF
            ;;
        flowcontrol) cat <<'EOF'
- type: concurrency-detector
  parameters:
    maxConcurrency: 1
- type: queue-scorer
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: queue-scorer
flowControl:
  maxRequests: 1
  defaultRequestTTL: 1s
  saturationDetector:
    pluginRef: concurrency-detector
EOF
            ;;
        pd) cat <<'EOF'
- type: approx-prefix-cache-producer
  parameters:
    blockSizeTokens: 16
    autoTune: false
    maxPrefixBlocksToMatch: 256
    lruCapacityPerServer: 31250
- type: prefix-cache-scorer
- type: queue-scorer
- type: prefill-filter
- type: decode-filter
- type: max-score-picker
- type: prefix-based-pd-decider
  parameters:
    nonCachedTokens: 16
- type: disagg-profile-handler
  parameters:
    deciders:
      prefill: prefix-based-pd-decider
schedulingProfiles:
- name: prefill
  plugins:
  - pluginRef: prefill-filter
  - pluginRef: max-score-picker
  - pluginRef: prefix-cache-scorer
    weight: 2
  - pluginRef: queue-scorer
    weight: 1
- name: decode
  plugins:
  - pluginRef: decode-filter
  - pluginRef: max-score-picker
  - pluginRef: prefix-cache-scorer
    weight: 2
  - pluginRef: queue-scorer
    weight: 1
EOF
            ;;
        *) fail "router_config: unknown kind $kind" ;;
    esac
    cat <<'EOF'
dataLayer:
  discovery:
    pluginRef: endpoints
EOF
}

# endpoints_file FILE ENTRY...: the file-discovery endpoints file; an ENTRY is
# ip:port or ip:port=ROLE (label llm-d.ai/role: ROLE).
endpoints_file() {
    local file="$1" e ep role
    shift
    {
        echo "endpoints:"
        for e in "$@"; do
            ep="${e%%=*}" role=""
            [[ "$e" == *=* ]] && role="${e#*=}"
            echo "- name: ep-${ep//[.:]/-}"
            echo "  address: \"${ep%:*}\""
            echo "  port: \"${ep##*:}\""
            [[ -z "$role" ]] || printf '  labels:\n    llm-d.ai/role: %s\n' "$role"
        done
    } >"$file"
}

# start_router_epp NAME VAR TLS KIND ENTRY...: llm-d-router's EPP over an
# endpoints file of ENTRYs (endpoints_file) with router_config KIND.
start_router_epp() {
    local name="$1" var="$2" tls="$3" kind="$4" file="$E2E_TMP/endpoints-$1.yaml"
    shift 4
    endpoints_file "$file" "$@"
    EPP_BIN="$ROUTER_EPP" start_llmd_epp "$name" "$var" "pool-$name" "$tls" \
        "$(router_config "$kind" "$file")"
}

# Prefill/decode disaggregation as llm-d deploys it (docs/disaggregation.md
# in llm-d-router): the decode "pod" is llm-d's pd-sidecar in front of a
# simulator, each prefill "pod" a simulator. The EPP knows the decode pod by
# the sidecar's address; the sidecar reaches its decoder at localhost.
PD_DECODE_IP=127.0.0.6
PD_PREFILL_IPS=(127.0.0.7 127.0.0.8)
PD_PREFILL_ENDPOINTS=() # ip:port of each prefill simulator

# start_pd: the P/D pool and its EPP (router_config pd), gRPC port in
# EPP_PD_PORT, decode endpoint (the sidecar) in PD_DECODE_ENDPOINT.
start_pd() {
    local i ip
    start_sim pd-decode "$PD_DECODE_IP" 1
    PD_DECODE_SIM_PORT="${PORTS_OF_IP[$PD_DECODE_IP]}"
    # --zap-log-level 4: the sidecar logs the prefill target it was given
    # ("sending prefill request" ... "to") and a request it keeps local
    # ("skip disaggregated prefill").
    start_on_port pd-sidecar PD_SIDECAR_PORT "$PD_SIDECAR" --port @PORT@ \
        --vllm-port "$PD_DECODE_SIM_PORT" --secure-proxy=false --zap-log-level 4
    PD_DECODE_ENDPOINT="$PD_DECODE_IP:$PD_SIDECAR_PORT"
    for i in "${!PD_PREFILL_IPS[@]}"; do
        ip="${PD_PREFILL_IPS[$i]}"
        start_sim "pd-prefill-$i" "$ip" 1
        PD_PREFILL_ENDPOINTS+=("$ip:${PORTS_OF_IP[$ip]}")
    done
    start_router_epp pd EPP_PD_PORT "$EPP_TLS" pd "$PD_DECODE_ENDPOINT=decode" \
        "${PD_PREFILL_ENDPOINTS[@]/%/=prefill}"
    note "P/D pool: decode $PD_DECODE_ENDPOINT (sidecar -> localhost:$PD_DECODE_SIM_PORT), prefill ${PD_PREFILL_ENDPOINTS[*]}"
}

# epp_metric NAME SERIES-REGEX: the sum of the samples of EPP NAME's metrics
# whose name and labels match SERIES-REGEX (0 when there are none).
epp_metric() {
    { "${CURL[@]}" "http://127.0.0.1:${EPP_METRICS_PORT[$1]}/metrics" 2>/dev/null || true; } \
        | awk -v re="$2" '$0 !~ /^#/ && $1 ~ re {s += $2} END {printf "%d", s}'
}

# start_lwepp NAME VAR TLS(true|false) ENDPOINT...: the lightweight EPP over
# a static datastore; gRPC port in VAR.
start_lwepp() {
    local name="$1" var="$2" tls="$3" list
    shift 3
    list="$(IFS=,; echo "$*")"
    start_on_port "epp-$name" "$var" "$LWEPP" --listen 127.0.0.1:@PORT@ --endpoints "$list" \
        "--tls=$tls"
    EPP_PIDS[$name]="$SPAWNED_PID"
}
declare -A EPP_PIDS=()
declare -A EPP_METRICS_PORT=()
# The conformance EPP logs its response-phase answers with the request id
# (trace level), which GatewayDestinationEndpointServedEppReport reads
# (lwepp-static logs them at any level).
declare -A LLMD_EPP_VERBOSITY=([conf]=5)

# pick_args: `BIN pick` TLS flags matching the bridge.
pick_tls_args() { [[ "$EPP_TLS" == true ]] || echo --endpoint-picker-disable-tls; }

# wait_epp_ready PORT [HEADER]: until the EPP picks (pods discovered), 60 s.
wait_epp_ready() {
    local port="$1" header="${2:-x-interop: ready}" i
    for ((i = 0; i < 120; i++)); do
        # shellcheck disable=SC2046
        if timeout 5 "$BIN" pick --epp "127.0.0.1:$port" $(pick_tls_args) --path /v1/completions \
            --body '{"model":"demo","prompt":"ready"}' -H "$header" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.5
    done
    # shellcheck disable=SC2046
    "$BIN" pick --epp "127.0.0.1:$port" $(pick_tls_args) --path /v1/completions \
        --body '{"model":"demo","prompt":"ready"}' -H "$header" >&2 || true
    fail "EPP on $port never picked an endpoint"
}

# start_interop_bridge: the bridge, TLS to the EPP per EPP_TLS.
start_interop_bridge() {
    local tls=()
    [[ "$EPP_TLS" == true ]] || tls=(--endpoint-picker-disable-tls)
    # With the response phase, NGINX reports each response's completion (the
    # served endpoint) through this socket (start_nginx renders the gateway
    # with COMPLETION_SOCKET=$E2E_TMP/completion.sock).
    # (The help is read whole first: `grep -q` in a pipeline under pipefail
    # can fail on the writer's SIGPIPE.)
    local help
    help="$("$BIN" serve --help 2>&1 || true)"
    if [[ "$help" == *--completion-socket* ]]; then
        tls+=(--completion-socket "$E2E_TMP/completion.sock")
    fi
    if [[ "$help" == *--completion-socket-group* ]]; then
        tls+=(--completion-socket-group "$(nginx_worker_group)")  # NGINX's workers write to it
    fi
    # INTEROP_BRIDGE_LOG_LEVEL=debug also logs completion records that match
    # no held stream (unknown, late, duplicate).
    start_on_port bridge BRIDGE_PORT "$BIN" serve --listen 127.0.0.1:@PORT@ "${tls[@]}" \
        --deadline-ms 10000 --log-level "${INTEROP_BRIDGE_LOG_LEVEL:-info}"
    # shellcheck disable=SC2034
    BRIDGE_PID="$SPAWNED_PID"
}

# subset_rank_hint: the subset hint of subset-rank.local: the first rank
# (ip:port) of pool A's second pod.
subset_rank_hint() {
    local ip="${POOL_A_IPS[1]}" ports
    read -r -a ports <<<"${PORTS_OF_IP[$ip]}"
    echo "$ip:${ports[0]}"
}

# start_interop_gateway: NGINX from tests/interop/gateway.conf.in (GW_PORT).
start_interop_gateway() {
    local other=() e
    for e in "${POOL_A_ENDPOINTS[@]}"; do other+=("${e%%:*}:$DEAD_PORT"); done
    start_gateway "$INTEROP_DIR/gateway.conf.in" "BRIDGE_ADDR=127.0.0.1:$BRIDGE_PORT" \
        "EPP_CONF_PORT=$EPP_CONF_PORT" "EPP_SCHED_PORT=$EPP_SCHED_PORT" "EPP_B_PORT=$EPP_B_PORT" \
        "DEAD_PORT=$DEAD_PORT" "NO_SUCH_ENDPOINT=$NO_SUCH_IP" \
        "EPP_PD_PORT=${EPP_PD_PORT:-$DEAD_PORT}" "EPP_FC_PORT=${EPP_FC_PORT:-$DEAD_PORT}" "SUBSET_RANK=$(subset_rank_hint)" \
        "POOL_A_SERVERS=$(servers_of "${POOL_A_ENDPOINTS[@]}")" \
        "POOL_A_OTHER_SERVERS=$(servers_of "${other[@]}")" \
        "POOL_B_SERVERS=$(servers_of "${POOL_B_ENDPOINTS[@]}")"
}

# send N PARALLEL HOST PATH [CURL-ARGS...]: N requests to the gateway; one line
# per request: STATUS SERVED POD PORT CONFORMANCE-SERVED (a "-" for an absent
# header). The body is a small completion unless CURL-ARGS give one.
send() {
    local n="$1" par="$2" host="$3" path="$4"
    shift 4
    local body=(-d '{"model":"demo","prompt":"Write as if you were a critic: San Francisco","max_tokens":4}')
    [[ " $* " == *" -d "* || " $* " == *" --data-binary "* ]] && body=()
    seq "$n" | xargs -P "$par" -I{} "${CURL[@]}" -o /dev/null \
        -w '%{http_code}|%header{x-gateway-destination-endpoint-served}|%header{x-inference-pod}|%header{x-inference-port}|%header{x-conformance-test-served-endpoint}\n' \
        "http://127.0.0.1:$GW_PORT$path" -H "Host: $host" -H 'content-type: application/json' \
        "${body[@]}" "$@" \
        | awk -F'|' '{ for (i = 1; i <= 5; i++) if ($i == "") $i = "-"; print $1, $2, $3, $4, $5 }'
}

# check_served LINES ALLOWED...: every line is a 200 served by an allowed
# token (IP = any of its ports, IP:port = exactly), and the simulator that
# answered is the one behind the served endpoint.
check_served() {
    local lines="$1" code served pod port rest ip ok tok
    shift
    [[ -n "$lines" ]] || fail "no answers"
    while read -r code served pod port rest; do
        [[ "$code" == 200 ]] || fail "status $code (served '$served'), want 200"
        ip="${served%:*}"
        ok=0
        for tok in "$@"; do
            if [[ "$tok" == *:* ]]; then [[ "$served" == "$tok" ]] && ok=1
            else [[ "$ip" == "$tok" ]] && ok=1; fi
        done
        ((ok)) || fail "served by '$served', not in the EPP's selection ($*)"
        [[ "$pod" == "${POD_OF_IP[$ip]:-?}" && "$port" == "${served##*:}" ]] \
            || fail "endpoint $served answered as simulator '$pod' port '$port' (want ${POD_OF_IP[$ip]:-?} ${served##*:})"
    done <<<"$lines"
}

# distinct_served LINES: the distinct served endpoints, space-separated.
distinct_served() { awk '{print $2}' <<<"$1" | sort -u | tr '\n' ' '; }
