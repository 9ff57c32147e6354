#!/usr/bin/env bash
# `epp-bridge render` end to end: manifests like the Inference Extension's
# samples (a Gateway, an HTTPRoute to a FailOpen InferencePool and to a plain
# Service, the EPP's Service) become an nginx.conf that passes `nginx -t` and
# routes requests through the bridge and dev-epp to the mock model servers;
# without an EPP, FailOpen reaches the pool through its fallback upstream.
# Also the binary as a Helm post-renderer: stdin to stdout, the bridge
# container added for AI routes and not for plain ones, exit 1 on bad input.
set -euo pipefail
# shellcheck source=tests/lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
e2e_init "$@"

start_mocks 3
M=("${MOCK_PORTS[@]}")
start_dev_epp EPP_PORT --endpoints "$(csv "${M[0]}" "${M[1]}")"
EPP_PID="$SPAWNED_PID"

start_bridge  # with --completion-socket $E2E_TMP/completion.sock (lib.sh)

cat >"$E2E_TMP/gateway.yaml" <<'YAML'
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: inference-gateway
spec:
  gatewayClassName: nginx
  listeners:
    - name: http
      port: 80
      protocol: HTTP
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: llm-route
spec:
  parentRefs:
    - name: inference-gateway
  rules:
    - matches:
        - path:
            type: PathPrefix
            value: /v1
      backendRefs:
        - group: inference.networking.k8s.io
          kind: InferencePool
          name: vllm-llama3-8b-instruct
    - matches:
        - path:
            type: Exact
            value: /status
      backendRefs:
        - name: status
          port: 80
---
apiVersion: inference.networking.k8s.io/v1
kind: InferencePool
metadata:
  name: vllm-llama3-8b-instruct
spec:
  targetPorts:
    - number: 8000
  selector:
    matchLabels:
      app: vllm-llama3-8b-instruct
  endpointPickerRef:
    name: vllm-llama3-8b-instruct-epp
    port:
      number: 9002
    failureMode: FailOpen
---
apiVersion: v1
kind: Service
metadata:
  name: vllm-llama3-8b-instruct-epp
spec:
  selector:
    app: vllm-llama3-8b-instruct-epp
  ports:
    - protocol: TCP
      port: 9002
      targetPort: 9002
YAML

# Render into an NGINX prefix: listeners and Service names made local.
prefix="$E2E_TMP/gateway"
mkdir -p "$prefix/logs"
chmod 755 "$prefix"
cp "$REPO_DIR"/deploy/nginx/epp-{http,server,proxy}.conf "$prefix/"
render_gateway() {
    "$BIN" render --context "$E2E_TMP/gateway.yaml" --config-only --nginx-conf-out "$prefix/nginx.conf" \
        -o "$E2E_TMP/rendered.yaml" --worker-processes 1 \
        --listen-address 127.0.0.1 --port "80=$GW_PORT" --health-port "$HEALTH_PORT" \
        --bridge "127.0.0.1:$BRIDGE_PORT" --njs-dir "$REPO_DIR/njs" \
        --access-log logs/access.log --error-log logs/error.log \
        --completion-socket "$E2E_TMP/completion.sock" \
        --resolve "vllm-llama3-8b-instruct-epp.default.svc.cluster.local:9002=127.0.0.1:$EPP_PORT" \
        --resolve "vllm-llama3-8b-instruct-epp-fallback.default.svc.cluster.local:8000=$(csv "${M[0]}" "${M[1]}")" \
        --resolve "status.default.svc.cluster.local:80=127.0.0.1:${M[2]}" \
        </dev/null 2>"$E2E_TMP/render.err"
}
started=""
for ((try = 0; try < 3; try++)); do
    free_port GW_PORT
    free_port HEALTH_PORT
    render_gateway || { cat "$E2E_TMP/render.err" >&2; fail "render failed"; }
    "$NGINX" -t -q -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/logs/error.log" \
        >"$E2E_TMP/gateway-t.log" 2>&1 || { cat "$E2E_TMP/gateway-t.log" >&2; fail "nginx -t on the rendered config"; }
    spawn gateway "$NGINX" -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/logs/error.log" \
        -g 'daemon off;'
    if wait_port "$GW_PORT" "$SPAWNED_PID" && wait_port "$HEALTH_PORT" "$SPAWNED_PID"; then
        started=1
        break
    fi
    kill -KILL "$SPAWNED_PID" 2>/dev/null || true
done
[[ -n "$started" ]] || fail "NGINX with the rendered config did not start"
note "rendered config passes nginx -t and serves on $GW_PORT"
# epp-completion.conf as deploy/nginx/render.sh writes it for the same values.
"$RENDER" "$REPO_DIR/deploy/nginx/one-pool.conf.in" "$E2E_TMP/reference" LISTEN=127.0.0.1:1 \
    BRIDGE_ADDR=127.0.0.1:1 EPP_PORT=1 POOL_SERVERS="server 127.0.0.1:1;" \
    "COMPLETION_SOCKET=$E2E_TMP/completion.sock" || fail "deploy/nginx/render.sh"
