#!/usr/bin/env bash
# The interop tier: the bridge, real NGINX and njs/epp.js against real EPPs
# built from Go modules (tests/interop/build-peers.sh) and llm-d-inference-sim
# model servers.
#   tests/interop/run.sh BIN [VARIANT-FILTER [SCENARIO-FILTER]]
# Runs tests/interop/suite.sh for each EPP variant, prints "N passed, M failed"
# last, exits non-zero on any failure and, on a full run, writes the results
# page to reports/interop.md beside BIN (the build directory; interop-grpc.md
# with EPP_BRIDGE_EPP_TRANSPORT=grpc);
# INTEROP_DOC=docs/interop.md (`make docs`) writes it there instead.
# Everything runs in a private network namespace when `unshare -n` works
# (the peers bind wildcard addresses); otherwise on the host's loopback.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
[[ $# -ge 1 && -x "$1" ]] || { echo "usage: $0 /path/to/epp-bridge [variant [scenario]]" >&2; exit 2; }
bin="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
vfilter="${2:-}" sfilter="${3:-}"
VARIANTS=(llm-d-v0.9-plaintext llm-d-v0.9-tls llm-d-v0.7-kube lwepp)

if [[ -z "${INTEROP_IN_NETNS:-}" ]]; then
    command -v nginx >/dev/null || { echo "nginx not found (tests/interop/install-deps.sh)" >&2; exit 2; }
    [[ -f /usr/lib/nginx/modules/ngx_http_js_module.so ]] \
        || { echo "njs module missing (libnginx-mod-http-js)" >&2; exit 2; }
    t0=$SECONDS
    INTEROP_PEERS="$("$here/build-peers.sh")"
    export INTEROP_PEERS INTEROP_BUILD_SECONDS=$((SECONDS - t0))
    echo "peers: $INTEROP_PEERS (ready in $INTEROP_BUILD_SECONDS s)"
    if [[ -z "${INTEROP_NO_NETNS:-}" ]] && unshare -n true 2>/dev/null; then
        exec unshare -n env INTEROP_IN_NETNS=1 bash "$0" "$bin" "$vfilter" "$sfilter"
    fi
    echo "note: no private network namespace (unshare -n failed); using the host's loopback"
    export INTEROP_IN_NETNS=host
elif [[ "$INTEROP_IN_NETNS" == 1 ]]; then
    ip link set lo up
fi

results="$(mktemp /tmp/epp-interop-results.XXXXXX)"
trap 'rm -f "$results"' EXIT
start=$SECONDS
for v in "${VARIANTS[@]}"; do
    [[ -z "$vfilter" || "$v" == *"$vfilter"* ]] || continue
    echo "=== $v"
    t=$SECONDS
    before="$(wc -l <"$results")"
    rc=0
    timeout -k 10 420 bash "$here/suite.sh" "$v" "$bin" "$results" "$sfilter" || rc=$?
    if ((rc != 0)); then
        # The suite itself broke (a peer did not start, or it timed out; a
        # failing scenario does not end it): every scenario it did not
        # record counts as failed.
        echo "--- $v: suite failed (exit status $rc)"
        # shellcheck source=tests/interop/scenarios.sh
        mapfile -t all < <(bash -c "source '$here/scenarios.sh'; printf '%s\n' \"\${SCENARIOS[@]}\"")
        for s in "${all[@]}"; do
            [[ -z "$sfilter" || "$s" == *"$sfilter"* ]] || continue
            awk -F'|' -v from="$before" -v v="$v" -v s="$s" \
                'NR > from && $1 == v && $2 == s {found = 1} END {exit !found}' "$results" \
                || echo "$v|$s|fail|not run: the suite stopped before it (exit status $rc; see the log above)" >>"$results"
        done
    fi
    echo "--- $v done ($((SECONDS - t)) s)"
done

passed="$(awk -F'|' '$3 == "pass"' "$results" | wc -l)"
failed="$(awk -F'|' '$3 == "fail"' "$results" | wc -l)"
other="$(awk -F'|' '$3 != "pass" && $3 != "fail"' "$results" | wc -l)"

if [[ -z "$vfilter" && -z "$sfilter" && "${INTEROP_DOC-x}" != "" ]]; then
    # One report per EPP transport (EPP_BRIDGE_EPP_TRANSPORT, which serve reads).
    doc="${INTEROP_DOC:-$(dirname "$bin")/reports/interop${EPP_BRIDGE_EPP_TRANSPORT:+-$EPP_BRIDGE_EPP_TRANSPORT}.md}"
    mkdir -p "$(dirname "$doc")"
    bash "$here/write-doc.sh" "$results" "$bin" "$((SECONDS - start))" >"$doc.tmp" && mv "$doc.tmp" "$doc"
    echo "wrote ${doc#"$repo"/}"
fi

awk -F'|' '$3 == "fail" {print "failed: " $1 " " $2 ": " $4}' "$results"
echo "not run: $other (n/a, limit or skip; see docs/interop.md)"
echo "$passed passed, $failed failed"
[[ "$failed" -eq 0 && "$passed" -gt 0 ]]
