#!/usr/bin/env bash
# Installs the Debian packages the benchmarks need on top of
# scripts/install-deps.sh: h2load (fixed-rate HTTP load), GNU time and procps
# (CPU accounting) and valgrind
# (bench/profile.sh). Idempotent: does nothing when all are present.
set -euo pipefail

packages=(nghttp2-client valgrind time procps libbenchmark-dev nginx libnginx-mod-http-js curl iproute2)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "installing: ${missing[*]}"
sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# nginx's package starts a system service on :80; the project never uses it.
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
  $sudo chmod +x /usr/sbin/policy-rc.d
  trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
fi
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