assert_eq "$(grep -v '^#' "$E2E_TMP/reference/epp-completion.conf")" \
    "$(grep -v '^#' "$prefix/epp-completion.conf")" "epp-completion.conf like deploy/nginx's"
assert_contains "$(cat "$E2E_TMP/rendered.yaml")" "name: vllm-llama3-8b-instruct-epp-fallback" \
    "the FailOpen pool's fallback Service"

# Through the bridge and the EPP: the EPP's pick serves the request.
for m in "${M[0]}" "${M[1]}"; do
    out="$(chat -H "test-epp-endpoint-selection: 127.0.0.1:$m")"
    assert_eq "200 127.0.0.1:$m" "$out" "request routed by the EPP to $m"
done
out="$(burst 20 5)"
assert_eq 20 "$(grep -c '^200 ' <<<"$out")" "20 routed requests"
if grep -v -e "127.0.0.1:${M[0]}" -e "127.0.0.1:${M[1]}" <<<"$out" | grep -q .; then
    fail "a request left the pool: $out"
fi
note "20 requests through NGINX, bridge and EPP to the pool"

# The completion records of epp-completion.conf reach the bridge.
admin="$(sed -nE 's/.*admin listening on ([0-9.]+:[0-9]+).*/\1/p' "$E2E_TMP/bridge.log" | head -n1)"
if [[ -n "$admin" ]]; then
    matched=""
    for ((i = 0; i < 50; i++)); do
        matched="$("${CURL[@]}" "http://$admin/metrics" |
            sed -nE 's/^epp_bridge_completion_records_total\{result="matched"\} ([0-9.e+]+)$/\1/p')"
        [[ "${matched%%.*}" -ge 22 ]] 2>/dev/null && break
        sleep 0.1
    done
    [[ "${matched%%.*}" -ge 22 ]] 2>/dev/null || fail "completion records matched: '$matched' (want 22)"
    note "completion records: $matched matched by the bridge"
fi

# The Exact match to a plain Service, unknown paths, NGINX's own health.
status="$("${CURL[@]}" -o /dev/null -w '%{http_code} %header{x-mock-server}' "http://127.0.0.1:$GW_PORT/status")"
assert_eq "200 127.0.0.1:${M[2]}" "$status" "Exact /status to the Service"
for path in /status/x /v1x /other; do
    code="$("${CURL[@]}" -o /dev/null -w '%{http_code}' "http://127.0.0.1:$GW_PORT$path")"
    assert_eq 404 "$code" "unrouted path $path"
done
code="$("${CURL[@]}" -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HEALTH_PORT/healthz")"
assert_eq 200 "$code" "NGINX /healthz"

# FailOpen: with the EPP gone, the pool's fallback upstream serves.
kill -TERM "$EPP_PID"
wait "$EPP_PID" 2>/dev/null || true
out="$(chat)"
[[ "$out" == "200 127.0.0.1:${M[0]}" || "$out" == "200 127.0.0.1:${M[1]}" ]] \
    || fail "FailOpen without an EPP: got '$out'"
note "FailOpen without an EPP: served by ${out#200 }"

# As a Helm post-renderer: manifests on stdin, all of them on stdout.
workload="$REPO_DIR/tests/render/nginx-workload.yaml"
with="$("$BIN" render --context "$E2E_TMP/gateway.yaml" <"$workload" 2>/dev/null)"
assert_contains "$with" "- name: epp-bridge" "bridge container for an InferencePool route"
assert_contains "$with" "kind: ConfigMap" "ConfigMap passed through"
sed -e 's/^        - group: inference.networking.k8s.io$/        - name: web/' \
    -e '/^          kind: InferencePool$/d' \
    -e 's/^          name: vllm-llama3-8b-instruct$/          port: 80/' \
    "$E2E_TMP/gateway.yaml" >"$E2E_TMP/plain.yaml"
without="$("$BIN" render --context "$E2E_TMP/plain.yaml" <<<"$with" 2>/dev/null)"
[[ "$without" != *"name: epp-bridge"* ]] || fail "bridge container kept for plain Service routes"
assert_contains "$without" "server web.default.svc.cluster.local:80;" "plain Service upstream"

# A bad manifest: exit 1 and a message naming the object and the field.
sed 's/failureMode: FailOpen/failureMode: Sometimes/' "$E2E_TMP/gateway.yaml" >"$E2E_TMP/bad.yaml"
rc=0
err="$("$BIN" render --context "$E2E_TMP/bad.yaml" --config-only </dev/null 2>&1 >/dev/null)" || rc=$?
assert_eq 1 "$rc" "exit code for a bad manifest"
assert_contains "$err" "InferencePool default/vllm-llama3-8b-instruct: spec.endpointPickerRef.failureMode" \
    "error names object and field"
note "post-renderer: bridge added, removed, and a clear error ($err)"
