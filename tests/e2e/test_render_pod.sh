#!/usr/bin/env bash
# The Pod `epp-bridge render` writes for a plain NGINX Deployment, run as the
# kubelet would run it: its ConfigMaps and emptyDirs laid out at their mount
# paths under a test root (materialize_pod.py), NGINX started with the
# rendered nginx container's command and args, the bridge with the rendered
# bridge container's args, next to two dev-epps (an HTTPRoute splitting 70/30
# across two InferencePools). Requests are routed by the EPPs, and the
# completion records NGINX writes reach the bridge over the rendered socket.
# The only changes to the rendered Pod: paths under the root, and the admin
# listener on 127.0.0.1 instead of 0.0.0.0.
set -euo pipefail
# shellcheck source=tests/lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
e2e_init "$@"

start_mocks 2
M=("${MOCK_PORTS[@]}")
start_dev_epp EPP_A --endpoints "127.0.0.1:${M[0]}"
start_dev_epp EPP_B --endpoints "127.0.0.1:${M[1]}"

work="$E2E_TMP/work"
mkdir -p "$work"
cp "$REPO_DIR/tests/render/plain-deployment/context.yaml" "$work/routes.yaml"
# NGINX's workers run in this group here (nobody's when started as root): the Pod's fsGroup.
gid="$(getent group "$(nginx_worker_group)" | cut -d: -f3)"
sed "s/^    spec:$/    spec:\n      securityContext:\n        fsGroup: $gid/" \
    "$REPO_DIR/tests/render/plain-deployment/input.yaml" >"$work/my-nginx-deployment.yaml"

started=""
for ((try = 0; try < 3 && !started; try++)); do
    free_port GW_PORT
    free_port HEALTH_PORT
    free_port BRIDGE_PORT
    free_port ADMIN_PORT
    (cd "$work" && "$BIN" render --context routes.yaml my-nginx-deployment.yaml -o rendered.yaml \
        --worker-processes 1 --listen-address 127.0.0.1 --port "80=$GW_PORT" \
        --health-port "$HEALTH_PORT" --bridge "127.0.0.1:$BRIDGE_PORT" --admin-port "$ADMIN_PORT" \
        --bridge-arg=--endpoint-picker-disable-tls \
        --resolve "pool-a-epp.default.svc.cluster.local:9002=127.0.0.1:$EPP_A" \
        --resolve "pool-b-epp.default.svc.cluster.local:9002=127.0.0.1:$EPP_B" \
        2>"$E2E_TMP/render.log") || fail "render: $(cat "$E2E_TMP/render.log")"
    root="$E2E_TMP/root$try"
    python3 "$E2E_DIR/materialize_pod.py" "$work/rendered.yaml" "$root" "$work/argv.json" ||
        fail "materializing the rendered Pod"
    mapfile -d '' nginx_argv < <(python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))["nginx"]; sys.stdout.write("".join(w+"\0" for w in a))' "$work/argv.json")
    mapfile -d '' bridge_argv < <(python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))["bridge"]; sys.stdout.write("".join(w.replace("0.0.0.0:","127.0.0.1:")+"\0" for w in a))' "$work/argv.json")
    [[ "${nginx_argv[0]}" == nginx && ${#bridge_argv[@]} -gt 0 ]] ||
        fail "rendered containers: nginx '${nginx_argv[*]}', bridge '${bridge_argv[*]}'"
    spawn bridge "$BIN" "${bridge_argv[@]}"
    BRIDGE_PID="$SPAWNED_PID"
    wait_port "$BRIDGE_PORT" "$BRIDGE_PID" || { kill -KILL "$BRIDGE_PID" 2>/dev/null; continue; }
    spawn gateway "$NGINX" "${nginx_argv[@]:1}"
    if wait_port "$GW_PORT" "$SPAWNED_PID" && wait_port "$HEALTH_PORT" "$SPAWNED_PID"; then
        started=1
    else
        kill -KILL "$SPAWNED_PID" "$BRIDGE_PID" 2>/dev/null || true
    fi
done
[[ -n "$started" ]] || fail "the rendered Pod's NGINX and bridge did not start"
note "NGINX runs: ${nginx_argv[*]}"
note "bridge runs: serve ${bridge_argv[*]:1}"
sock="$(grep -o 'syslog:server=unix:[^,]*' "$root/etc/nginx/epp/epp-completion.conf" | cut -d: -f3)"
[[ -S "$sock" && "$sock" == "$root/var/run/epp-bridge/"* ]] || fail "completion socket '$sock' not in the shared emptyDir"

# Routed by the EPPs: pool-a's EPP picks M0, pool-b's M1; the 70/30 split reaches both.
out="$(burst 30 5)"
assert_eq 30 "$(grep -c '^200 ' <<<"$out")" "30 requests through the rendered Pod"
a="$(grep -c "127.0.0.1:${M[0]}" <<<"$out" || true)" b="$(grep -c "127.0.0.1:${M[1]}" <<<"$out" || true)"
assert_eq 30 "$((a + b))" "every request served by an EPP's pick"
[[ $a -gt 0 && $b -gt 0 ]] || fail "70/30 split: pool-a $a, pool-b $b"
note "30 requests: pool-a $a, pool-b $b"

# The response phase: each request's completion record matched a held stream.
matched=""
for ((i = 0; i < 50; i++)); do
    matched="$("${CURL[@]}" "http://127.0.0.1:$ADMIN_PORT/metrics" |
        sed -nE 's/^epp_bridge_completion_records_total\{result="matched"\} ([0-9.e+]+)$/\1/p')"
    [[ "${matched%%.*}" -ge 30 ]] 2>/dev/null && break
    sleep 0.1
done
[[ "${matched%%.*}" -ge 30 ]] 2>/dev/null || fail "completion records matched: '$matched' (want 30)"
note "completion records matched: $matched"

# serve and render agree on the socket: an absolute path.
rc=0
err="$(timeout 10 "$BIN" serve --listen 127.0.0.1:0 --completion-socket relative.sock 2>&1)" || rc=$?
[[ $rc -ne 0 && "$err" == *"--completion-socket must be an absolute path"* ]] ||
    fail "serve with a relative --completion-socket: rc $rc, '$err'"
rc=0
err="$("$BIN" render --context "$work/routes.yaml" --completion-socket relative.sock "$work/my-nginx-deployment.yaml" 2>&1 >/dev/null)" || rc=$?
[[ $rc -ne 0 && "$err" == *"--completion-socket must be an absolute path"* ]] ||
    fail "render with a relative --completion-socket: rc $rc, '$err'"
