"""Abusive clients and a normal load, for tests/integration/test_abuse_*.py.

- NormalLoad: a thread that makes ordinary requests (http.client, a new connection each time,
  like a real client behind no pool) and records each one's latency and outcome.
- Slowloris: many connections that each send a request line, then one header byte per period.
- held_connections / flood: many connections that send a partial head and stay open.
- rss_kib / open_fds: the server's VmRSS and fd count from /proc.

Every client has a deadline and stops itself.
"""

from __future__ import annotations

import http.client
import os
import selectors
import socket
import statistics
import threading
import time
from dataclasses import dataclass, field


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


@dataclass
class LoadStats:
    ok: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        s = sorted(self.latencies)
        return s[min(len(s) - 1, int(p / 100 * len(s)))]

    def summary(self) -> str:
        if not self.latencies:
            return f"ok {self.ok} failed {self.failed}"
        return (
            f"ok {self.ok} failed {self.failed} p50 {self.pct(50) * 1000:.1f} ms "
            f"p99 {self.pct(99) * 1000:.1f} ms max {max(self.latencies) * 1000:.1f} ms "
            f"mean {statistics.mean(self.latencies) * 1000:.1f} ms"
        )


class NormalLoad(threading.Thread):
    """GET / in a loop (a new connection per request) until stop(); `pause` s between."""

    def __init__(self, port: int, pause: float = 0.02, timeout: float = 5.0, path: str = "/"):
        super().__init__(daemon=True)
        self.port, self.pause, self.timeout, self.path = port, pause, timeout, path
        self.stats = LoadStats()
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            t0 = time.monotonic()
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
                c.request("GET", self.path)
                r = c.getresponse()
                body = r.read()
                c.close()
                if r.status == 200 and body == b"Hello, World!":
                    self.stats.ok += 1
                    self.stats.latencies.append(time.monotonic() - t0)
                else:
                    self.stats.failed += 1
                    self.stats.errors.append(f"status {r.status}")
            except Exception as e:  # noqa: BLE001 - every failure counts
                self.stats.failed += 1
                self.stats.errors.append(repr(e))
            self._halt.wait(self.pause)

    def stop(self) -> LoadStats:
        self._halt.set()
        self.join(timeout=self.timeout + 1)
        return self.stats


@dataclass
class SlowConn:
    sock: socket.socket
    opened: float
    sent: int = 0
    answer: bytes = b""
    closed_at: float | None = None  # when the server closed (or reset) it


class Slowloris:
    """`n` connections: each sends a request line, then a header byte every `period` s, never
    finishing its head. run(duration) returns when every connection was closed by the server
    or `duration` passed."""

    def __init__(self, port: int, n: int, period: float = 1.0, host: str = "127.0.0.1"):
        self.conns: list[SlowConn] = []
        self.sel = selectors.DefaultSelector()
        now = time.monotonic()
        for _ in range(n):
            s = socket.create_connection((host, port), timeout=5)
            # TCP_DEFER_ACCEPT: the server only sees a connection once a byte has arrived.
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
            s.setblocking(False)
            c = SlowConn(s, now)
            self.conns.append(c)
            self.sel.register(s, selectors.EVENT_READ, c)
        self.period = period

    def run(self, duration: float) -> None:
        end = time.monotonic() + duration
        next_tick = time.monotonic() + self.period
        while time.monotonic() < end and any(c.closed_at is None for c in self.conns):
            timeout = max(0.0, min(next_tick, end) - time.monotonic())
            for key, _ in self.sel.select(timeout):
                c: SlowConn = key.data
                try:
                    data = c.sock.recv(65536)
                except (ConnectionResetError, BlockingIOError):
                    data = b""
                if data:
                    c.answer += data
                    continue
                c.closed_at = time.monotonic()
                self.sel.unregister(c.sock)
            if time.monotonic() >= next_tick:
                next_tick += self.period
                for c in self.conns:
                    if c.closed_at is None:
                        try:
                            c.sock.send(b"X" if c.sent else b"X-Slow: ")
                            c.sent += 1
                        except OSError:
                            pass

    def close(self) -> None:
        for c in self.conns:
            c.sock.close()
        self.sel.close()
