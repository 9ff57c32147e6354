#!/usr/bin/env bash
# Installs the Debian packages epp-bridge builds, tests and demos with.
# Idempotent: does nothing when every package is already present.
set -euo pipefail

exec "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh" \
  cmake ninja-build g++ pkg-config make \
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc \
  libboost-dev libboost-system-dev libcli11-dev libspdlog-dev libfmt-dev \
  prometheus-cpp-dev libyaml-cpp-dev libssl-dev libnghttp2-dev \
  libgtest-dev libgmock-dev libbenchmark-dev \
  nginx libnginx-mod-http-js curl iproute2 openssl wrk clang-format
