# shellcheck shell=bash
# The interop scenarios, sourced by suite.sh after the peers are up. Each
# scenario_NAME runs in a subshell, fails through fail() (tests/e2e/lib.sh)
# and may print "DETAIL: ..." (shown in docs/interop.md) and
# "STATUS: skip|n/a|limit" for an outcome other than pass.
#
# Gateway host names (gateway.conf.in): the default server uses the
# conformance EPP, sched.local the EPP with its production configuration.

SCENARIOS=(
    GatewayFollowingEPPRouting
    GatewayDestinationEndpointServed
    GatewayDestinationEndpointServedEppReport
    DataParallelism
    WeightedTwoPools
    InvalidEPPService
    PortValidation
    AppProtocol
    ChatAndCompletions
    BadJsonIs400
    RefusalsReachClient
    BodyEchoAndRewrite
    RequestIdKept
    LargePrompt
    EppUnAvailableFailOpen # last: it stops the conformance EPP
)

SEL=test-epp-endpoint-selection

llmd_only() {
    if [[ "$EPP_KIND" != llmd ]]; then
        echo "STATUS: n/a"
        echo "DETAIL: llm-d EPP behaviour"
        exit 0
    fi
}

# GIE GatewayFollowingEPPRouting: 1, 2 and 3 selected IPs; 100 requests,
# 10 concurrent; every answer from a selected endpoint.
scenario_GatewayFollowingEPPRouting() {
    local k sel out seen=""
    for k in 1 2 3; do
        sel="$(IFS=,; echo "${POOL_A_IPS[*]:0:k}")"
        out="$(send 100 10 conformance.local /v1/completions -H "$SEL: $sel")"
        check_served "$out" "${POOL_A_IPS[@]:0:k}"
        note "$k IP(s) [$sel]: 100/100 on $(distinct_served "$out")"
        seen+="${seen:+, }$k->$(awk '{print $2}' <<<"$out" | sed 's/:.*//' | sort -u | wc -l)"
    done
    echo "DETAIL: 100 requests for each of 1, 2, 3 selected IPs, all on selected endpoints (IPs used: $seen)"
}

# GIE GatewayDestinationEndpointServed, as the client sees it: the answer's
# X-Gateway-Destination-Endpoint-Served is the endpoint that served, for
# every endpoint of pool A.
scenario_GatewayDestinationEndpointServed() {
    local ip p out code served
    for ip in "${POOL_A_IPS[@]}"; do
        for p in ${PORTS_OF_IP[$ip]}; do
            out="$(send 1 1 conformance.local /v1/completions -H "$SEL: $ip:$p")"
            check_served "$out" "$ip:$p"
            read -r code served _ <<<"$out"
            assert_eq "$ip:$p" "$served" "X-Gateway-Destination-Endpoint-Served"
        done
    done
    echo "DETAIL: X-Gateway-Destination-Endpoint-Served named the serving endpoint (and its simulator answered) on all ${#POOL_A_ENDPOINTS[@]} endpoints"
}

