#!/usr/bin/env bash
# Builds the interop tier's real peers and prints the directory that holds
# them:
#   router-epp           llm-d's current EPP (llm-d-router v0.9.0 cmd/epp), built
#                        from its source archive (below)
#   pd-sidecar           llm-d's prefill/decode routing sidecar, same archive
#   epp                  llm-d's EPP v0.7.1 (github.com/llm-d/llm-d-inference-scheduler/cmd/epp)
#   kube-stub            the Kubernetes API stub v0.7.1 discovers its Pods from
#   llm-d-inference-sim  the vLLM simulator (model servers)
#   lwepp-static         GIE's lightweight EPP handler over a static datastore
#   versions.txt         the versions built
# Module peers are pinned in tests/interop/peers/*/go.mod and go.sum.
# llm-d-router is not served by the Go module proxy (its dependencies are):
# it is built from the `git archive` of its release, checked against the
# sha256 below, found at $INTEROP_LLMD_ROUTER_ARCHIVE or else
# ../shared/peers/ beside the repository. It is unpacked into a temporary
# directory of the cache, never into the repository.
# The binaries are cached in ${XDG_CACHE_HOME:-~/.cache}/epp-bridge-interop/<hash>/,
# keyed by the Go version, this script, every file under peers/ and the
# archive's checksum; an unchanged tree builds nothing. Needs Go >= 1.26 and the Go
# module proxy.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
peers="$here/peers"
router_version=v0.9.0
router_sha256=1093195696d0b788ecbcb4ac8ab230ef110cc9c193eb3caa56e3b79d26180c97
router_archive="${INTEROP_LLMD_ROUTER_ARCHIVE:-$here/../../../shared/peers/llm-d-router-$router_version.tar.gz}"

command -v go >/dev/null || { echo "build-peers: 'go' not found (Go >= 1.26 is needed)" >&2; exit 2; }
export GOTOOLCHAIN=local
export GOFLAGS="-mod=readonly -buildvcs=false"

key="$( {
    go version
    sha256sum <"${BASH_SOURCE[0]}"  # this script: how the peers are built
    echo "llm-d-router $router_version $router_sha256"
    (cd "$peers" && find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) | LC_ALL=C sort \
        | xargs sha256sum)
} | sha256sum | cut -c1-16)"
cache_root="${INTEROP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/epp-bridge-interop}"
out="$cache_root/$key"
bins=(router-epp pd-sidecar epp kube-stub llm-d-inference-sim lwepp-static)

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
[[ -f "$router_archive" ]] || {
    echo "build-peers: llm-d-router $router_version source archive not found at $router_archive" \
        "(set INTEROP_LLMD_ROUTER_ARCHIVE to its path)" >&2
    exit 2
}
got="$(sha256sum "$router_archive" | cut -d' ' -f1)"
[[ "$got" == "$router_sha256" ]] || {
    echo "build-peers: $router_archive has sha256 $got, want $router_sha256" >&2
    exit 2
}
# git archive records the commit in the tar header (get-tar-commit-id reads
# only that, so gzip may die of SIGPIPE).
router_commit="$({ gzip -dc "$router_archive" 2>/dev/null || true; } | git get-tar-commit-id 2>/dev/null || true)"
mkdir "$tmp/src"
tar -xzf "$router_archive" -C "$tmp/src"
(
    cd "$tmp/src"/llm-d-router-*
    t=$SECONDS
    CGO_ENABLED=0 go build "${flags[@]}" -o "$tmp/" ./cmd/epp ./cmd/pd-sidecar
    mv "$tmp/epp" "$tmp/router-epp"
    go list -m -f '{{.Path}} {{.Version}} (llm-d-router)' sigs.k8s.io/gateway-api-inference-extension \
        github.com/llm-d/llm-d-kv-cache >"$tmp/router-deps.txt"
    echo "build-peers: llm-d-router $router_version built in $((SECONDS - t)) s" >&2
) >&2
rm -rf "$tmp/src"
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
    echo "github.com/llm-d/llm-d-router $router_version (source archive, commit ${router_commit:-unknown}, sha256 $router_sha256)"
    cat "$tmp/router-deps.txt"
    (cd "$peers/llmd" && go list -m -f '{{.Path}} {{.Version}}' \
        github.com/llm-d/llm-d-inference-scheduler github.com/llm-d/llm-d-inference-sim \
        github.com/llm-d/llm-d-kv-cache sigs.k8s.io/gateway-api-inference-extension)
    (cd "$peers/lwepp" && go list -m -f '{{.Path}} {{.Version}} (lwepp)' \
        sigs.k8s.io/gateway-api-inference-extension)
} >"$tmp/versions.txt"
rm -f "$tmp/router-deps.txt"
echo "build-peers: built in $((SECONDS - start)) s" >&2
# Older builds of other trees are left alone; replace this key's directory.
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
echo "$out"
