#!/usr/bin/env bash
# NGINX Gateway Fabric drop-in tier: NGF's own epp.js, unchanged, from
# ../shared/peers/ngf/ (relative to the repository root), in an NGINX
# configuration that follows NGF's templates (tests/ngf/ngf-gateway.conf.in),
# in front of `epp-bridge endpoint-picker` on NGF's fixed 127.0.0.1:54800.
# Everything runs in a private network namespace, so the fixed port never
# clashes and nothing leaves it when the tier ends.
#   tests/ngf/run.sh BIN [REPORT-DIR]
# REPORT-DIR (default: a temporary one) receives ngf-compare.md, the
# side-by-side table of docs/ngf.md as this run measured it.
# Exit 77 (skipped) only when ../shared/peers/ngf is absent.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
ngf_dir="$repo/../shared/peers/ngf"
[[ $# -ge 1 && -x "$1" ]] || { echo "usage: $0 /path/to/epp-bridge [report-dir]" >&2; exit 2; }
if [[ ! -f "$ngf_dir/epp.js" ]]; then
    echo "SKIP: NGF's epp.js not found at $ngf_dir/epp.js (../shared/peers/ngf from the repository root)"
    exit 77
fi
command -v nginx >/dev/null || { echo "nginx not found" >&2; exit 2; }
command -v unshare >/dev/null && command -v ip >/dev/null \
    || { echo "unshare and ip (util-linux, iproute2) are needed" >&2; exit 2; }

if [[ "${NGF_TIER_INSIDE:-}" != 1 ]]; then
    userns=()
    [[ $EUID -eq 0 ]] || userns=(--map-root-user)
    # A new network namespace (only its own loopback) and PID namespace: every
    # process of the tier ends with it, even if this script is killed.
    exec env NGF_TIER_INSIDE=1 NGF_DIR="$ngf_dir" unshare "${userns[@]}" --net --pid --fork \
        --kill-child bash -c 'ip link set lo up && exec timeout -k 5 240 bash "$@"' \
        bash "$here/cases.sh" "$@"
fi
