#!/usr/bin/env bash
# The `epp-bridge render` commands of docs/kubernetes.md, as written: the
# ```sh blocks after a "<!-- tested: tests/e2e/test_render_docs.sh" line run
# in a directory with routes.yaml and my-nginx-deployment.yaml (the 70/30
# routes and the plain Deployment of tests/render/plain-deployment), and
# their outputs are checked: a Deployment that runs the rendered
# configuration, and nginx.conf alone. Also: the Deployment given with
# --context by mistake makes render exit 1 and say so.
set -euo pipefail
# shellcheck source=tests/lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
e2e_init "$@"

doc="$REPO_DIR/docs/kubernetes.md"
blocks="$(awk '/^<!-- tested: tests\/e2e\/test_render_docs.sh/ {want=1; next}
    want && /^```sh$/ {inblock=1; next}
    inblock && /^```$/ {inblock=0; want=0; next}
    inblock {print}' "$doc")"
[[ "$blocks" == *"epp-bridge render"* ]] || fail "no tested commands found in $doc"

work="$E2E_TMP/docs"
mkdir -p "$work/bin"
ln -s "$BIN" "$work/bin/epp-bridge"
cp "$REPO_DIR/tests/render/plain-deployment/context.yaml" "$work/routes.yaml"
cp "$REPO_DIR/tests/render/plain-deployment/input.yaml" "$work/my-nginx-deployment.yaml"
(cd "$work" && PATH="$work/bin:$PATH" bash -euo pipefail -c "$blocks") >"$E2E_TMP/docs.log" 2>&1 ||
    fail "commands of $doc: $(cat "$E2E_TMP/docs.log")"
note "ran: $(tr '\n' ';' <<<"$blocks")"

out="$(cat "$work/out.yaml")"
assert_contains "$out" "kind: Deployment" "out.yaml has the Deployment"
assert_contains "$out" "- name: epp-bridge" "the bridge container"
assert_contains "$out" "- /etc/nginx/epp/nginx.conf" "NGINX runs the rendered configuration"
assert_contains "$out" "name: my-nginx-njs" "the NJS ConfigMap"
assert_contains "$(cat "$work/nginx.conf")" "js_content epp.route;" "nginx.conf alone"
[[ -f "$work/epp-completion.conf" ]] || fail "epp-completion.conf beside nginx.conf"

# The Deployment read as context: exit 1, and the message says what happened.
rc=0
err="$(cd "$work" && "$BIN" render --context routes.yaml --context my-nginx-deployment.yaml </dev/null 2>&1 >/dev/null)" || rc=$?
assert_eq 1 "$rc" "exit code without a workload to write"
assert_contains "$err" "Deployment default/my-nginx from my-nginx-deployment.yaml" \
    "the error names the Deployment"
note "no workload: $err"
