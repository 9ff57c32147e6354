#!/usr/bin/env bash
# The NGF drop-in cases; tests/ngf/run.sh runs this inside a private network
# namespace (NGF's epp.js hard-codes the sidecar at 127.0.0.1:54800).
#   cases.sh BIN [REPORT-DIR]   (NGF_DIR: the folder holding NGF's epp.js)
set -euo pipefail
# shellcheck source=tests/lib/lib.sh
source "$(dirname "$0")/../lib/lib.sh"
e2e_init "$1"
[[ "${NGF_TIER_INSIDE:-}" == 1 && -f "${NGF_DIR:-}/epp.js" ]] || fail "run tests/ngf/run.sh instead"
REPORT_DIR="${2:-$E2E_TMP/report}"
mkdir -p "$REPORT_DIR"
NGF_DIR="$(cd "$NGF_DIR" && pwd)"
SHIM_PORT=54800  # fixed in NGF's epp.js

# Three mock model servers, one on IPv6 loopback.
free_port M1
free_port M2
free_port M6
start_nginx mocks "$E2E_DIR/mock-model.conf.in" "$M1" "MOCK_PACE=" \
    "MOCK_LISTENS=listen 127.0.0.1:$M1; listen 127.0.0.1:$M2; listen [::1]:$M6;" \
    || fail "mocks did not start"

start_dev_epp EPP_PORT --endpoints "127.0.0.1:$M1,127.0.0.1:$M2"
start_dev_epp RW_PORT --endpoints "127.0.0.1:$M1" --rewrite-model demo=rewritten
EPP_LOG="$E2E_TMP/dev-epp-EPP_PORT.log"

# The bridge under NGF's name and flags, on NGF's port (its default --listen).
spawn bridge "$BIN" endpoint-picker --endpoint-picker-disable-tls \
    --completion-socket "$E2E_TMP/completion.sock" \
    --completion-socket-group "$(nginx_worker_group)"
wait_port "$SHIM_PORT" "$SPAWNED_PID" || fail "endpoint-picker did not listen on $SHIM_PORT"

# NGF's NGINX: epp.js where NGF's nginx.conf imports it from.
free_port NGF_PORT
free_port FIVE_HUNDRED_PORT
mkdir -p "$E2E_TMP/ngf/modules/njs"
ln -s "$NGF_DIR/epp.js" "$E2E_TMP/ngf/modules/njs/epp.js"
start_nginx ngf "$(dirname "$0")/ngf-gateway.conf.in" "$NGF_PORT" \
    "LISTEN_PORT=$NGF_PORT" "FIVE_HUNDRED_PORT=$FIVE_HUNDRED_PORT" \
    "EPP_PORT=$EPP_PORT" "RW_EPP_PORT=$RW_PORT" \
    "POOL_SERVERS=server 127.0.0.1:$M1; server 127.0.0.1:$M2;" || fail "NGF gateway did not start"
NGF_LOG="$E2E_TMP/ngf/logs/error.log"

# Ours (njs/epp.js, deploy/nginx/one-pool.conf.in) against the same bridge,
# for the side-by-side table.
start_ours() {  # start_ours NAME PORTVAR EPP-PORT
    local p
    free_port p
    start_nginx "$1" "$REPO_DIR/deploy/nginx/one-pool.conf.in" "$p" "LISTEN=127.0.0.1:$p" \
        "BRIDGE_ADDR=127.0.0.1:$SHIM_PORT" "EPP_PORT=$3" \
        "POOL_SERVERS=server 127.0.0.1:$M1; server 127.0.0.1:$M2;" || fail "$1 did not start"
    printf -v "$2" '%s' "$p"
}
start_ours ours OURS_PORT "$EPP_PORT"
start_ours ours-rw OURS_RW_PORT "$RW_PORT"

