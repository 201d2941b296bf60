#!/usr/bin/env bash
# The test command (npm test): type-check, then every *.test.ts under src/ and test/ with node's
# test runner. Tests that need PostgreSQL, MariaDB, the openstack CLI or root skip with a reason on a
# laptop; under CI=true they fail instead. Every file runs under a wall-clock bound
# (test/helpers/file-timeout.ts, preloaded into each file's process): a file that hangs is killed,
# with its child processes, and reported failed, and the run goes on.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc --noEmit -p .
mapfile -t files < <(find src test -name '*.test.ts' | sort)
exec node --import tsx --import ./test/helpers/file-timeout.ts --test --test-concurrency=1 "${files[@]}"