# GIE GatewayDestinationEndpointServed, the EPP's side: the data plane
# reports envoy.lb x-gateway-destination-endpoint-served on the response
# path and the conformance EPP answers with x-conformance-test-served-endpoint,
# which must name the endpoint that served that very request. The client sees
# that header when the response phase runs before NGINX sends the response
# headers; when it runs after the response (a completion report), the EPP's
# log shows its answer. Each request carries its own X-Request-Id, and only
# the EPP's response-phase answer logged with that id counts (exactly one, and
# exactly the serving ip:port), so lines left by other requests to the same
# endpoint prove nothing here. Needs the bridge's response phase;
# served_report_supported decides whether to hold the bridge to it.
scenario_GatewayDestinationEndpointServedEppReport() {
    local ip p out code served conf rid answers n=0 i by_header=0 by_log=0 missing=()
    local log="$E2E_TMP/epp-conf.log" tag="eppreport-$$-$RANDOM$RANDOM" before after
    local wait=100  # tenths of a second for a completion report to reach the EPP
    served_report_supported || wait=5
    before="$(bridge_response_counters)"
    for ip in "${POOL_A_IPS[@]}"; do
        for p in ${PORTS_OF_IP[$ip]}; do
            n=$((n + 1))
            rid="$tag-$n"
            out="$(send 1 1 conformance.local /v1/completions -H "$SEL: $ip:$p" -H "X-Request-Id: $rid")"
            check_served "$out" "$ip:$p"
            read -r code served _ _ conf <<<"$out"
            if [[ "$conf" != - ]]; then
                assert_eq "$served" "$conf" "the EPP's x-conformance-test-served-endpoint (request $rid)"
                by_header=$((by_header + 1))
                continue
            fi
            answers=""
            for ((i = 0; i < wait; i++)); do
                answers="$(epp_served_answers "$log" "$rid")"
                [[ -n "$answers" ]] && break
                sleep 0.1
            done
            if [[ -z "$answers" ]]; then
                missing+=("$served")
                note "request $rid (served by $served): no response-phase answer from the EPP"
                continue
            fi
            [[ "$(wc -l <<<"$answers")" -eq 1 ]] \
                || fail "request $rid (served by $served): the EPP answered the response phase more than once: $(tr '\n' ' ' <<<"$answers")"
            assert_eq "$served" "$answers" "the EPP's x-conformance-test-served-endpoint for request $rid"
            by_log=$((by_log + 1))
        done
    done
    after="$(bridge_response_counters)"
    local bridge_said
    bridge_said="bridge counters during the scenario: $(counter_delta "$before" "$after" 'epp_bridge_completion_records_total{result="matched"}') completion records matched, $(counter_delta "$before" "$after" 'epp_bridge_held_stream_ends_total{reason="completed"}') held streams completed"
    note "$bridge_said"
    if ((${#missing[@]} == 0)); then
        echo "DETAIL: for each of the ${#POOL_A_ENDPOINTS[@]} endpoints, one request with its own X-Request-Id; the EPP's answer for that request named the serving endpoint ($by_header in x-conformance-test-served-endpoint, $by_log in its response-phase log line for the request id); $bridge_said"
        return 0
    fi
    if served_report_supported; then
        note "bridge counters now: $(tr '\n' ' ' <<<"$after")"
        fail "the bridge reports the served endpoint, but the EPP answered the response phase for only $((by_header + by_log)) of ${#POOL_A_ENDPOINTS[@]} requests (none for ${missing[*]}); $bridge_said"
    fi
    echo "STATUS: skip"
    echo "DETAIL: skipped: $SERVED_REPORT_REASON"
    note "skip: $SERVED_REPORT_REASON"
}

# epp_served_answers LOG REQUEST-ID: the x-conformance-test-served-endpoint
# of each response-phase answer the EPP logged for REQUEST-ID, one a line:
# the llm-d EPP at trace level logs "Sending response header response" with
# the request's x-request-id and the reply; lwepp-static logs "Sending
# response headers reply" with the stream's x-request-id and the value.
epp_served_answers() {
    grep -F -e "\"x-request-id\":\"$2\"" "$1" 2>/dev/null \
        | grep -e '"msg":"Sending response header response"' -e '"msg":"Sending response headers reply"' \
        | sed -n -e 's/.*"x-conformance-test-served-endpoint":"\([^"]*\)".*/\1/p' \
            -e 's/.*key:\\"x-conformance-test-served-endpoint\\" *raw_value:\\"\([^\\"]*\)\\".*/\1/p' \
        || true
}

# bridge_response_counters: the bridge's response-phase metrics (from its
# admin port), one "name{labels} value" a line; nothing when unavailable.
bridge_response_counters() {
    local port
    port="$(sed -n 's/.*admin listening on [0-9.]*:\([0-9][0-9]*\) .*/\1/p' "$E2E_TMP/bridge.log" | head -n 1)"
    [[ -n "$port" ]] || return 0
    { "${CURL[@]}" "http://127.0.0.1:$port/metrics" 2>/dev/null || true; } \
        | grep -E '^epp_bridge_(completion_records_total|held_stream_ends_total|held_streams)[{ ]' || true
}

# counter_delta BEFORE AFTER SERIES: how much SERIES grew ("?" when unknown).
counter_delta() {
    local b a
    [[ -n "$2" ]] || { echo "?"; return 0; }
    b="$(awk -v k="$3" '$1 == k {print $2}' <<<"$1")"
    a="$(awk -v k="$3" '$1 == k {print $2}' <<<"$2")"
    awk -v a="${a:-0}" -v b="${b:-0}" 'BEGIN {printf "%d", a - b}'
}

# served_report_supported: whether the bridge has the response phase that
# reports the served endpoint to the EPP ('serve --help' offers
# --completion-socket or mentions the served endpoint, or
# INTEROP_EXPECT_SERVED_REPORT=1). Sets SERVED_REPORT_REASON when it has not.
served_report_supported() {
    [[ "${INTEROP_EXPECT_SERVED_REPORT:-}" == 1 ]] && return 0
    local help
    help="$("$BIN" serve --help 2>&1 || true)"
    if [[ "$help" == *--completion-socket* || "${help,,}" == *served* ]]; then
        return 0
    fi
    SERVED_REPORT_REASON="the bridge has no response phase ('serve --help' offers no --completion-socket and mentions no served endpoint), so the EPP never receives x-gateway-destination-endpoint-served and cannot answer x-conformance-test-served-endpoint"
    return 1
}

# GIE GatewayFollowingEPPRoutingWithDataParallelism: pods with several ranks
# (ports); an IP token admits any port of that IP, an IP:port token exactly
# that one.
scenario_DataParallelism() {
    local a0="${POOL_A_IPS[0]}" a1="${POOL_A_IPS[1]}" a2="${POOL_A_IPS[2]}"
    local a1p a2p out ports
    read -r -a a1p <<<"${PORTS_OF_IP[$a1]}"
    read -r -a a2p <<<"${PORTS_OF_IP[$a2]}"
    # one pod, any rank
    out="$(send 30 10 conformance.local /v1/completions -H "$SEL: $a1")"
    check_served "$out" "$a1"
    ports="$(distinct_served "$out")"
    note "IP $a1 -> $ports"
    # two pods, one with a fixed rank
    out="$(send 30 10 conformance.local /v1/completions -H "$SEL: $a0,$a2:${a2p[1]}")"
    check_served "$out" "$a0" "$a2:${a2p[1]}"
    note "$a0 + $a2:${a2p[1]} -> $(distinct_served "$out")"
    # three pods, one restricted to two of its ranks
    out="$(send 30 10 conformance.local /v1/completions \
        -H "$SEL: $a0,$a1:${a1p[0]},$a1:${a1p[2]},$a2")"
    check_served "$out" "$a0" "$a1:${a1p[0]}" "$a1:${a1p[2]}" "$a2"
    note "$a0 + $a1:{${a1p[0]},${a1p[2]}} + $a2 -> $(distinct_served "$out")"
    # every rank of every pod answers when asked for exactly
    local ip p
    for ip in "${POOL_A_IPS[@]}"; do
        for p in ${PORTS_OF_IP[$ip]}; do
            check_served "$(send 1 1 conformance.local /v1/completions -H "$SEL: $ip:$p")" "$ip:$p"
        done
    done
    echo "DETAIL: pods with 3, 3 and 2 ranks; conformance cases held; IP-only selection of $a1 used: ${ports% }"
}

# GIE GatewayWeightedAcrossTwoInferencePools: 70/30 over 200 requests (5
# concurrent), tolerance max(0.10, 4.5 sigma) as in the suite; each request
# served inside the pool its EPP belongs to.
scenario_WeightedTwoPools() {
    local out a=0 b=0 code served pod port rest
    out="$(send 200 5 weighted.local /v1/completions)"
    while read -r code served pod port rest; do
        [[ "$code" == 200 ]] || fail "status $code (served '$served')"
        if [[ " ${POOL_A_ENDPOINTS[*]} " == *" $served "* ]]; then a=$((a + 1))
        elif [[ " ${POOL_B_ENDPOINTS[*]} " == *" $served "* ]]; then b=$((b + 1))
        else fail "served by '$served', in neither pool"; fi
        [[ "$pod" == "${POD_OF_IP[${served%:*}]}" ]] || fail "endpoint $served answered as '$pod'"
    done <<<"$out"
    assert_eq 200 $((a + b)) "answers"
    # |a/200 - 0.7| <= max(0.10, 4.5 * sqrt(0.21/200)) = 0.1458 -> 111..169
    ((a >= 111 && a <= 169)) || fail "pool A got $a of 200 (want 140, tolerance 111..169)"
    echo "DETAIL: pool A $a / pool B $b of 200 (70/30, allowed A 111..169)"
}

# GIE InferencePoolInvalidEPPService: the EPP reference points at nothing;
# FailClose answers 5xx.
scenario_InvalidEPPService() {
    local out codes
    out="$(send 10 5 invalid-epp.local /v1/completions)"
    codes="$(awk '{print $1}' <<<"$out" | sort | uniq -c | tr -s ' ' | tr '\n' ';')"
    awk '$1 !~ /^5[0-9][0-9]$/ {bad=1} END {exit bad}' <<<"$out" || fail "want only 5xx, got $codes"
    awk '$3 != "-" {bad=1} END {exit bad}' <<<"$out" || fail "a model server answered"
    local err
    err="$("${CURL[@]}" -o /dev/null -w '%{http_code} %header{x-epp-error}' \
        "http://127.0.0.1:$GW_PORT/v1/completions" -H 'Host: invalid-epp.local' \
        -H 'content-type: application/json' -d '{"model":"demo","prompt":"x"}')"
    echo "DETAIL: 10/10 answered 5xx ($codes X-EPP-Error: ${err#* })"
}

# GIE InferencePoolHTTPRoutePortValidation: the route's port (none, the
# target port, another port) does not matter; the EPP's endpoint does.
scenario_PortValidation() {
    local host out a0="${POOL_A_IPS[0]}"
    for host in port-unspecified.local port-matching.local port-nonmatching.local; do
        out="$(send 10 5 "$host" /v1/completions -H "$SEL: $a0")"
        check_served "$out" "$a0"
        note "$host -> $(distinct_served "$out")"
    done
    echo "DETAIL: unspecified, matching and non-matching route ports all served by the EPP's endpoint ($a0:target port)"
}

# GIE InferencePoolAppProtocol: pools whose targetPort speaks h2c.
scenario_AppProtocol() {
    echo "STATUS: limit"
    echo "DETAIL: not run: nginx 1.22's proxy module speaks HTTP/1.0 and 1.1 only to model servers (see 'AppProtocol' below)"
}

# llm-d: chat and completions bodies are parsed and routed.
scenario_ChatAndCompletions() {
    llmd_only
    local out obj
    out="$(send 20 5 sched.local /v1/chat/completions \
        -d '{"model":"demo","messages":[{"role":"user","content":"hello there"}],"max_tokens":4}')"
    check_served "$out" "${POOL_A_IPS[@]}"
    out="$(send 20 5 sched.local /v1/completions)"
    check_served "$out" "${POOL_A_IPS[@]}"
    obj="$("${CURL[@]}" "http://127.0.0.1:$GW_PORT/v1/chat/completions" -H 'Host: sched.local' \
        -H 'content-type: application/json' \
        -d '{"model":"demo","messages":[{"role":"user","content":"hello there"}]}')"
    assert_contains "$obj" '"chat.completion"' "chat answer object"
    assert_contains "$obj" 'hello there' "echoed chat content"
    obj="$("${CURL[@]}" "http://127.0.0.1:$GW_PORT/v1/completions" -H 'Host: sched.local' \
        -H 'content-type: application/json' -d '{"model":"demo","prompt":"tell me more"}')"
    assert_contains "$obj" '"text_completion"' "completion answer object"
    echo "DETAIL: 20 chat + 20 completions routed by the production profile; answers are chat.completion / text_completion"
}