SMALL='{"model":"demo","messages":[{"role":"user","content":"hi"}]}'
# req PORT PATH [CURL-ARGS...]: "STATUS SERVER MODEL BODY-BYTES"; the answer
# body is kept in $E2E_TMP/last.json.
req() {
    local port="$1" path="$2"
    shift 2
    "${CURL[@]}" --max-time 60 -o "$E2E_TMP/last.json" \
        -w '%{http_code} %header{x-mock-server} %header{x-mock-model} %header{x-mock-body-bytes}' \
        "http://127.0.0.1:$port$path" -H 'content-type: application/json' "$@"
}
first2() { cut -d' ' -f1-2 <<<"$1"; }  # "STATUS SERVER" of a req line
ngf() {  # ngf HOST PATH [CURL-ARGS...]: req to NGF's server HOST.test
    local host="$1" path="$2"
    shift 2
    req "$NGF_PORT" "$path" -H "Host: $host.test" "$@"
}

prompt() {  # prompt FILE BYTES: a completion request with a prompt of BYTES
    { printf '{"model":"demo","prompt":"'; head -c "$2" /dev/zero | tr '\0' 'p'; printf '"}'; } >"$1"
}

# --- routing: every request picked by the EPP, both endpoints used
declare -A seen=()
for i in $(seq 20); do
    read -r code server _ <<<"$(ngf close /v1/chat/completions -d "$SMALL")"
    assert_eq 200 "$code" "routing request $i"
    [[ "$server" == "127.0.0.1:$M1" || "$server" == "127.0.0.1:$M2" ]] \
        || fail "routing request $i served by '$server'"
    seen[$server]=1
done
assert_eq 2 "${#seen[@]}" "endpoints used by 20 requests"
note "routing: 20/20 picked, both endpoints used"

# --- failure modes: the EPP fails (gRPC error) -> bridge 502 -> empty endpoint
read -r code server _ <<<"$(ngf close /v1/chat/completions -d "$SMALL" -H 'x-dev-epp-fault: grpc-error')"
assert_eq "500 " "$code $server" "FailClose: status, no model server"
read -r code server _ <<<"$(ngf open /v1/chat/completions -d "$SMALL" -H 'x-dev-epp-fault: grpc-error')"
assert_eq 200 "$code" "FailOpen: status"
[[ "$server" == 127.0.0.1:* ]] || fail "FailOpen: served by '$server', not a pool member"
note "FailClose: 500 from invalid-backend-ref; FailOpen: 200 from the pool ($server)"

# --- large prompts whose model the EPP rewrote: NGF forwards the original body
for mib in 2 8; do
    f="$E2E_TMP/prompt-$mib.json"
    prompt "$f" $((mib * 1024 * 1024))
    size="$(stat -c %s "$f")"
    out="$(ngf rw /v1/completions --data-binary @"$f")"
    assert_eq "200 127.0.0.1:$M1 demo $size" "$out" "$mib MiB rewritten prompt via NGF's epp.js"
done
if grep -q 'fetch content length is too large' "$NGF_LOG"; then fail "ngx.fetch refused an answer"; fi
note "2 and 8 MiB prompts with a rewritten model: 200, original body forwarded"

# The rule itself, at the bridge: the body only for X-EPP-Want-Body: 1.
bridge_body() {  # bridge_body [CURL-ARGS...]: "X-EPP-Body CONTENT-LENGTH"
    "${CURL[@]}" --max-time 60 -o /dev/null -w '%header{x-epp-body} %header{content-length}' \
        "http://127.0.0.1:$SHIM_PORT/" -H 'X-EPP-Host: 127.0.0.1' -H "X-EPP-Port: $RW_PORT" \
        -H 'content-type: application/json' --data-binary @"$E2E_TMP/prompt-2.json" "$@"
}
assert_eq "mutated 0" "$(bridge_body)" "bridge answer without X-EPP-Want-Body"
read -r kind len <<<"$(bridge_body -H 'X-EPP-Want-Body: 1')"
assert_eq mutated "$kind" "bridge answer with X-EPP-Want-Body: 1"
((len > 2 * 1024 * 1024)) || fail "rewritten body of $len bytes"
note "bridge: mutated body returned only on X-EPP-Want-Body: 1 ($len bytes)"

# --- an IPv6 endpoint
out="$(ngf close /v1/chat/completions -d "$SMALL" -H "test-epp-endpoint-selection: [::1]:$M6")"
assert_eq "200 ::1:$M6 demo" "${out% *}" "IPv6 endpoint"
note "IPv6 endpoint [::1]:$M6 served"

