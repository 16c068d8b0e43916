#!/usr/bin/env bash
# Builds arengo, starts `serve --demo` on a free port, crawls every page (as a
# visitor in Italian and English, then as the demo administrator), validates
# the SPID metadata, runs the browser journey with axe-core and checks the
# graceful shutdown: the end-to-end half of .ci/run, without the Go tests.
# Screenshots land in e2e/test-results/.
set -euo pipefail
cd "$(dirname "$0")/.."
CI_SKIP="${CI_SKIP:-} vet test-sqlite test-postgres" exec bash .ci/run "$@"
