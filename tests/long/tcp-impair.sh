#!/usr/bin/env bash
# The lossy link of tests/integration/tcp_hostile.sh (5% loss, 25%
# reordering, 5 ms delay each way), with 256 MiB each way instead of make
# test's 16: about 20 minutes here under TCG (make test-long).
SECTIONS=impair IMPAIR_MIB=${IMPAIR_MIB:-256} exec "$(dirname "$0")/../integration/tcp_hostile.sh"