# llm-d: malformed JSON is refused by the EPP with 400, which reaches the client.
scenario_BadJsonIs400() {
    llmd_only
    local out code served pod body
    out="$(send 5 5 sched.local /v1/completions -d '{"model": "demo", "prompt": ')"
    while read -r code served pod _; do
        assert_eq 400 "$code" "status for malformed JSON"
        assert_eq - "$pod" "no model server answered"
    done <<<"$out"
    body="$("${CURL[@]}" "http://127.0.0.1:$GW_PORT/v1/completions" -H 'Host: sched.local' \
        -H 'content-type: application/json' -d 'not json')"
    out="$(send 1 1 sched.local /v1/completions -d '{"prompt":"no model"}')"
    assert_eq 400 "${out%% *}" "status for a body without a model"
    echo "DETAIL: 400 from the EPP ('${body:0:80}'), no model server reached; missing model also 400"
}

# llm-d: its refusals reach the client: 429 when the scheduler finds no
# endpoint (test filter selecting an unknown IP), 503 when the subset hint
# leaves no candidate.
scenario_RefusalsReachClient() {
    llmd_only
    local out code pod
    out="$(send 5 5 conformance.local /v1/completions -H "$SEL: $NO_SUCH_IP")"
    while read -r code _ pod _; do
        assert_eq 429 "$code" "status when no endpoint fits"
        assert_eq - "$pod" "no model server answered"
    done <<<"$out"
    out="$(send 5 5 subset.local /v1/completions)"
    while read -r code _ pod _; do
        assert_eq 503 "$code" "status for an empty subset"
        assert_eq - "$pod" "no model server answered"
    done <<<"$out"
    echo "DETAIL: 429 (no endpoint fits) and 503 (subset hint matches nothing) passed to the client"
}

