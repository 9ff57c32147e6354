#!/usr/bin/env bash
# Render an example config into an NGINX prefix directory.
#   render.sh TEMPLATE PREFIX [KEY=VALUE ...]
# Writes PREFIX/nginx.conf (from TEMPLATE) and PREFIX/common.conf, copies the
# shared epp-*.conf includes and creates logs/ and tmp/. Each @KEY@ token is
# replaced by VALUE; a token left unreplaced is an error. Run the result with
#   nginx -p PREFIX -c PREFIX/nginx.conf -e PREFIX/logs/error.log
set -euo pipefail
shopt -u patsub_replacement 2>/dev/null || true  # "&" in values stays literal

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[[ $# -ge 2 ]] || { echo "usage: $0 TEMPLATE PREFIX [KEY=VALUE ...]" >&2; exit 2; }
template="$1" prefix="$2"
shift 2

declare -A vals=(
    [NJS_DIR]="$(cd "$here/../../njs" && pwd)"
    [WORKERS]=1
    [MAX_BODY]=16m
    [EPP_HOST]=127.0.0.1
    [ACCESS_LOG]="logs/access.log epp"
    [COMPLETION_SOCKET]=""
    [MOCK_PACE]=""
)
for kv in "$@"; do
    [[ $kv == *=* ]] || { echo "render.sh: expected KEY=VALUE, got '$kv'" >&2; exit 2; }
    vals["${kv%%=*}"]="${kv#*=}"
done

render() {  # render SRC DST
    local text key
    text="$(<"$1")"
    for key in "${!vals[@]}"; do
        text="${text//@${key}@/${vals[$key]}}"
    done
    if grep -qo '@[A-Z][A-Z0-9_]*@' <<<"$text"; then
        echo "render.sh: $1: unreplaced $(grep -o '@[A-Z][A-Z0-9_]*@' <<<"$text" | sort -u | tr '\n' ' ')" >&2
        exit 1
    fi
    printf '%s\n' "$text" >"$2"
}

mkdir -p "$prefix/logs" "$prefix/tmp"
chmod 755 "$prefix"  # NGINX workers may run as an unprivileged user
render "$template" "$prefix/nginx.conf"
render "$here/common.conf.in" "$prefix/common.conf"
cp "$here/epp-http.conf" "$here/epp-server.conf" "$here/epp-proxy.conf" "$prefix/"
if [[ -n "${vals[COMPLETION_SOCKET]}" ]]; then
    vals[COMPLETION_LOG]="access_log syslog:server=unix:${vals[COMPLETION_SOCKET]},nohostname,tag=epp epp_completion if=\$epp_endpoint;"
else
    vals[COMPLETION_LOG]="# (no completion socket)"
fi
render "$here/epp-completion.conf.in" "$prefix/epp-completion.conf"