# --- a fallback list: NGF proxies to its first endpoint
free_port DEAD
out="$(ngf close /v1/chat/completions -d "$SMALL" \
    -H "test-epp-endpoint-selection: 127.0.0.1:$M2,127.0.0.1:$DEAD")"
assert_eq "200 127.0.0.1:$M2" "$(first2 "$out")" "fallback list, first endpoint alive"
note "fallback list: served by its first endpoint"

# --- Expect: 100-continue (small and 1 MiB bodies) and a chunked body
prompt "$E2E_TMP/prompt-1.json" $((1024 * 1024))
for body in "$SMALL" "@$E2E_TMP/prompt-1.json"; do
    out="$(ngf close /v1/completions -H 'Expect: 100-continue' --data-binary "$body")"
    [[ "$out" == "200 127.0.0.1:"* ]] || fail "Expect: 100-continue (${body:0:20}): $out"
done
note "Expect: 100-continue (small and 1 MiB): picked"

# --- a client's own x-epp-port beside NGF's X-EPP-Port: refused, not dialled
n="$(ngf close /v1/chat/completions -d "$SMALL" -H 'x-epp-port: 1')"
assert_eq "500 " "$(first2 "$n")" "client's x-epp-port, FailClose"
grep -q 'reason=duplicate-control-header' "$E2E_TMP/bridge.log" \
    || fail "the bridge did not refuse a second X-EPP-Port"
n="$(ngf open /v1/chat/completions -d "$SMALL" -H 'x-epp-port: 1')"
[[ "$n" == "200 127.0.0.1:"* ]] || fail "client's x-epp-port, FailOpen: $n"
note "a client's x-epp-port: 400 at the bridge, NGF's failure mode applies"

# --- side by side: what NGF's epp.js cannot do, measured with both modules
rows=()
row() { rows+=("| $1 | $2 | $3 |"); }

n1="$(ngf close /v1/chat/completions -d "$SMALL" -H 'x-dev-epp-fault: status=429')"
n2="$(ngf open /v1/chat/completions -d "$SMALL" -H 'x-dev-epp-fault: status=429')"
o1="$(req "$OURS_PORT" /v1/chat/completions -d "$SMALL" -H 'x-dev-epp-fault: status=429')"
assert_eq "500 " "$(first2 "$n1")" "429 via NGF, FailClose"
[[ "$n2" == "200 127.0.0.1:"* ]] || fail "429 via NGF, FailOpen: $n2"
assert_eq "429 " "$(first2 "$o1")" "429 via ours"
row "EPP answers 429 (ImmediateResponse)" "FailClose: 500; FailOpen: 200 from a pool member" \
    "429 with the EPP's body"

