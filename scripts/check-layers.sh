#!/usr/bin/env bash
# The folders under src/ form layers, lowest first. A file may include its own
# folder and any folder on an earlier line; folders on one line are peers and
# may not include each other. Any other include between src/ folders fails.
set -euo pipefail
cd "$(dirname "$0")/.."

LAYERS=(
  "common"                      # vocabulary: requests, answers, endpoints, limits
  "observe"                     # logging, metrics, entry guard
  "cli net"                     # flag helpers; listening sockets
  "extproc"                     # the ext_proc seam and its gRPC C++ transport
  "h2"                          # the HTTP/2 transport; the choice of transport
  "complete"                    # completion records and the held-stream table
  "bridge"                      # Exchange: one request's conversation with the EPP
  "http"                        # NGINX-facing listener and sessions
  "serve devepp pick render"    # subcommands
)

declare -A rank
for i in "${!LAYERS[@]}"; do
  for folder in ${LAYERS[$i]}; do rank[$folder]=$i; done
done

failed=0
for dir in src/*/; do
  folder="$(basename "$dir")"
  if [[ -z "${rank[$folder]+x}" ]]; then
    echo "src/$folder/ is in no layer (scripts/check-layers.sh)" >&2
    failed=1
  fi
done

while IFS=: read -r file line target; do
  from="${file#src/}"; from="${from%%/*}"   # (src/main.cc, above every layer, is not read)
  to="${target%%/*}"
  [[ -z "${rank[$to]+x}" ]] && continue      # generated or external header
  [[ "$from" == "$to" ]] && continue
  if (( ${rank[$to]} >= ${rank[$from]} )); then
    echo "$file:$line: $from/ includes \"$target\" against the layer order" >&2
    failed=1
  fi
done < <(grep -HnoE '^#include "[^"]+"' src/*/*.h src/*/*.cc | sed -E 's/#include "([^"]+)"/\1/')

if (( failed )); then
  echo "includes run against the layer order" >&2
  exit 1
fi
echo "includes follow the layer order"
