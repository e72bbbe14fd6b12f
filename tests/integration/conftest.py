"""Fixtures for the integration tests: real Gannet servers on 127.0.0.1, port 0.

A server is started with `--port 0 --threads N` plus a test's flags; its port comes from the
line `gannet: listening on http://127.0.0.1:PORT (N workers)` on stdout. Its stderr goes to a
file. Every server is stopped at the end (SIGTERM, then SIGKILL if it will not go), and the test
fails if the process crashed (death by signal, an unexpected exit status) or if a sanitizer
reported anything (ASan, UBSan, LSan).

Environment: GANNET_BUILD_DIR (default <repo>/build/release) holds `hello` and
`gannet_testbed` (the latter possibly under tests/).
"""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

REPO = Path(os.environ.get("GANNET_SOURCE_DIR") or HERE.parent.parent)
BUILD_DIR = Path(os.environ.get("GANNET_BUILD_DIR") or REPO / "build" / "release")


def _sanitized() -> bool:
    cache = BUILD_DIR / "CMakeCache.txt"
    try:
        text = cache.read_text(errors="replace")
    except OSError:
        return False
    m = re.search(r"^GANNET_SANITIZE:\w+=(.*)$", text, re.M)
    return bool(m and m.group(1).strip())


#: True for an ASan/UBSan (or TSan) build, which runs about 3x slower: scale client-side waits.
SANITIZED = _sanitized()
SLOW = 3.0 if SANITIZED else 1.0

#: Hard bound per test (seconds), enforced with SIGALRM.
TEST_DEADLINE = 25.0 * (2 if SANITIZED else 1)

SANITIZER_MARKERS = (
    "ERROR: AddressSanitizer",
    "runtime error:",
    "LeakSanitizer",
    "ThreadSanitizer",
    "ERROR: UndefinedBehaviorSanitizer",
    # A broken runtime invariant (GANNET_ASSERT, on in Debug and sanitizer builds): the server
    # aborts; the marker makes the report say why rather than only "died from signal 6".
    "gannet: assertion failed:",
)

LISTEN_RE = re.compile(r"gannet: listening on http://([0-9.]+):(\d+) \((\d+) workers\)")


def binary(name: str) -> Path:
    for candidate in (BUILD_DIR / name, BUILD_DIR / "tests" / name, BUILD_DIR / "examples" / name):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail(f"{name} not found in {BUILD_DIR} (build it, or set GANNET_BUILD_DIR)", pytrace=False)


def clean_env(extra: dict | None = None) -> dict:
    """The environment for a server: no GANNET_PORT/GANNET_THREADS leaking in from outside
    (they would override --port 0), sanitizer options that make reports loud."""
    env = {k: v for k, v in os.environ.items() if k not in ("GANNET_PORT", "GANNET_THREADS")}
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:halt_on_error=1")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    if extra:
        env.update(extra)
    return env


