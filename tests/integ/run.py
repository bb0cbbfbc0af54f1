#!/usr/bin/python3
"""Run all sockview integration tests (tests/integ/test_*.py).

Usage: tests/integ/run.py [-v] [-k PATTERN ...]
Environment: SOCKVIEW=path/to/binary (default: ./sockview in the repo root)

The very last line printed is `N passed, N failed, N skipped`; the exit
status is non-zero when anything failed (or errored)."""

import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True

import nsutil  # noqa: E402


class Result(unittest.TextTestResult):
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.passed = 0
        self.durations = []

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1


def main():
    verbosity = 1
    patterns = []
    args = sys.argv[1:]
    while args:
        a = args.pop(0)
        if a == "-v":
            verbosity = 2
        elif a == "-k" and args:
            patterns.append(args.pop(0))
        else:
            print("usage: run.py [-v] [-k PATTERN ...]", file=sys.stderr)
            return 2
    exe = nsutil.sockview_path()
    print("sockview under test: %s" % exe, flush=True)
    if not os.access(exe, os.X_OK):
        print("WARNING: %s is missing or not executable; every test that "
              "runs it will fail" % exe, flush=True)
    loader = unittest.TestLoader()
    if patterns:
        loader.testNamePatterns = ["*%s*" % p for p in patterns]
    suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=verbosity,
                                     resultclass=Result)
    t0 = time.time()
    res = runner.run(suite)
    failed = len(res.failures) + len(res.errors) + \
        len(res.unexpectedSuccesses)
    skipped = len(res.skipped)
    for test, reason in res.skipped:
        print("skipped: %s: %s" % (test.id(), reason))
    print("elapsed %.1fs" % (time.time() - t0))
    print("%d passed, %d failed, %d skipped" % (res.passed, failed, skipped),
          flush=True)
    return 1 if failed or res.testsRun == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