ngf close /v1/chat/completions -d "$SMALL" >/dev/null
n="$(grep -o '"x-gateway-destination-endpoint":"[^"]*"' "$E2E_TMP/last.json" || true)"
req "$OURS_PORT" /v1/chat/completions -d "$SMALL" >/dev/null
o="$(grep -o '"x-gateway-destination-endpoint":"[^"]*"' "$E2E_TMP/last.json" || true)"
assert_eq "" "$n" "header set by the EPP, via NGF"
assert_contains "$o" "127.0.0.1:" "header set by the EPP, via ours"
row "EPP sets a request header (\`x-gateway-destination-endpoint\`)" "not sent to the model server" \
    "sent to the model server"

n="$(ngf rw /v1/chat/completions -d "$SMALL")"
o="$(req "$OURS_RW_PORT" /v1/chat/completions -d "$SMALL")"
assert_eq demo "$(cut -d' ' -f3 <<<"$n")" "rewritten model via NGF"
assert_eq rewritten "$(cut -d' ' -f3 <<<"$o")" "rewritten model via ours"
for mib in 1 4 8; do  # our NGINX path at 1, 4 and 8 MiB
    prompt "$E2E_TMP/prompt-$mib.json" $((mib * 1024 * 1024))
    o="$(req "$OURS_RW_PORT" /v1/completions --data-binary @"$E2E_TMP/prompt-$mib.json")"
    read -r code _ model bytes <<<"$o"
    assert_eq "200 rewritten" "$code $model" "$mib MiB rewritten prompt via ours"
    ((bytes > mib * 1024 * 1024)) || fail "$mib MiB rewritten prompt: model server got $bytes bytes"
done
row "EPP rewrites the body (model demo → rewritten; 1, 4, 8 MiB via ours)" \
    "original body sent (model demo)" "rewritten body sent (model rewritten)"

prompt "$E2E_TMP/prompt-256k.json" $((256 * 1024))
n="$(ngf small /v1/completions --data-binary @"$E2E_TMP/prompt-256k.json")"
o="$(req "$OURS_PORT" /v1/completions --data-binary @"$E2E_TMP/prompt-256k.json")"
assert_eq "500 " "$(first2 "$n")" "256 KiB prompt over the body buffer via NGF"
grep -q 'request body is in a file' "$NGF_LOG" || fail "no 'request body is in a file' in NGF's log"
[[ "$o" == "200 127.0.0.1:"* ]] || fail "256 KiB prompt over the body buffer via ours: $o"
row "prompt over \`client_body_buffer_size\` (256 KiB; 16k NGF, 128k ours)" \
    "EPP not asked (\`request body is in a file\`): FailClose 500" \
    "EPP asked, body streamed from the file: 200"

ended() { grep -m1 -F "request_id=$1 messages=" "$EPP_LOG" || true; }
ngf close /v1/chat/completions -d "$SMALL" -H 'x-request-id: rp-ngf' >/dev/null
req "$OURS_PORT" /v1/chat/completions -d "$SMALL" -H 'x-request-id: rp-ours' >/dev/null
for ((i = 0; i < 50; i++)); do
    [[ -n "$(ended rp-ngf)" && "$(ended rp-ours)" == *"served=127.0.0.1:"* ]] && break
    sleep 0.1
done
[[ "$(ended rp-ngf)" == *'served=""' ]] || fail "NGF's stream: $(ended rp-ngf)"
assert_contains "$(ended rp-ours)" "served=127.0.0.1:" "response phase via ours"
row "response phase (EPP hears ResponseHeaders with the served endpoint)" \
    "none: stream closed after the pick" "yes, after the response completes"

n="$(ngf close /v1/chat/completions -d "$SMALL" -H "test-epp-endpoint-selection: 127.0.0.1:$DEAD,127.0.0.1:$M2")"
o="$(req "$OURS_PORT" /v1/chat/completions -d "$SMALL" \
    -H "test-epp-endpoint-selection: 127.0.0.1:$DEAD,127.0.0.1:$M2")"
assert_eq "502 " "$(first2 "$n")" "first endpoint refuses, via NGF"
assert_eq "200 127.0.0.1:$M2" "$(first2 "$o")" "first endpoint refuses, via ours"
row "EPP's first endpoint refuses the connection" "502" "200 from the next endpoint of the list"

# epp.js copies the client's Transfer-Encoding beside the Content-Length
# ngx.fetch adds; the bridge refuses that framing (RFC 9112 §6.1).
n="$(ngf close /v1/completions -H 'Transfer-Encoding: chunked' --data-binary "$SMALL")"
o="$(req "$OURS_PORT" /v1/completions -H 'Transfer-Encoding: chunked' --data-binary "$SMALL")"
assert_eq "500 " "$(first2 "$n")" "chunked client body via NGF"
grep -q 'bad-http detail="malformed HTTP request: bad Content-Length"' "$E2E_TMP/bridge.log" \
    || fail "the bridge did not refuse Transfer-Encoding with Content-Length"
[[ "$o" == "200 127.0.0.1:"* ]] || fail "chunked client body via ours: $o"
row "client sends a chunked body" \
    "EPP not asked (the bridge refuses \`Transfer-Encoding: chunked\` beside \`Content-Length\`: 400): FailClose 500" \
    "200"

{
    echo "<!-- tests/ngf/run.sh: $(nginx -v 2>&1), njs $(dpkg-query -W -f '${Version}' libnginx-mod-http-js 2>/dev/null || echo '?') -->"
    echo "| behaviour | NGF's epp.js | njs/epp.js |"
    echo "| --- | --- | --- |"
    printf '%s\n' "${rows[@]}"
} >"$REPORT_DIR/ngf-compare.md"
note "side-by-side table: $REPORT_DIR/ngf-compare.md"
cat "$REPORT_DIR/ngf-compare.md"