class Server:
    """A running server process."""

    def __init__(self, name: str, threads: int, flags: list[str], tmp: Path, env: dict | None):
        self.name = name
        self.flags = list(flags)
        self.stderr_path = tmp / f"{name}-{os.getpid()}-{time.monotonic_ns()}.stderr"
        self._stderr = open(self.stderr_path, "wb")
        argv = [str(binary(name)), "--port", "0", "--threads", str(threads), *flags]
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self._stderr, env=clean_env(env))
        self.pid = self.proc.pid
        self.started_at = time.monotonic()
        self.expected_exit = False  # set when a test stops the server itself
        self.exit_checked = False  # set when the test asserted the exit status itself
        self.reported = False  # set when assert_healthy() already failed the test for it
        self.stdout_rest = b""
        line = self._read_line(10.0)
        m = LISTEN_RE.search(line)
        if not m:
            self.kill()
            pytest.fail(f"{name} did not announce its port; stdout {line!r}; stderr:\n{self.stderr()}",
                        pytrace=False)
        self.host, self.port, self.threads = m.group(1), int(m.group(2)), int(m.group(3))
        assert self.host == "127.0.0.1"
        assert self.threads == threads

    def _read_line(self, timeout: float) -> str:
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        data = b""
        while b"\n" not in data:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                break
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            data += chunk
        line, _, rest = data.partition(b"\n")
        self.stdout_rest = rest
        return line.decode(errors="replace")

    # --- inspection ----------------------------------------------------------------------
    def stderr(self) -> str:
        if not self._stderr.closed:
            self._stderr.flush()
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""

    def sanitizer_report(self) -> str | None:
        text = self.stderr()
        if any(m in text for m in SANITIZER_MARKERS):
            return text
        return None

    def alive(self) -> bool:
        return self.proc.poll() is None

    # --- control -------------------------------------------------------------------------
    #: The servers print their "listening" line just before App::run() installs its signal
    #: handling; a signal inside that window kills the process (a known server bug with its own
    #: test). Other tests give the server this long first, so that they test what they mean to.
    SETTLE = 0.2

    def settle(self) -> None:
        wait = self.started_at + self.SETTLE - time.monotonic()
        if wait > 0:
            time.sleep(wait)

    def signal(self, sig: int = signal.SIGTERM, settle: bool = True) -> None:
        if settle:
            self.settle()
        self.expected_exit = True
        self.proc.send_signal(sig)

    def wait(self, timeout: float) -> int | None:
        """The exit status, or None when the process is still running after `timeout`. The
        caller is expected to assert on the status (teardown then checks only sanitizer
        output)."""
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        self.exit_checked = True
        return rc

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._stderr.close()

    def stop(self, grace: float) -> list[str]:
        """Stops the server (SIGTERM, then SIGKILL after `grace` s) and returns the problems
        found: a crash, a hang on SIGTERM, a sanitizer report."""
        problems = []
        if self.reported:
            self.kill()
            return problems
        rc = self.proc.poll()
        if rc is None:
            self.settle()
            self.proc.send_signal(signal.SIGTERM)
            rc = self.wait(grace)
            if rc is None:
                problems.append(f"did not exit within {grace:.1f}s of SIGTERM")
                self.kill()
                rc = self.proc.returncode
            elif rc != 0:
                problems.append(f"exited with status {rc} after SIGTERM")
        elif self.exit_checked:
            pass
        elif not self.expected_exit:
            problems.append(f"exited on its own with status {rc} during the test")
        elif rc < 0:
            problems.append(f"died from signal {-rc}")
        report = self.sanitizer_report()
        if report:
            problems.append("sanitizer report on stderr")
        self.kill()
        if problems:
            problems.append(f"argv: {' '.join(self.argv)}\nstderr:\n{self.stderr()[-6000:]}")
        return problems

    def assert_healthy(self) -> None:
        """Fails the test now if the server crashed or a sanitizer reported (instead of at
        teardown); the problem is then not reported a second time."""
        problems = self.health_problems()
        if problems:
            self.reported = True
            raise AssertionError("\n".join(problems))

    def health_problems(self) -> list[str]:
        """Problems visible while the server should still be running."""
        if self.reported:
            return []
        problems = []
        if not self.expected_exit and self.proc.poll() is not None:
            problems.append(f"{self.name} exited with status {self.proc.returncode} "
                            f"during the test\nstderr:\n{self.stderr()[-6000:]}")
        report = self.sanitizer_report()
        if report:
            problems.append(f"{self.name}: sanitizer report:\n{report[-6000:]}")
        return problems


def _grace(flags: list[str]) -> float:
    """How long to wait for a SIGTERM'd server: its shutdown timeout plus slack."""
    shutdown_ms = 10_000
    if "--shutdown-timeout" in flags:
        shutdown_ms = int(flags[flags.index("--shutdown-timeout") + 1])
    return shutdown_ms / 1000 + 5 * SLOW


#: Servers alive in this session, checked after every test.
_LIVE: list[Server] = []


class ServerFactory:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.servers: list[Server] = []

    def __call__(self, name: str = "hello", threads: int = 1, flags: list[str] | None = None,
                 env: dict | None = None) -> Server:
        flags = list(flags or [])
        if "--shutdown-timeout" not in flags:
            flags += ["--shutdown-timeout", "3000"]
        s = Server(name, threads, flags, self.tmp, env)
        self.servers.append(s)
        _LIVE.append(s)
        return s

    def stop_all(self) -> list[str]:
        problems = []
        for s in self.servers:
            for p in s.stop(_grace(s.flags)):
                problems.append(f"{s.name} (pid {s.pid}): {p}")
            if s in _LIVE:
                _LIVE.remove(s)
        return problems


@pytest.fixture
def start_server(tmp_path):
    """start_server(name="hello", threads=1, flags=[...], env={...}) -> Server; stopped and
    checked at the end of the test."""
    factory = ServerFactory(tmp_path)
    yield factory
    problems = factory.stop_all()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture(scope="module")
def _module_factory(tmp_path_factory):
    factory = ServerFactory(tmp_path_factory.mktemp("servers"))
    yield factory
    problems = factory.stop_all()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture(scope="module")
def hello(_module_factory) -> Server:
    """examples/hello with two workers, shared by the tests of one module."""
    return _module_factory("hello", threads=2)


@pytest.fixture(scope="module")
def testbed(_module_factory) -> Server:
    """The test bed with two workers, shared by the tests of one module."""
    return _module_factory("gannet_testbed", threads=2)


class _Deadline(Exception):
    pass


@pytest.fixture(autouse=True)
def _bounded_and_checked():
    """Bounds every test with SIGALRM, and after it checks every live server for a crash or a
    sanitizer report, so that the test which caused it fails (not a later one)."""

    def on_alarm(signum, frame):
        raise _Deadline(f"test exceeded its {TEST_DEADLINE:.0f}s deadline")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, TEST_DEADLINE)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    problems = []
    for s in list(_LIVE):
        problems += s.health_problems()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
