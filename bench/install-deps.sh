#!/usr/bin/env bash
# Installs the Debian packages the benchmarks need on top of
# scripts/install-deps.sh: h2load (fixed-rate HTTP load), GNU time and procps
# (CPU accounting) and valgrind
# (bench/profile.sh). Idempotent: does nothing when all are present.
set -euo pipefail

exec "$(dirname "${BASH_SOURCE[0]}")/../scripts/apt-install.sh" \
  nghttp2-client valgrind time procps libbenchmark-dev nginx libnginx-mod-http-js curl iproute2
