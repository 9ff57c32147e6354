#!/usr/bin/env bash
# After the test tiers: the checkout must be as the tests found it. Tests
# write their reports under the build directory, never into tracked files.
set -euo pipefail
cd "$(dirname "$0")/.."
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || exit 0  # not a checkout
dirty="$(git status --porcelain --untracked-files=all)"
if [[ -n "$dirty" ]]; then
    echo "the test run changed the checkout:" >&2
    echo "$dirty" >&2
    exit 1
fi
echo "checkout unchanged by the tests"
