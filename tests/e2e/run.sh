#!/usr/bin/env bash
# The e2e tier: every tests/e2e/test_*.sh through real NGINX.
#   tests/e2e/run.sh BIN [TEST-NAME-SUBSTRING]
# Prints "N passed, M failed" last and exits non-zero on any failure.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[[ $# -ge 1 && -x "$1" ]] || { echo "usage: $0 /path/to/epp-bridge [filter]" >&2; exit 2; }
bin="$1" filter="${2:-}"
command -v nginx >/dev/null || { echo "nginx not found" >&2; exit 2; }
[[ -f /usr/lib/nginx/modules/ngx_http_js_module.so ]] \
    || { echo "njs module missing (libnginx-mod-http-js)" >&2; exit 2; }

passed=0 failed=0 failures=()
for t in "$here"/test_*.sh; do
    name="$(basename "$t" .sh)"
    [[ -z "$filter" || "$name" == *"$filter"* ]] || continue
    echo "=== $name"
    start=$SECONDS
    if timeout -k 10 180 bash "$t" "$bin"; then
        echo "--- PASS $name ($((SECONDS - start)) s)"
        passed=$((passed + 1))
    else
        echo "--- FAIL $name ($((SECONDS - start)) s)"
        failed=$((failed + 1))
        failures+=("$name")
    fi
done
[[ $failed -eq 0 ]] || echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 && $passed -gt 0 ]]
