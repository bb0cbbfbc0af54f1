#!/bin/sh
# Prints the README's quick-start commands, one a line: the indented
# lines under "## Quick start".  .ci/run and tests/fresh-check.sh run
# them from here, so what they run is what the README says.
#   tests/quickstart.sh [README]
awk '/^## /{ q = /^## Quick start/; next } q && /^    [^ ]/ { sub(/^    /, ""); print }' \
	"${1:-$(dirname "$0")/../README.md}"
