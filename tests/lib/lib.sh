# shellcheck shell=bash
# The shell helpers of the tests, benchmarks and scripts: processes on free
# loopback ports, NGINX prefixes from the deploy/nginx templates, and
# assertions. Source it, then call e2e_init "$@" (or use the port helpers
# alone). Everything started through it is stopped by the EXIT trap.

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
E2E_DIR="$REPO_DIR/tests/e2e"  # the e2e templates (mock-model.conf.in, ...)
RENDER="$REPO_DIR/deploy/nginx/render.sh"
NGINX="${NGINX:-nginx}"
CURL=(curl -sS --max-time 20)

export EPP_BRIDGE_ADMIN_LISTEN="${EPP_BRIDGE_ADMIN_LISTEN:-127.0.0.1:0}"  # never the default admin port
E2E_PIDS=()
BRIDGE_ARGS=()
E2E_PORTS=()
E2E_TMP=""
E2E_NAME="$(basename "${BASH_SOURCE[1]:-e2e}" .sh)"

fail() {
    echo "FAIL [$E2E_NAME]: $*" >&2
    E2E_FAILED=1
    exit 1
}

note() { echo "  [$E2E_NAME] $*"; }

assert_eq() {  # assert_eq EXPECTED ACTUAL WHAT
    [[ "$1" == "$2" ]] || fail "$3: expected '$1', got '$2'"
}

assert_contains() {  # assert_contains HAYSTACK NEEDLE WHAT
    [[ "$1" == *"$2"* ]] || fail "$3: '$2' not found in: ${1:0:400}"
}

e2e_cleanup() {
    local rc=$? pid i
    trap '' PIPE  # a closed stdout must not stop the cleanup
    for pid in "${E2E_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${E2E_PIDS[@]}"; do
        for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [[ -n "$E2E_TMP" && -d "$E2E_TMP" ]]; then
        if [[ $rc -ne 0 || -n "${E2E_FAILED:-}" ]]; then
            local f
            for f in $(find "$E2E_TMP" -name '*.log' -size +0 | sort); do
                echo "--- ${f#"$E2E_TMP"/} (last lines, NGINX notices left out)" >&2
                grep -v '\[notice\]' "$f" | tail -n 15 >&2 || true
            done
        fi
        if [[ -n "${E2E_KEEP:-}" ]]; then echo "kept $E2E_TMP" >&2; else rm -rf "$E2E_TMP"; fi
    fi
    exit "$rc"
}

