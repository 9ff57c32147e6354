#!/usr/bin/env bash
# Writes the seed corpus of the extproc_reply target (binary, committed under
# corpus/extproc_reply/) from readable text-format replies. Input format (see
# fuzz_extproc_reply.cc): one variant byte, then per reply a 2-byte big-endian
# length and the serialised ProcessingResponse (a length past the end means
# "to the end").
#   fuzz/make-reply-seeds.sh        (needs protoc; run from anywhere)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
proto="$here/../proto"
out="$here/corpus/extproc_reply"
mkdir -p "$out"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

encode() {  # encode TEXT → binary ProcessingResponse on stdout
  printf '%s\n' "$1" | protoc -I"$proto" -I/usr/include \
    --encode=envoy.service.ext_proc.v3.ProcessingResponse \
    envoy/service/ext_proc/v3/external_processor.proto
}

# seed NAME VARIANT TEXT... : one seed file of the replies in order.
seed() {
  local name="$1" variant="$2" f="$tmp/seed" m="$tmp/msg" n
  shift 2
  # shellcheck disable=SC2059  # the format is the byte to write
  printf "\\x$(printf %02x "$variant")" >"$f"
  local i=0
  for text in "$@"; do
    encode "$text" >"$m"
    n=$(stat -c %s "$m")
    i=$((i + 1))
    # The last reply runs to the end of the input (0xffff), so mutations that
    # grow it keep it one reply.
    [[ $i -eq $# ]] && n=65535
    # shellcheck disable=SC2059
    printf "\\x$(printf %02x $((n >> 8)))\\x$(printf %02x $((n & 255)))" >>"$f"
    cat "$m" >>"$f"
  done
  cp "$f" "$out/$name"
}

hdr() {  # hdr KEY VALUE → a set_headers entry
  printf 'set_headers { header { key: "%s" raw_value: "%s" } }' "$1" "$2"
}
lb() {  # lb ENDPOINT → dynamic_metadata envoy.lb
  printf 'dynamic_metadata { fields { key: "envoy.lb" value { struct_value { fields { key: "x-gateway-destination-endpoint" value { string_value: "%s" } } } } } }' "$1"
}
headers_reply() {  # headers_reply ENDPOINT [EXTRA-MUTATION]
  printf 'request_headers { response { header_mutation { %s %s %s %s } } } %s' \
    "$(hdr x-gateway-destination-endpoint "$1")" "$(hdr content-type application/json)" \
    "$(hdr x-request-id fuzz-1)" "${2:-}" "$(lb "$1")"
}
body_chunk() {  # body_chunk TEXT EOS
  printf 'request_body { response { body_mutation { streamed_response { body: "%s" end_of_stream: %s } } } }' "$1" "$2"
}

BODY='{\"model\":\"demo\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}'
BODY2='{\"model\":\"llama\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}'

seed pick-no-body 0 "$(headers_reply 10.0.0.1:8000)"
seed pick-echo-body 1 "$(headers_reply 10.0.0.1:8000)" "$(body_chunk "$BODY" true)"
seed pick-echo-two-chunks 2 "$(headers_reply 10.0.0.1:8000)" "$(body_chunk 'hello ' false)" \
  "$(body_chunk world true)"
seed pick-rewrite 1 "$(headers_reply 10.0.0.1:8000)" "$(body_chunk "$BODY2" true)"
seed pick-fallbacks-v6 0 "$(headers_reply '10.0.0.1:8000,[fd00::2]:8000, 10.0.0.3:8001')"
seed pick-mutations 0 "$(headers_reply 10.0.0.1:8000 \
  "$(hdr x-gateway-model-name llama) $(hdr X-Evil 'a\r\nInjected: 1') $(hdr content-length 5) remove_headers: \"x-gateway-model-name\" remove_headers: \"content-type\"")"
seed pick-header-only 0 'request_headers { response { header_mutation { set_headers { header { key: "x-gateway-destination-endpoint" raw_value: "10.0.0.1:8000" } } } } }'
seed pick-metadata-only 0 "request_headers { response { } } $(lb 10.0.0.1:8000)"
seed mismatch 0 "request_headers { response { header_mutation { $(hdr x-gateway-destination-endpoint 10.0.0.1:8000) } } } $(lb 10.0.0.2:8000)"
seed garbage-endpoint 0 "$(headers_reply model.local:80)"
seed garbage-port 0 "$(headers_reply 10.0.0.1:70000)"
seed no-endpoint 0 'request_headers { response { } }'
seed replace-body 1 "request_headers { response { status: CONTINUE_AND_REPLACE header_mutation { $(hdr x-gateway-destination-endpoint 10.0.0.1:8000) } body_mutation { body: \"{}\" } } }"
seed clear-body 1 "$(headers_reply 10.0.0.1:8000)" 'request_body { response { body_mutation { clear_body: true } } }'
seed body-over-limit 11 "$(headers_reply 10.0.0.1:8000)" "$(body_chunk "$BODY$BODY" true)"
seed immediate-429 0 'immediate_response { status { code: 429 } headers { set_headers { header { key: "retry-after" raw_value: "1" } } } body: "busy" }'
seed immediate-bad-status 0 'immediate_response { status { code: 99 } }'
seed body-before-headers 1 "$(body_chunk "$BODY" true)"
seed second-headers 1 "$(headers_reply 10.0.0.1:8000)" "$(headers_reply 10.0.0.1:8000)"
seed other-phase 0 'response_headers { response { } }'
seed empty-reply 0 ''
seed reply-after-decision 0 "$(headers_reply 10.0.0.1:8000)" "$(headers_reply 10.0.0.2:8000)"
seed immediate-204-empty 0 'immediate_response { status { code: 204 } }'
seed immediate-304-headers 0 'immediate_response { status { code: 304 } headers { set_headers { header { key: "etag" raw_value: "x" } } } }'
echo "$(find "$out" -type f | wc -l) seeds in $out"
