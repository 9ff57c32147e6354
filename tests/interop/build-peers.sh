#!/usr/bin/env bash
# Builds the interop tier's real peers from Go modules (pinned in
# tests/interop/peers/*/go.mod and go.sum) and prints the directory that
# holds them:
#   epp                  llm-d's EPP (github.com/llm-d/llm-d-inference-scheduler/cmd/epp)
#   kube-stub            the Kubernetes API stub it discovers its Pods from
#   llm-d-inference-sim  the vLLM simulator (model servers)
#   lwepp-static         GIE's lightweight EPP handler over a static datastore
#   versions.txt         the module versions built
# The binaries are cached in ${XDG_CACHE_HOME:-~/.cache}/epp-bridge-interop/<hash>/,
# keyed by the Go version and every file under peers/; an unchanged tree
# builds nothing. Needs Go >= 1.26 and the Go module proxy.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
peers="$here/peers"

command -v go >/dev/null || { echo "build-peers: 'go' not found (Go >= 1.26 is needed)" >&2; exit 2; }
export GOTOOLCHAIN=local
export GOFLAGS="-mod=readonly -buildvcs=false"

key="$( {
    go version
    echo "build-peers v1"
    (cd "$peers" && find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) | LC_ALL=C sort \
        | xargs sha256sum)
} | sha256sum | cut -c1-16)"
cache_root="${INTEROP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/epp-bridge-interop}"
out="$cache_root/$key"
bins=(epp kube-stub llm-d-inference-sim lwepp-static)

complete() {
    local b
    for b in "${bins[@]}"; do [[ -x "$out/$b" ]] || return 1; done
    [[ -f "$out/versions.txt" ]]
}
if complete; then
    echo "$out"
    exit 0
fi

mkdir -p "$cache_root"
tmp="$(mktemp -d "$cache_root/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
flags=(-p 2 -trimpath -ldflags='-s -w')
start=$SECONDS
echo "build-peers: building into $out (first build takes several minutes)" >&2
(
    cd "$peers/llmd"
    go build "${flags[@]}" -o "$tmp/" \
        github.com/llm-d/llm-d-inference-scheduler/cmd/epp \
        github.com/llm-d/llm-d-inference-sim/cmd/llm-d-inference-sim \
        ./cmd/kube-stub
) >&2
(
    cd "$peers/lwepp"
    go build "${flags[@]}" -o "$tmp/" ./cmd/lwepp-static
) >&2
{
    echo "go: $(go version | awk '{print $3}')"
    (cd "$peers/llmd" && go list -m -f '{{.Path}} {{.Version}}' \
        github.com/llm-d/llm-d-inference-scheduler github.com/llm-d/llm-d-inference-sim \
        github.com/llm-d/llm-d-kv-cache sigs.k8s.io/gateway-api-inference-extension)
    (cd "$peers/lwepp" && go list -m -f '{{.Path}} {{.Version}} (lwepp)' \
        sigs.k8s.io/gateway-api-inference-extension)
} >"$tmp/versions.txt"
echo "build-peers: built in $((SECONDS - start)) s" >&2
# Older builds of other trees are left alone; replace this key's directory.
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
echo "$out"
