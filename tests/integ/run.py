#!/usr/bin/python3
"""Run the sockview integration tests (tests/integ/test_*.py).

Usage: tests/integ/run.py [-v] [-j JOBS] [-k PATTERN ...]
Environment: SOCKVIEW=path/to/binary (default: ./sockview in the repo root)
             SV_TEST_JOBS=N (default: the number of CPUs plus 2)
             SV_TEST_TIMES=FILE (default: build/integ-times.json)

Test classes run in parallel, each in a process of its own (every test
already runs in a private network namespace, and most of the time they
wait on sockets and timers, not on the CPU).  A class's output is
printed whole when it ends.  How long each took is kept in
SV_TEST_TIMES; the next run starts the longest first and runs a class
that took more than SPLIT_S seconds one test per process, so the
slowest class does not set the pace.  With no times kept, every test
runs in a process of its own.  The very last line printed is
`N passed, N failed, N skipped`; the exit status is non-zero when
anything failed (or errored) or when no test ran."""

import json
import os
import sys
import tempfile
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

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1


def classes(suite):
    """The tests of suite grouped by class, in the order found."""
    groups = {}
    stack = [suite]
    while stack:
        s = stack.pop(0)
        if isinstance(s, unittest.TestSuite):
            stack[0:0] = list(s)
            continue
        # a module that failed to import is a test of its own
        name = "%s.%s" % (type(s).__module__, type(s).__qualname__)
        groups.setdefault(name, []).append(s)
    return list(groups.items())


SPLIT_S = 4.0


def times_path():
    return os.environ.get("SV_TEST_TIMES") or \
        os.path.join(HERE, "..", "..", "build", "integ-times.json")


def load_times():
    try:
        with open(times_path()) as f:
            t = json.load(f)
        return t if isinstance(t, dict) else {}
    except (OSError, ValueError):
        return {}


def save_times(old, new):
    """Keeps what this run measured; a failure to write is no test's."""
    old.update(new)
    path = times_path()
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".tmp", "w") as f:
            json.dump(old, f, indent=0, sort_keys=True)
        os.rename(path + ".tmp", path)
    except OSError:
        pass


def schedule(groups, times):
    """The units to run, longest first: a class, or one test of a class
    that is slow (or of unknown speed).  A unit's time is what it took
    last; a class split into tests adds its tests' times up."""
    units = []
    for name, tests in groups:
        whole = times.get(name)
        parts = [(t.id(), [t]) for t in tests]
        if whole is None and all(i in times for i, _ in parts):
            whole = sum(times[i] for i, _ in parts)
        if whole is not None and (whole <= SPLIT_S or len(tests) == 1):
            units.append((whole, name, tests))
            continue
        for i, part in parts:
            units.append((times.get(i, float("inf")), i, part))
    units.sort(key=lambda u: -u[0])
    return [(name, tests) for _, name, tests in units]


def run_class(tests, verbosity, out):
    """In a child: runs tests with stdout and stderr (of this process
    and of everything it starts) in the file out, and the counts in
    out.json.  Never returns."""
    code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        runner = unittest.TextTestRunner(stream=sys.stdout,
                                         verbosity=verbosity,
                                         resultclass=Result)
        res = runner.run(unittest.TestSuite(tests))
        counts = {
            "run": res.testsRun,
            "passed": res.passed,
            "failed": len(res.failures) + len(res.errors) +
            len(res.unexpectedSuccesses),
            "skipped": ["%s: %s" % (t.id(), why) for t, why in res.skipped],
        }
        with open(out + ".json", "w") as f:
            json.dump(counts, f)
        code = 0
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def report(name, out, status, elapsed):
    """Prints a finished class's output; returns its counts."""
    with open(out, errors="replace") as f:
        text = f.read()
    try:
        with open(out + ".json") as f:
            counts = json.load(f)
    except (OSError, ValueError):
        counts = {"run": 0, "passed": 0, "failed": 1, "skipped": []}
        text += "\n%s: the test process ended with status %#x and no " \
                "result\n" % (name, status)
    print("=== %s: %d tests, %.1fs" % (name, counts["run"], elapsed))
    print(text.rstrip("\n"), flush=True)
    return counts


def main():
    verbosity = 1
    patterns = []
    jobs = int(os.environ.get("SV_TEST_JOBS", "0")) or \
        (os.cpu_count() or 1) + 2
    args = sys.argv[1:]
    while args:
        a = args.pop(0)
        if a == "-v":
            verbosity = 2
        elif a == "-k" and args:
            patterns.append(args.pop(0))
        elif a == "-j" and args and args[0].isdigit() and int(args[0]) > 0:
            jobs = int(args.pop(0))
        else:
            print("usage: run.py [-v] [-j JOBS] [-k PATTERN ...]",
                  file=sys.stderr)
            return 2
    exe = nsutil.sockview_path()
    print("sockview under test: %s" % exe, flush=True)
    if not os.access(exe, os.X_OK):
        print("WARNING: %s is missing or not executable; every test that "
              "runs it will fail" % exe, flush=True)
    loader = unittest.TestLoader()
    if patterns:
        loader.testNamePatterns = ["*%s*" % p for p in patterns]
    times = load_times()
    todo = schedule(classes(loader.discover(HERE, pattern="test_*.py",
                                            top_level_dir=HERE)), times)
    # tests that judge sockview's latency run last, one at a time: on 2
    # cores, 3 other test processes beside them are load they would
    # measure (RUN_ALONE on their class)
    alone = [u for u in todo if getattr(type(u[1][0]), "RUN_ALONE", False)]
    todo = [u for u in todo if u not in alone]
    took = {}
    tmp = tempfile.mkdtemp(prefix="svt-run.")
    running = {}
    total = {"run": 0, "passed": 0, "failed": 0, "skipped": []}
    t0 = time.time()
    try:
        while todo or running or alone:
            if not todo and not running:
                todo.append(alone.pop(0))
            while todo and len(running) < jobs:
                name, tests = todo.pop(0)
                out = os.path.join(tmp, name)
                pid = os.fork()
                if pid == 0:
                    run_class(tests, verbosity, out)
                running[pid] = (name, out, time.time())
            pid, status = os.wait()
            if pid not in running:
                continue
            name, out, started = running.pop(pid)
            took[name] = round(time.time() - started, 2)
            counts = report(name, out, status, took[name])
            for k in ("run", "passed", "failed", "skipped"):
                total[k] += counts[k]
    finally:
        for f in os.listdir(tmp):
            os.unlink(os.path.join(tmp, f))
        os.rmdir(tmp)
    if not patterns:  # a subset of a class is not the class
        save_times(times, took)
    for s in total["skipped"]:
        print("skipped: %s" % s)
    print("elapsed %.1fs, %d at a time" % (time.time() - t0, jobs))
    print("%d passed, %d failed, %d skipped" % (total["passed"],
          total["failed"], len(total["skipped"])), flush=True)
    return 1 if total["failed"] or total["run"] == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
