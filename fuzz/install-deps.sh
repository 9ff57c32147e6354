#!/usr/bin/env bash
# Installs what the fuzz targets build with: clang and its sanitizer and
# libFuzzer runtimes, on top of the project's own build dependencies.
# Idempotent: does nothing when every package is already present.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$here/../scripts/install-deps.sh"

packages=(clang libclang-rt-dev)
# Debian 12 ships the runtimes as libclang-rt-14-dev (pulled in by clang-14).
if ! apt-cache show libclang-rt-dev >/dev/null 2>&1; then packages=(clang); fi
exec "$here/../scripts/apt-install.sh" "${packages[@]}"
