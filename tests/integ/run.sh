#!/bin/sh
# Run the sockview integration tests.  SOCKVIEW=path overrides the binary
# (default: ./sockview in the repository root).
exec /usr/bin/python3 "$(dirname "$0")/run.py" "$@"