# llm-d: the EPP streams the body back re-marshalled. The bridge reports it
# as mutated only when the bytes changed, and NGINX then sends the EPP's
# body; a model rewrite (x-gateway-model-name-rewrite) reaches the server.
scenario_BodyEchoAndRewrite() {
    llmd_only
    local hdrs body canon='{"model":"demo","prompt":"same bytes"}' spaced='{ "prompt" : "same bytes", "model" : "demo" }'
    bridge_direct() {  # bridge_direct BODY -> headers then body, in $hdrs/$body
        local f="$E2E_TMP/direct.$$"
        body="$("${CURL[@]}" -D "$f" "http://127.0.0.1:$BRIDGE_PORT/" -H "X-EPP-Host: 127.0.0.1" \
            -H "X-EPP-Port: $EPP_SCHED_PORT" -H 'X-EPP-Path: /v1/completions' \
            -H 'X-EPP-Want-Body: 1' -H 'content-type: application/json' --data-binary "$1")"
        hdrs="$(tr -d '\r' <"$f" | tr 'A-Z' 'a-z')"
    }
    bridge_direct "$canon"
    assert_contains "$hdrs" "x-epp-outcome: picked" "canonical body: outcome"
    assert_contains "$hdrs" "x-epp-body: original" "canonical body (echoed byte for byte)"
    assert_eq "" "$body" "canonical body: no body in the answer"
    bridge_direct "$spaced"
    assert_contains "$hdrs" "x-epp-body: mutated" "re-marshalled body"
    assert_eq "$canon" "$body" "the EPP's re-marshalled body"
    local out obj
    obj="$("${CURL[@]}" "http://127.0.0.1:$GW_PORT/v1/completions" -H 'Host: sched.local' \
        -H 'content-type: application/json' -H 'x-gateway-model-name-rewrite: rewritten' \
        -d '{"model":"demo","prompt":"rewrite me"}')"
    assert_contains "$obj" '"model":"rewritten"' "model server answered for the rewritten model"
    obj="$("${CURL[@]}" "http://127.0.0.1:$GW_PORT/v1/completions" -H 'Host: sched.local' \
        -H 'content-type: application/json' -d "$spaced")"
    assert_contains "$obj" '"model":"demo"' "re-marshalled body served"
    assert_contains "$obj" 'same bytes' "re-marshalled body content"
    echo "DETAIL: identical echo -> original body kept; re-marshalled echo -> EPP body sent; model rewrite 'demo'->'rewritten' served"
}

