"""Connection cap and overload: many held connections must not stop the server from serving,
its memory must stay bounded, and everything must be released afterwards.

Floods run in child processes (tests/abuse/flood.py) so that the test process keeps its own
file descriptors; connections come from 127.0.0.2.. so ephemeral ports are not the limit.
"""

from __future__ import annotations

import http.client
import resource
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from conftest import SANITIZED, SLOW

ABUSE = Path(__file__).resolve().parent.parent / "abuse"
sys.path.insert(0, str(ABUSE))
from abuse import NormalLoad, open_fds, rss_kib  # noqa: E402


def _raise_nofile() -> int:
    """Soft RLIMIT_NOFILE up to the hard limit (65536 when allowed); the server inherits it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 65536 if hard == resource.RLIM_INFINITY else min(65536, hard)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(want, hard)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class KeepAliveLoad(threading.Thread):
    """GET / in a loop on one keep-alive connection opened before the attack."""

    def __init__(self, port: int):
        super().__init__(daemon=True)
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        self.conn.request("GET", "/")
        self.conn.getresponse().read()
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            t0 = time.monotonic()
            try:
                self.conn.request("GET", "/")
                r = self.conn.getresponse()
                if r.read() != b"Hello, World!":
                    self.errors.append(f"status {r.status}")
                self.latencies.append(time.monotonic() - t0)
            except Exception as e:  # noqa: BLE001
                self.errors.append(repr(e))
                return
            self.halt.wait(0.02)

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=6)
        self.conn.close()


def _hold(port: int, n: int, hold: float, first_source: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(ABUSE / "flood.py"), str(port), str(n), str(hold), str(first_source)],
        stdout=subprocess.PIPE,
        text=True,
    )


def test_max_connections_50_with_200_held(start_server):
    """--max-connections 50, 200 connections held with partial heads: accepting pauses (the
    rest wait in the backlog), the accepted keep-alive client keeps being served, and once
    the holders are gone the server accepts again and releases every connection."""
    srv = start_server(
        "hello", threads=1,
        flags=["--max-connections", "50", "--header-timeout", "20000", "--idle-timeout", "20000"],
    )  # fmt: skip
    srv.settle()
    ka = KeepAliveLoad(srv.port)  # one of the 50 slots, taken before the holders
    base_fds = open_fds(srv.pid)
    ka.start()
    flood = _hold(srv.port, 200, 4.0 * SLOW, 20)
    time.sleep(1.5 * SLOW)
    held = open_fds(srv.pid) - base_fds
    # A new client now waits in the backlog: it must not be answered while the cap is full...
    probe = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    probe.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    probe.settimeout(0.5)
    try:
        early = probe.recv(4096)
    except socket.timeout:
        early = b""
    out, _ = flood.communicate(timeout=15 * SLOW)
    # ...and is answered once the holders have gone.
    probe.settimeout(5 * SLOW)
    t0 = time.monotonic()
    late = early or probe.recv(4096)
    waited = time.monotonic() - t0
    probe.close()
    ka.stop()
    print(f"cap 50: held {held} connections beside the keep-alive one; flood {out.strip()}; "
          f"backlogged client answered {waited:.2f}s after the holders left")
    assert held == 49, f"{held} connections accepted beyond the keep-alive one (cap 50)"
    assert early == b"", "a connection beyond the cap was served"
    assert late.startswith(b"HTTP/1.1 200 "), late[:100]
    assert not ka.errors, ka.errors[:3]
    assert len(ka.latencies) > 50 and max(ka.latencies) < 0.5 * SLOW, max(ka.latencies)
    deadline = time.monotonic() + 3 * SLOW
    while open_fds(srv.pid) > base_fds - 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert open_fds(srv.pid) <= base_fds - 1, "connections not released"


def test_overload_20000_connections(start_server):
    """20 000 connections at once, each with a partial head (so each is accepted and holds
    a buffer): the keep-alive client keeps being served, new clients are served at the latest
    once the flood is cut (408 at the 6 s header timeout), VmRSS stays bounded, and every
    connection and most of the memory is released afterwards."""
    limit = _raise_nofile()
    # The sanitizer build is there to catch memory errors on these paths, not to carry the
    # full load at a third of the speed on 2 cores: 4 000 connections there, 20 000 in Release.
    n = 4_000 if SANITIZED else 20_000
    srv = start_server("hello", threads=2, flags=["--header-timeout", "6000"])
    srv.settle()
    ka = KeepAliveLoad(srv.port)
    base_fds = open_fds(srv.pid)
    base_rss = rss_kib(srv.pid)
    ka.start()
    fresh = NormalLoad(srv.port, pause=0.1, timeout=15 * SLOW)
    fresh.start()
    floods = [_hold(srv.port, n // 4, 12.0 * SLOW, 2 + 3 * i) for i in range(4)]
    peak_rss = peak_fds = 0
    while any(f.poll() is None for f in floods):
        peak_rss = max(peak_rss, rss_kib(srv.pid))
        peak_fds = max(peak_fds, open_fds(srv.pid))
        time.sleep(0.2)
    outs = [f.communicate()[0].strip() for f in floods]
    fresh_stats = fresh.stop()
    ka.stop()
    deadline = time.monotonic() + 3 * SLOW
    while open_fds(srv.pid) > base_fds - 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    after_fds, after_rss = open_fds(srv.pid), rss_kib(srv.pid)
    print(f"overload: RLIMIT_NOFILE {limit}; floods {outs}; server peak fds {peak_fds}, "
          f"VmRSS base {base_rss} KiB, peak {peak_rss} KiB "
          f"({(peak_rss - base_rss) * 1024 / max(1, peak_fds - base_fds):.0f} B per connection), "
          f"after {after_rss} KiB; keep-alive client {len(ka.latencies)} requests max "
          f"{max(ka.latencies) * 1000:.0f} ms; new clients {fresh_stats.summary()}")
    assert srv.alive()
    assert not ka.errors, ka.errors[:3]
    # 2 s: on a 2-core machine the four flood processes compete with the server for the CPU
    # while 20 000 connections are accepted and then cut at once (a 1.3 s stall was measured).
    assert max(ka.latencies) < 2.0 * SLOW, "keep-alive client stalled during the flood"
    assert fresh_stats.failed == 0, fresh_stats.errors[:3]
    assert peak_fds - base_fds >= 0.9 * min(n, limit - base_fds), "the flood was not accepted"
    # Bounded: at most 64 KiB per held connection, and well under 1.5 GiB in all.
    assert peak_rss - base_rss < 64 * (peak_fds - base_fds) and peak_rss < 1_500_000
    assert after_fds <= base_fds - 1, f"connections not released: {after_fds} fds"
