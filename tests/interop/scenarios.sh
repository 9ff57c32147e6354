# shellcheck shell=bash
# The interop scenarios, sourced by suite.sh after the peers are up. Each
# scenario_NAME runs in a subshell, fails through fail() (tests/lib/lib.sh)
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
    DataParallelismSubsetHint
    RunningRequests
    PrefixAffinity
    PrefillDecode
    FlowControlRefusals
    ReadmeBridgeExample
    EppUnAvailableFailOpen # last: it stops the conformance EPP
)

SEL=test-epp-endpoint-selection

llmd_only() {
    if [[ "$EPP_KIND" != llmd && "$EPP_KIND" != router ]]; then
        echo "STATUS: n/a"
        echo "DETAIL: llm-d EPP behaviour"
        exit 0
    fi
}

router_only() {
    if [[ "$EPP_KIND" != router ]]; then
        echo "STATUS: n/a"
        echo "DETAIL: llm-d-router v0.9.0 (file discovery) only"
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

# The subset hint names one rank (ip:port) of a data-parallel pod; the EPP
# matches hints by IP, so its own filter may pick another rank of that IP
# (here: the conformance filter selects the pod's second rank). The request
# must succeed from the rank the EPP picked; a selection outside the hinted
# IP reaches no model server.
scenario_DataParallelismSubsetHint() {
    local ip="${POOL_A_IPS[1]}" other="${POOL_A_IPS[0]}" ports hint out code pod
    read -r -a ports <<<"${PORTS_OF_IP[$ip]}"
    hint="$(subset_rank_hint)"
    out="$(send 10 5 subset-rank.local /v1/completions -H "$SEL: $ip:${ports[1]}")"
    check_served "$out" "$ip:${ports[1]}"
    out="$(send 20 5 subset-rank.local /v1/completions -H "$SEL: $ip")"
    check_served "$out" "$ip"
    local any
    any="$(distinct_served "$out")"
    out="$(send 3 3 subset-rank.local /v1/completions -H "$SEL: $other")"
    while read -r code _ pod _; do
        [[ "$code" != 200 ]] || fail "a selection outside the hinted IP was served"
        assert_eq - "$pod" "no model server answered"
    done <<<"$out"
    echo "DETAIL: hint $hint: 10/10 served by the other rank $ip:${ports[1]} the EPP picked; IP-only selection served by ${any% } (all of the hinted IP); a selection outside the hint answered ${out%% *} with no model server reached"
}

# llm-d: the EPP counts a request as running from its pick until the end of
# its ext_proc stream, which the bridge holds until NGINX reports the
# response complete. With N streamed answers in flight through NGINX (the
# simulators slowed down for the scenario through their /admin/config), the
# EPP's own gauge shows N, and 0 once they are done.
scenario_RunningRequests() {
    llmd_only
    local n=4 metric i got=0 peak=0 pids=() ep f
    if [[ "$EPP_KIND" == router ]]; then metric='^llm_d_epp_request_running'
    else metric='^inference_objective_running_requests'; fi
    sims_latency() {  # sims_latency DURATION: every pool A simulator's inter-token latency
        local ep
        for ep in "${POOL_A_ENDPOINTS[@]}"; do
            "${CURL[@]}" -o /dev/null -f "http://$ep/admin/config" -H 'content-type: application/json' \
                -d "{\"inter-token-latency\":\"$1\"}" || return 1
        done
    }
    trap 'sims_latency 0s >/dev/null 2>&1 || true' EXIT
    sims_latency 250ms || fail "could not slow the simulators down (POST /admin/config)"
    got="$(epp_metric sched "$metric")"
    assert_eq 0 "$got" "running requests before the scenario ($metric)"
    for ((i = 0; i < n; i++)); do
        f="$E2E_TMP/running-$i.out"
        "${CURL[@]}" -N -o "$f" -w '%{http_code}' "http://127.0.0.1:$GW_PORT/v1/completions" \
            -H 'Host: sched.local' -H 'content-type: application/json' \
            -d "{\"model\":\"demo\",\"stream\":true,\"max_tokens\":16,\"prompt\":\"stream $i: one two three four five six seven eight nine ten eleven twelve thirteen fourteen\"}" \
            >"$f.code" &
        pids+=($!)
    done
    for ((i = 0; i < 40; i++)); do
        got="$(epp_metric sched "$metric")"
        ((got > peak)) && peak="$got"
        ((got >= n)) && break
        sleep 0.1
    done
    local during="$got" done_all=1
    for i in "${!pids[@]}"; do
        kill -0 "${pids[$i]}" 2>/dev/null || done_all=0
    done
    ((done_all)) || fail "a stream ended before the count was read (the simulators were not slow enough)"
    assert_eq "$n" "$during" "the EPP's running requests ($metric) with $n streams in flight"
    for i in "${!pids[@]}"; do wait "${pids[$i]}" || fail "stream $i: curl failed"; done
    for ((i = 0; i < n; i++)); do
        assert_eq 200 "$(cat "$E2E_TMP/running-$i.out.code")" "stream $i status"
        grep -q 'data: \[DONE\]' "$E2E_TMP/running-$i.out" || fail "stream $i: no [DONE]"
    done
    for ((i = 0; i < 50; i++)); do
        got="$(epp_metric sched "$metric")"
        ((got == 0)) && break
        sleep 0.1
    done
    assert_eq 0 "$got" "the EPP's running requests after the streams completed"
    echo "DETAIL: $n streamed completions in flight through NGINX: ${metric#^} = $during; 0 once all $n had ended with [DONE]"
}

# llm-d: requests sharing a long prompt prefix are sent to one endpoint by
# the prefix-cache scorer, which needs the request body the bridge passes to
# the EPP; requests with distinct prefixes spread over several.
scenario_PrefixAffinity() {
    llmd_only
    local prefix="" i out served=() distinct tag="affinity-$$-$RANDOM"
    for ((i = 0; i < 60; i++)); do prefix+="$tag word$i alpha beta gamma delta "; done
    for ((i = 0; i < 8; i++)); do
        out="$(send 1 1 sched.local /v1/completions \
            -d "{\"model\":\"demo\",\"max_tokens\":2,\"prompt\":\"$prefix question $i\"}")"
        check_served "$out" "${POOL_A_IPS[@]}"
        served+=("$(awk '{print $2}' <<<"$out")")
    done
    distinct="$(printf '%s\n' "${served[@]}" | sort -u)"
    [[ "$(wc -l <<<"$distinct")" -eq 1 ]] \
        || fail "8 requests with one ${#prefix}-byte prefix went to several endpoints: $(tr '\n' ' ' <<<"$distinct")"
    local spread=()
    for ((i = 0; i < 8; i++)); do
        out="$(send 1 1 sched.local /v1/completions \
            -d "{\"model\":\"demo\",\"max_tokens\":2,\"prompt\":\"$i$RANDOM $tag distinct prefix $prefix\"}")"
        check_served "$out" "${POOL_A_IPS[@]}"
        spread+=("$(awk '{print $2}' <<<"$out")")
    done
    local nspread
    nspread="$(printf '%s\n' "${spread[@]}" | sort -u | wc -l)"
    ((nspread > 1)) || fail "8 requests with distinct prefixes all went to ${spread[0]}: the picker does not look at the prefix"
    echo "DETAIL: 8 requests sharing a ${#prefix}-byte prefix all served by $distinct; 8 with distinct prefixes spread over $nspread endpoints"
}

# metric_sum URL SERIES-REGEX: the sum of the samples at URL (a Prometheus
# page) whose name and labels match SERIES-REGEX.
metric_sum() {
    { "${CURL[@]}" "$1" 2>/dev/null || true; } \
        | awk -v re="$2" '$0 !~ /^#/ && $1 ~ re {s += $2} END {printf "%d", s}'
}

# llm-d-router: prefill/decode disaggregation through NGINX. The EPP (P/D
# profile handler, prefix-based decider) picks the decode pod and names a
# prefill pod in x-prefiller-host-port; NGINX passes that header (its slot in
# deploy/nginx) to llm-d's sidecar in front of the decode simulator, which
# sends the prefill there and then decodes locally. A short prompt stays on
# the decode pod with no such header.
scenario_PrefillDecode() {
    router_only
    local log="$E2E_TMP/pd-sidecar.log" from to ep code served pod rid before=() after=() i
    local b_req b_max a_req a_max
    local words="" tag="pd-$$-$RANDOM"
    for ((i = 0; i < 80; i++)); do words+="$tag token$i "; done
    pd_request() {  # pd_request PROMPT RID -> "code served pod"
        "${CURL[@]}" -o "$E2E_TMP/pd.out" \
            -w '%{http_code} %header{x-gateway-destination-endpoint-served} %header{x-inference-pod}' \
            "http://127.0.0.1:$GW_PORT/v1/completions" -H 'Host: pd.local' \
            -H 'content-type: application/json' -H "X-Request-Id: $2" \
            -H "x-prefiller-host-port: $NO_SUCH_IP:1" \
            -d "{\"model\":\"demo\",\"max_tokens\":4,\"prompt\":\"$1\"}"
    }
    prefill_counts() {  # per prefill endpoint: "completed-requests sum-of-their-max_tokens"
        local ep
        for ep in "${PD_PREFILL_ENDPOINTS[@]}"; do
            echo "$(metric_sum "http://$ep/metrics" '^vllm:request_success_total') $(metric_sum "http://$ep/metrics" '^vllm:request_params_max_tokens_sum')"
        done
    }
    # Long prompt: disaggregated.
    mapfile -t before < <(prefill_counts)
    from="$(wc -l <"$log")"
    rid="$tag-long"
    read -r code served pod <<<"$(pd_request "$words" "$rid")"
    assert_eq 200 "$code" "long prompt: status ($(head -c 200 "$E2E_TMP/pd.out"))"
    assert_eq "$PD_DECODE_ENDPOINT" "$served" "long prompt: served by the decode endpoint (the sidecar)"
    assert_eq pd-decode "$pod" "long prompt: answered by the decode simulator"
    to="$(tail -n +"$((from + 1))" "$log" | grep '"sending prefill request"' \
        | sed -n 's/.*"to":"\([^"]*\)".*/\1/p' | tail -n 1)"
    [[ -n "$to" ]] || fail "long prompt: the sidecar sent no prefill (no x-prefiller-host-port reached it); its log: $(tail -n +"$((from + 1))" "$log" | tail -n 3)"
    tail -n +"$((from + 1))" "$log" | grep -q "missing 'kv_transfer_params'" \
        && fail "long prompt: the prefill answer carried no kv_transfer_params for the decode step"
    [[ " ${PD_PREFILL_ENDPOINTS[*]} " == *" $to "* ]] \
        || fail "long prompt: the sidecar's prefill target $to is not a prefill endpoint (${PD_PREFILL_ENDPOINTS[*]}); a client's header must not pass"
    mapfile -t after < <(prefill_counts)
    local served_by=""
    for i in "${!PD_PREFILL_ENDPOINTS[@]}"; do
        ep="${PD_PREFILL_ENDPOINTS[$i]}"
        if [[ "$ep" == "$to" ]]; then
            read -r b_req b_max <<<"${before[$i]}"
            read -r a_req a_max <<<"${after[$i]}"
            assert_eq $((b_req + 1)) "$a_req" "requests completed by the named prefill endpoint $ep"
            assert_eq $((b_max + 1)) "$a_max" "max_tokens of that request (a prefill asks for 1 token)"
            served_by="$ep"
        else
            assert_eq "${before[$i]}" "${after[$i]}" "requests completed by the other prefill endpoint $ep"
        fi
    done
    # Short prompt: kept on the decode pod, no header.
    mapfile -t before < <(prefill_counts)
    from="$(wc -l <"$log")"
    read -r code served pod <<<"$(pd_request "hi" "$tag-short")"
    assert_eq 200 "$code" "short prompt: status"
    assert_eq "$PD_DECODE_ENDPOINT" "$served" "short prompt: served by the decode endpoint"
    assert_eq pd-decode "$pod" "short prompt: answered by the decode simulator"
    local since
    since="$(tail -n +"$((from + 1))" "$log")"
    grep -q '"sending prefill request"' <<<"$since" && fail "short prompt: the sidecar sent a prefill"
    grep -q '"skip disaggregated prefill"' <<<"$since" \
        || fail "short prompt: the sidecar did not log that it kept the request local"
    mapfile -t after < <(prefill_counts)
    assert_eq "${before[*]}" "${after[*]}" "short prompt: prefill endpoints' completed requests"
    echo "DETAIL: long prompt ($(wc -w <<<"$words") words): served by decode $PD_DECODE_ENDPOINT (pd-decode); the sidecar got x-prefiller-host-port $to and sent the prefill there; $served_by completed one request of max_tokens 1 (vllm:request_success_total, vllm:request_params_max_tokens), the other prefill endpoint none; a client's own x-prefiller-host-port was dropped. Short prompt: decode only, no header, no prefill"
}

# llm-d-router: flow control's refusals reach the client. Behind the
# flowcontrol configuration (router_config) pool B holds one request in
# flight; while a slow stream holds it, one more request waits in the queue
# and is evicted after its 1 s TTL (503), and one beyond the queue's
# capacity is rejected at once (429). Once the stream is done, requests
# pass again: the EPP's in-flight count fell back as the bridge ended the
# stream.
scenario_FlowControlRefusals() {
    router_only
    local ep="${POOL_B_ENDPOINTS[0]}" f="$E2E_TMP/fc-stream.out" pid qpid i got out t0 code reason pod waited
    sim_latency() { "${CURL[@]}" -o /dev/null -f "http://$ep/admin/config" \
        -H 'content-type: application/json' -d "{\"inter-token-latency\":\"$1\"}"; }
    fc_request() {  # fc_request OUT: "status dropped-reason pod" into OUT
        "${CURL[@]}" -o /dev/null \
            -w '%{http_code} %header{x-llm-d-request-dropped-reason} %header{x-inference-pod}\n' \
            "http://127.0.0.1:$GW_PORT/v1/completions" -H 'Host: flow-control.local' \
            -H 'content-type: application/json' -d '{"model":"demo","prompt":"queued","max_tokens":2}' >"$1"
    }
    trap 'sim_latency 0s >/dev/null 2>&1 || true' EXIT
    sim_latency 250ms || fail "could not slow the simulator down (POST /admin/config)"
    "${CURL[@]}" -N -o "$f" -w '%{http_code}' "http://127.0.0.1:$GW_PORT/v1/completions" \
        -H 'Host: flow-control.local' -H 'content-type: application/json' \
        -d '{"model":"demo","stream":true,"max_tokens":16,"prompt":"hold the only slot: one two three four five six seven eight nine ten eleven twelve"}' \
        >"$f.code" &
    pid=$!
    for ((i = 0; i < 30; i++)); do
        got="$(epp_metric fc '^llm_d_epp_request_running')"
        ((got >= 1)) && break
        sleep 0.1
    done
    assert_eq 1 "$got" "requests running at the flow-control EPP (the stream holding the slot)"
    # The first request waits in the queue; the next finds the queue full.
    t0="$(date +%s%N)"
    fc_request "$E2E_TMP/fc-queued" &
    qpid=$!
    for ((i = 0; i < 16; i++)); do  # until it is in the queue (its TTL is 1 s)
        sleep 0.05
        (($(epp_metric fc '^llm_d_epp_flow_control_queue_size') >= 1)) && break
    done
    note "queue size $(epp_metric fc '^llm_d_epp_flow_control_queue_size') after $((i * 50 + 50)) ms"
    fc_request "$E2E_TMP/fc-rejected"
    read -r code reason pod <"$E2E_TMP/fc-rejected"
    assert_eq 429 "$code" "status beyond the queue's capacity"
    assert_eq rejected-saturated "$reason" "x-llm-d-request-dropped-reason of the 429"
    [[ -z "$pod" ]] || fail "the 429 was answered by model server $pod"
    local rejected="$code $reason"
    wait "$qpid"
    waited=$((($(date +%s%N) - t0) / 1000000))
    read -r code reason pod <"$E2E_TMP/fc-queued"
    assert_eq 503 "$code" "status of the request that waited in the queue"
    [[ -n "$reason" ]] || fail "the 503 carries no x-llm-d-request-dropped-reason"
    [[ -z "$pod" ]] || fail "the 503 was answered by model server $pod"
    ((waited >= 900)) || fail "the queued request was refused after $waited ms, before its 1 s TTL"
    kill -0 "$pid" 2>/dev/null || fail "the stream holding the slot ended before the refusals were checked"
    wait "$pid" || fail "the stream holding the slot: curl failed"
    assert_eq 200 "$(cat "$f.code")" "status of the stream holding the slot"
    for ((i = 0; i < 30; i++)); do
        got="$(epp_metric fc '^llm_d_epp_request_running')"
        ((got == 0)) && break
        sleep 0.1
    done
    sim_latency 0s || true
    out="$(send 3 1 flow-control.local /v1/completions)"
    check_served "$out" "$ep"
    echo "DETAIL: one stream in flight saturates the pool (concurrency-detector, 1 per endpoint): the next request waited in the queue and got 503 ($reason) after $waited ms (TTL 1 s), one beyond the queue's capacity 429 (${rejected#* }) at once, no model server reached; after the stream, 3/3 served again"
}

# The README's bridge example (the first `curl` to the bridge itself), run
# as written against this variant's production EPP: it answers 200 with a
# pick. Without X-EPP-Path llm-d would read the chat body as a completion.
scenario_ReadmeBridgeExample() {
    local cmd out
    cmd="$(awk '/^curl -si http:\/\/127\.0\.0\.1:54800\// {on = 1} on {print} on && !/\\$/ {exit}' \
        "$INTEROP_DIR/../../README.md")"
    [[ -n "$cmd" ]] || fail "no 'curl -si http://127.0.0.1:54800/' example in README.md"
    cmd="${cmd//127.0.0.1:54800/127.0.0.1:$BRIDGE_PORT}"
    cmd="${cmd//X-EPP-Port: 9002/X-EPP-Port: $EPP_SCHED_PORT}"
    [[ "$cmd" == *"$EPP_SCHED_PORT"* ]] || fail "the README example names no X-EPP-Port 9002: $cmd"
    out="$(eval "$cmd" | tr -d '\r')" || fail "curl failed: $cmd"
    assert_contains "$out" "HTTP/1.1 200" "the README example's status"
    assert_contains "$out" "X-EPP-Outcome: picked" "the README example's outcome"
    local ep
    ep="$(sed -n 's/^X-Gateway-Destination-Endpoint: //p' <<<"$out")"
    [[ " ${POOL_A_ENDPOINTS[*]} " == *" $ep "* ]] || fail "picked '$ep', not in pool A"
    local bare
    bare="$("${CURL[@]}" -o /dev/null -w '%{http_code}' "http://127.0.0.1:$BRIDGE_PORT/" \
        -H 'X-EPP-Host: 127.0.0.1' -H "X-EPP-Port: $EPP_SCHED_PORT" -H 'content-type: application/json' \
        -d '{"model":"demo","messages":[{"role":"user","content":"hi"}]}')"
    echo "DETAIL: README example: 200 picked $ep; the same request without X-EPP-Path answers $bare"
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