# llm-d: the client's x-request-id reaches the EPP and the model server.
scenario_RequestIdKept() {
    llmd_only
    local rid="interop-rid-$RANDOM$RANDOM" got
    got="$("${CURL[@]}" -o /dev/null -w '%{http_code} %header{x-request-id} %header{x-inference-pod}' \
        "http://127.0.0.1:$GW_PORT/v1/completions" -H 'Host: sched.local' \
        -H 'content-type: application/json' -H "X-Request-Id: $rid" -d '{"model":"demo","prompt":"id"}')"
    read -r code echoed pod <<<"$got"
    assert_eq 200 "$code" "status"
    assert_eq "$rid" "$echoed" "x-request-id echoed by the model server"
    local i
    for ((i = 0; i < 20; i++)); do
        grep -q "$rid" "$E2E_TMP/epp-sched.log" && break
        sleep 0.1
    done
    grep -q "$rid" "$E2E_TMP/epp-sched.log" || fail "the EPP never logged x-request-id $rid"
    echo "DETAIL: $rid seen by the EPP (its log) and by the model server ($pod)"
}

# llm-d: prompts of 1 MiB and more are routed (body streamed to the EPP in
# chunks, echoed back in chunks) and reach the model server whole.
scenario_LargePrompt() {
    llmd_only
    local mib f out code pod tokens words
    local word
    word="$(printf 'abcdefghij%.0s' {1..24})"  # 240 bytes: one token for the simulator
    for mib in 1 3; do
        f="$E2E_TMP/prompt-$mib.json"
        words=$((mib * 1024 * 1024 / 241 + 1))
        {
            printf '{"model":"demo","max_tokens":2,"prompt":"'
            yes "$word" | head -n "$words" | tr '\n' ' '
            printf '"}'
        } >"$f"
        out="$("${CURL[@]}" --max-time 60 -w '\n%{http_code} %header{x-inference-pod}' \
            "http://127.0.0.1:$GW_PORT/v1/completions" -H 'Host: sched.local' \
            -H 'content-type: application/json' --data-binary @"$f")" || fail "$mib MiB: curl"
        read -r code pod <<<"$(tail -n 1 <<<"$out")"
        assert_eq 200 "$code" "$mib MiB prompt: status"
        [[ "$pod" == pool-a-* ]] || fail "$mib MiB prompt: answered by '$pod'"
        tokens="$(grep -o '"prompt_tokens":[0-9]*' <<<"$out" | head -n 1 | cut -d: -f2)"
        ((${tokens:-0} >= words)) || fail "$mib MiB prompt: model server counted ${tokens:-no} prompt tokens, want >= $words"
        note "$mib MiB ($(stat -c %s "$f") bytes): $tokens prompt tokens at $pod"
    done
    echo "DETAIL: 1 MiB and 3 MiB prompts routed; the model server counted every token"
}

# GIE EppUnAvailableFailOpen: with the EPP down, a FailOpen pool still
# answers 200 from one of its members.
scenario_EppUnAvailableFailOpen() {
    local out a0="${POOL_A_IPS[0]}" pid="${EPP_PIDS[conf]}" i
    out="$(send 10 5 failopen.local /v1/completions -H "$SEL: $a0")"
    check_served "$out" "$a0"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do port_in_use "$EPP_CONF_PORT" || break; sleep 0.1; done
    port_in_use "$EPP_CONF_PORT" && fail "the EPP did not stop"
    out="$(send 20 5 failopen.local /v1/completions -H "$SEL: $a0")"
    check_served "$out" "${POOL_A_IPS[@]}"
    out="$(send 5 5 conformance.local /v1/completions -H "$SEL: $a0")"
    awk '$1 !~ /^5[0-9][0-9]$/ {bad=1} END {exit bad}' <<<"$out" || fail "FailClose with the EPP down: want 5xx, got: $out"
    echo "DETAIL: EPP stopped: 20/20 FailOpen answers 200 from pool members ($(distinct_served "$(send 5 5 failopen.local /v1/completions)")); FailClose 5xx"
}
