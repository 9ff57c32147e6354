#!/usr/bin/env bash
# Local demo: three mock model servers (127.0.0.1:8001-8003), dev-epp
# (127.0.0.1:9002), the bridge (127.0.0.1:54800) and NGINX (127.0.0.1:8080).
#   scripts/demo.sh BIN [--once]
# Prints curl lines to try and runs until Ctrl-C or SIGTERM, then stops every
# process. --once sends one request through the EPP, prints it and stops.
# Other ports: DEMO_MOCK_PORTS="8001 8002 8003" DEMO_EPP_PORT DEMO_BRIDGE_PORT
# DEMO_GATEWAY_PORT. Runtime files: DEMO_DIR (default: a new /tmp/epp-demo.*).
set -euo pipefail
shopt -u patsub_replacement 2>/dev/null || true

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[[ $# -ge 1 && -x "$1" ]] || { echo "usage: $0 /path/to/epp-bridge [--once]" >&2; exit 2; }
bin="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
once="${2:-}"
read -r -a mock_ports <<<"${DEMO_MOCK_PORTS:-8001 8002 8003}"
epp_port="${DEMO_EPP_PORT:-9002}"
bridge_port="${DEMO_BRIDGE_PORT:-54800}"
gw_port="${DEMO_GATEWAY_PORT:-8080}"
gw="http://127.0.0.1:$gw_port"
dir="${DEMO_DIR:-$(mktemp -d /tmp/epp-demo.XXXXXX)}"
mkdir -p "$dir"
chmod 755 "$dir"  # NGINX workers may run as an unprivileged user
pids=()
declare -A pid_of
# shellcheck source=tests/lib/lib.sh
source "$repo/tests/lib/lib.sh"  # port_in_use, wait_port

stop() {
    local pid i
    trap - INT TERM EXIT
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do
        for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    echo "stopped; logs in $dir"
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap 'stop' EXIT

for p in "${mock_ports[@]}" "$epp_port" "$bridge_port" "$gw_port"; do
    if port_in_use "$p"; then
        echo "port 127.0.0.1:$p is in use; stop whatever listens there first" >&2
        exit 1
    fi
done

run() {  # run NAME CMD...
    local name="$1"
    shift
    "$@" >"$dir/$name.log" 2>&1 &
    pids+=($!)
    pid_of[$name]=$!
}

started() {  # started PORT NAME: until NAME listens on PORT (10 s), else its log
    wait_port "$1" "${pid_of[$2]}" && return 0
    echo "$2 did not start on 127.0.0.1:$1; see $dir/$2.log" >&2
    tail -n 20 "$dir/$2.log" >&2 || true
    exit 1
}

nginx_run() {  # nginx_run NAME TEMPLATE KEY=VALUE...
    local name="$1" template="$2"
    shift 2
    "$repo/deploy/nginx/render.sh" "$template" "$dir/$name" "$@"
    run "$name" nginx -p "$dir/$name" -c "$dir/$name/nginx.conf" \
        -e "$dir/$name/logs/error.log" -g 'daemon off;'
}

listens="" servers="" endpoints=""
for p in "${mock_ports[@]}"; do
    listens+="listen 127.0.0.1:$p; "
    servers+="server 127.0.0.1:$p; "
    endpoints+="${endpoints:+,}127.0.0.1:$p"
done
nginx_run mocks "$repo/tests/e2e/mock-model.conf.in" "MOCK_LISTENS=$listens"
run dev-epp "$bin" dev-epp --listen "127.0.0.1:$epp_port" --endpoints "$endpoints"
# The socket is mode 0660: its group must be that of NGINX's workers (nobody's
# group when NGINX starts as root).
workers_group="$(if [[ $EUID -eq 0 ]]; then id -gn nobody; else id -gn; fi)"
run bridge "$bin" serve --listen "127.0.0.1:$bridge_port" --endpoint-picker-disable-tls \
    --completion-socket "$dir/completion.sock" --completion-socket-group "$workers_group"
nginx_run gateway "$repo/deploy/nginx/one-pool.conf.in" "LISTEN=127.0.0.1:$gw_port" \
    "COMPLETION_SOCKET=$dir/completion.sock" \
    "BRIDGE_ADDR=127.0.0.1:$bridge_port" "EPP_PORT=$epp_port" "POOL_SERVERS=$servers"
started "${mock_ports[0]}" mocks
started "$epp_port" dev-epp
started "$bridge_port" bridge
started "$gw_port" gateway

request=(curl -s --max-time 30 "$gw/v1/chat/completions"
    -H 'content-type: application/json'
    -d '{"model":"demo","messages":[{"role":"user","content":"hi"}]}')

if [[ "$once" == "--once" ]]; then
    "${request[@]}" -D - || { echo "request failed" >&2; exit 1; }
    exit 0
fi

cat <<MSG
epp-bridge demo is up (logs in $dir). Try:

  curl -s $gw/v1/chat/completions -H 'content-type: application/json' -d '{"model":"demo","messages":[{"role":"user","content":"hi"}]}'

  # pin the endpoint, stream, or make the EPP refuse:
  curl -si $gw/v1/completions -H 'test-epp-endpoint-selection: 127.0.0.1:${mock_ports[1]:-${mock_ports[0]}}' -d '{"model":"demo","prompt":"hi"}'
  curl -sN $gw/v1/chat/completions -d '{"model":"demo","stream":true,"messages":[]}'
  curl -si $gw/v1/chat/completions -H 'x-dev-epp-fault: status=429' -d '{"model":"demo"}'

Ctrl-C stops everything.
MSG

# Runs until a signal arrives or one of the processes exits.
wait -n "${pids[@]}" || true
echo "a demo process exited; stopping" >&2
exit 1