e2e_init() {  # e2e_init BIN
    BIN="${1:-}"
    [[ -n "$BIN" && -x "$BIN" ]] || fail "usage: $0 /path/to/epp-bridge (got '${BIN}')"
    BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"
    trap e2e_cleanup EXIT
    trap 'exit 143' TERM INT
    E2E_TMP="$(mktemp -d /tmp/epp-e2e.XXXXXX)"
    chmod 755 "$E2E_TMP"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port VAR: a random loopback port below the ephemeral range that no
# socket uses and this test has not used yet, stored in VAR.
free_port() {
    local _fp _try _lo
    read -r _lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || _lo=32768
    ((_lo > 12000)) || _lo=61000
    for ((_try = 0; _try < 200; _try++)); do
        _fp=$((10000 + RANDOM % (_lo - 10000)))
        [[ " ${E2E_PORTS[*]} " == *" $_fp "* ]] && continue
        port_in_use "$_fp" && continue
        [[ -z "$(ss -Htan "( sport = :$_fp )" 2>/dev/null)" ]] || continue
        E2E_PORTS+=("$_fp")
        printf -v "$1" '%s' "$_fp"
        return 0
    done
    fail "no free port found"
}

# wait_port PORT PID: until PORT accepts connections (10 s), while PID lives.
wait_port() {
    local i
    for ((i = 0; i < 100; i++)); do
        port_in_use "$1" && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# spawn NAME CMD...: start CMD in the background, output in NAME.log.
spawn() {
    local name="$1"
    shift
    "$@" >"$E2E_TMP/$name.log" 2>&1 &
    SPAWNED_PID=$!
    E2E_PIDS+=("$SPAWNED_PID")
}

# start_on_port NAME PORTVAR CMD-TEMPLATE...: CMD with @PORT@ replaced by a
# free port; retried on a new port if the process dies before listening.
start_on_port() {
    local name="$1" var="$2" try p
    shift 2
    for ((try = 0; try < 3; try++)); do
        free_port p
        spawn "$name" "${@//@PORT@/$p}"
        if wait_port "$p" "$SPAWNED_PID"; then
            printf -v "$var" '%s' "$p"
            return 0
        fi
        kill -KILL "$SPAWNED_PID" 2>/dev/null || true
    done
    cat "$E2E_TMP/$name.log" >&2
    fail "$name did not start listening"
}

# start_dev_epp VAR [ARGS...]: a dev-epp; its port is stored in VAR.
start_dev_epp() {
    local var="$1"
    shift
    start_on_port "dev-epp-$var" "$var" "$BIN" dev-epp --listen 127.0.0.1:@PORT@ "$@"
}

# The group NGINX's workers run with: NGINX started as root switches them
# to nobody's group (no `user` directive); otherwise they keep ours.
nginx_worker_group() {
    if [[ $EUID -eq 0 ]]; then id -gn nobody; else id -gn; fi
}

# start_bridge [ARGS...]: the bridge; its port is stored in BRIDGE_PORT,
# its pid in BRIDGE_PID.
# Held streams (--completion-socket, mode 0660, NGINX's workers' group)
# unless NO_COMPLETION=1. Two worker loops, as on a machine of three or more
# CPUs, so that NGINX's connections and their records reach both.
start_bridge() {
    local held=(--completion-socket "$E2E_TMP/completion.sock"
                --completion-socket-group "$(nginx_worker_group)")
    [[ "${NO_COMPLETION:-}" == 1 ]] && held=()
    start_on_port bridge BRIDGE_PORT "$BIN" serve --listen 127.0.0.1:@PORT@ \
        --endpoint-picker-disable-tls --threads 2 "${held[@]}" "$@"
    # shellcheck disable=SC2034  # read by the tests
    BRIDGE_PID="$SPAWNED_PID"
}

# start_nginx NAME TEMPLATE PORT [KEY=VALUE ...]: render TEMPLATE into a
# prefix, check it with nginx -t and run it in the foreground. Returns 1 if
# it does not listen on PORT (taken meanwhile), so callers can retry.
start_nginx() {
    local name="$1" template="$2" port="$3" prefix="$E2E_TMP/$1"
    shift 3
    local sock="$E2E_TMP/completion.sock"
    [[ "${NO_COMPLETION:-}" == 1 ]] && sock=""
    "$RENDER" "$template" "$prefix" "COMPLETION_SOCKET=$sock" "$@" \
        || fail "rendering $template"
    "$NGINX" -t -q -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/logs/error.log" \
        >"$E2E_TMP/$name-t.log" 2>&1 || { cat "$E2E_TMP/$name-t.log" >&2; fail "nginx -t for $name"; }
    spawn "$name" "$NGINX" -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/logs/error.log" \
        -g 'daemon off;'
    wait_port "$port" "$SPAWNED_PID" && return 0
    kill -KILL "$SPAWNED_PID" 2>/dev/null || true
    return 1
}

# start_mocks N: N mock model servers in one NGINX; ports in MOCK_PORTS.
# Optional MOCK_PACE_MS=(ms ms ...): each mock's own SSE chunk delay.
start_mocks() {
    local n="$1" i p try listens pace
    for ((try = 0; try < 3; try++)); do
        MOCK_PORTS=() listens="" pace=""
        for ((i = 0; i < n; i++)); do
            free_port p
            MOCK_PORTS+=("$p")
            listens+="listen 127.0.0.1:$p; "
            [[ -n "${MOCK_PACE_MS[i]:-}" ]] && pace+="$p ${MOCK_PACE_MS[i]}; "
        done
        start_nginx mocks "$E2E_DIR/mock-model.conf.in" "${MOCK_PORTS[0]}" \
            "MOCK_LISTENS=$listens" "MOCK_PACE=$pace" || continue
        for p in "${MOCK_PORTS[@]}"; do
            wait_port "$p" "$SPAWNED_PID" || fail "mock on $p not listening"
        done
        return 0
    done
    fail "mocks did not start"
}

# start_fake_bridge: the stand-in bridge (fake-bridge.conf.in) on FAKE_PORT.
start_fake_bridge() {
    local try
    for ((try = 0; try < 3; try++)); do
        free_port FAKE_PORT
        start_nginx fake-bridge "$E2E_DIR/fake-bridge.conf.in" "$FAKE_PORT" \
            "LISTEN=127.0.0.1:$FAKE_PORT" && return 0
    done
    fail "fake bridge did not start"
}

# servers_of ENDPOINT...: the server lines of an upstream{}.
servers_of() {
    local e out=""
    for e in "$@"; do out+="server $e; "; done
    echo "$out"
}

# pool_servers PORT...: the server lines of an upstream{} for these mocks.
pool_servers() {
    servers_of "${@/#/127.0.0.1:}"
}

# start_gateway TEMPLATE [KEY=VALUE ...]: NGINX from a template (a name in
# deploy/nginx, or a path); its port is stored in GW_PORT.
start_gateway() {
    local template="$1" try
    [[ "$template" == /* ]] || template="$REPO_DIR/deploy/nginx/$template"
    shift
    for ((try = 0; try < 3; try++)); do
        free_port GW_PORT
        start_nginx gateway "$template" "$GW_PORT" "LISTEN=127.0.0.1:$GW_PORT" "$@" && return 0
    done
    fail "gateway did not start"
}

# chat [CURL-ARGS...]: POST a small chat completion to the gateway; prints
# "STATUS SERVER" (SERVER from X-Mock-Server) followed by the expansion of
# the curl -w format in W, if set.
chat() {
    "${CURL[@]}" -o /dev/null -w "%{http_code} %header{x-mock-server}${W:-}\n" \
        "http://127.0.0.1:$GW_PORT/v1/chat/completions" \
        -H 'content-type: application/json' \
        -d '{"model":"demo","messages":[{"role":"user","content":"hi"}]}' "$@"
}

# csv PORT...: "127.0.0.1:P1,127.0.0.1:P2,..."
csv() {
    local p out=""
    for p in "$@"; do out+="${out:+,}127.0.0.1:$p"; done
    echo "$out"
}

# start_one_pool NMOCKS [DEV-EPP-ARGS...]: NMOCKS mock model servers, a
# dev-epp picking among them (EPP_PORT), the bridge (BRIDGE_PORT) and a
# gateway from one-pool.conf.in (GW_PORT). Extra bridge flags: BRIDGE_ARGS.
start_one_pool() {
    local n="$1"
    shift
    start_mocks "$n"
    start_dev_epp EPP_PORT --endpoints "$(csv "${MOCK_PORTS[@]}")" "$@"
    start_bridge "${BRIDGE_ARGS[@]}"
    start_gateway one-pool.conf.in "BRIDGE_ADDR=127.0.0.1:$BRIDGE_PORT" "EPP_PORT=$EPP_PORT" \
        "POOL_SERVERS=$(pool_servers "${MOCK_PORTS[@]}")"
}

# burst N PARALLEL [CURL-ARGS...]: N chat requests, PARALLEL at a time; one
# "STATUS SERVER SERVED" line per request (X-Mock-Server and
# X-Gateway-Destination-Endpoint-Served).
burst() {
    local n="$1" p="$2"
    shift 2
    seq "$n" | xargs -P "$p" -I{} "${CURL[@]}" -o /dev/null \
        -w '%{http_code} %header{x-mock-server} %header{x-gateway-destination-endpoint-served}\n' \
        -H 'x-seq: {}' \
        "http://127.0.0.1:$GW_PORT/v1/chat/completions" -H 'content-type: application/json' \
        -d '{"model":"demo","messages":[{"role":"user","content":"hi"}]}' "$@"
}
