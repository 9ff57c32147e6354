#!/usr/bin/env bash
# Installs the Debian packages the interop tier needs beyond the project's
# own (scripts/install-deps.sh): NGINX with njs, curl, and util-linux/iproute2
# for the private network namespace. The peers are built with the machine's
# Go (>= 1.26 on PATH; Debian's golang-go is too old), checked here.
# llm-d-inference-sim is built with its pure-Go ZeroMQ (go-zeromq/zmq4),
# so libzmq3-dev is not needed. Idempotent.
set -euo pipefail

packages=(nginx libnginx-mod-http-js curl iproute2 util-linux ca-certificates git)
go_ok() {
    command -v go >/dev/null || return 1
    local v
    v="$(go env GOVERSION 2>/dev/null | sed 's/^go//')"
    [[ "$(printf '%s\n1.26\n' "$v" | sort -V | head -n 1)" == 1.26 ]]
}

"$(dirname "${BASH_SOURCE[0]}")/../../scripts/apt-install.sh" "${packages[@]}"
if ! go_ok; then
    echo "tests/interop needs Go >= 1.26 on PATH (found: $(go version 2>/dev/null || echo none))" >&2
    exit 1
fi
