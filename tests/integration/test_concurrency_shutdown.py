"""Many concurrent connections across workers, and graceful shutdown (SIGTERM drain) under load."""

import asyncio
import json
import resource
import signal
import socket
import threading
import time

import aiohttp
import pytest

from conftest import SLOW
from rawhttp import ProtocolError, RawConnection, build_request


@pytest.fixture(autouse=True, scope="module")
def _more_fds():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 8192) if hard != resource.RLIM_INFINITY else 8192
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, dict, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        if line:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers, body


# --- many connections ---------------------------------------------------------------------------

def test_1000_concurrent_connections(start_server):
    srv = start_server("gannet_testbed", threads=2)
    n_conns, per_conn = 1000, 3

    async def main():
        opened = 0
        all_open = asyncio.Event()
        threads_seen = set()

        async def client(i):
            nonlocal opened
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", srv.port), 15 * SLOW)
            try:
                opened += 1
                if opened == n_conns:
                    all_open.set()
                # Every connection is open at the same time before any request is sent.
                await asyncio.wait_for(all_open.wait(), 20 * SLOW)
                for k in range(per_conn):
                    n = i * per_conn + k
                    writer.write(build_request("GET", f"/items/{n}") + build_request("GET", "/thread"))
                    status, _, body = await asyncio.wait_for(_read_response(reader), 15 * SLOW)
                    assert status == 200 and json.loads(body) == {"id": n}
                    status, _, body = await asyncio.wait_for(_read_response(reader), 15 * SLOW)
                    assert status == 200
                    threads_seen.add(body)
            finally:
                writer.close()
            return True

        results = await asyncio.gather(*(client(i) for i in range(n_conns)), return_exceptions=True)
        errors = [r for r in results if r is not True]
        assert not errors, f"{len(errors)} connections failed, e.g. {errors[:3]!r}"
        return threads_seen

    threads_seen = asyncio.run(main())
    assert len(threads_seen) == 2, "connections should spread over both workers"


def test_aiohttp_concurrent_mixed_requests(hello):
    async def main():
        connector = aiohttp.TCPConnector(limit=300)
        timeout = aiohttp.ClientTimeout(total=20 * SLOW)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            base = f"http://127.0.0.1:{hello.port}"

            async def one(i):
                if i % 3 == 0:
                    async with session.get(f"{base}/users/{i}") as r:
                        assert r.status == 200
                        assert await r.json() == {"id": i}
                elif i % 3 == 1:
                    data = (f"payload {i} " * (i % 50 + 1)).encode()
                    async with session.post(f"{base}/echo", data=data) as r:
                        assert r.status == 200
                        assert await r.read() == data
                else:
                    async with session.get(f"{base}/json") as r:
                        assert r.status == 200
                        assert await r.read() == b'{"message":"Hello, World!"}'
                return True

            results = await asyncio.gather(*(one(i) for i in range(1500)), return_exceptions=True)
            errors = [r for r in results if r is not True]
            assert not errors, f"{len(errors)} requests failed, e.g. {errors[:3]!r}"

    asyncio.run(main())


def test_concurrent_async_handlers_overlap(testbed):
    # 200 connections each waiting 300 ms on the timer wheel: they overlap (a worker does not
    # serialize async handlers), so the whole batch takes far less than 200 x 300 ms.
    async def main():
        async def one():
            reader, writer = await asyncio.open_connection("127.0.0.1", testbed.port)
            writer.write(build_request("GET", "/delay/300"))
            status, _, body = await asyncio.wait_for(_read_response(reader), 15 * SLOW)
            writer.close()
            return status, body

        t0 = time.monotonic()
        results = await asyncio.gather(*(one() for _ in range(200)))
        return results, time.monotonic() - t0

    results, elapsed = asyncio.run(main())
    assert all(r == (200, b"waited 300ms\n") for r in results)
    assert elapsed < 10, elapsed  # 60 s if serialized


# --- graceful shutdown ----------------------------------------------------------------------------

class Stream(threading.Thread):
    """A client doing GET / in a loop on keep-alive connections (reconnecting when closed),
    recording every outcome. A partial response is the only failure; a connection closed before
    any byte of a response is the normal keep-alive race at shutdown."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.stop_flag = threading.Event()
        self.ok = []  # send times of answered requests
        self.lost = []  # send times of requests closed without any response byte
        self.partial = []  # failures
        self.refused = 0

    def run(self):
        conn = None
        while not self.stop_flag.is_set():
            try:
                if conn is None:
                    conn = RawConnection(self.port, timeout=5)
                sent = time.monotonic()
                conn.request("GET", "/")
                try:
                    r = conn.read_response()
                except ProtocolError as e:
                    if conn.buf or "while reading a response head" not in str(e):
                        self.partial.append(repr(e))
                    else:
                        self.lost.append(sent)
                    conn.close()
                    conn = None
                    continue
                if r.status != 200 or r.body != b"Hello, World!":
                    self.partial.append(repr(r))
                self.ok.append(sent)
                if r.closes:
                    conn.close()
                    conn = None
            except ConnectionRefusedError:
                self.refused += 1
                time.sleep(0.01)
            except (ConnectionResetError, BrokenPipeError):
                if conn is not None:
                    conn.close()
                conn = None
            except OSError as e:  # timeouts included: a hang is a failure
                self.partial.append(repr(e))
                break
        if conn is not None:
            conn.close()


def _refused_within(port, limit) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=1)
        except ConnectionRefusedError:
            return True
        s.close()
        time.sleep(0.02)
    return False


def test_graceful_shutdown_under_load(start_server):
    srv = start_server("hello", threads=2, flags=["--shutdown-timeout", "5000"])
    slow = [RawConnection(srv.port, timeout=10) for _ in range(60)]
    streams = [Stream(srv.port) for _ in range(3)]
    try:
        for c in slow:
            c.request("GET", "/delay/1500")
        for s in streams:
            s.start()
        time.sleep(0.4)
        assert all(s.ok for s in streams), "the request stream did not get going"
        t_sig = time.monotonic()
        srv.signal(signal.SIGTERM)

        # New connections are refused soon, while the in-flight requests still run.
        assert _refused_within(srv.port, 1.0 * SLOW), "new connections still accepted after SIGTERM"
        assert srv.alive(), "the server quit before finishing its in-flight requests"

        # Every request already sent gets a complete answer, and then the connection closes.
        for c in slow:
            r = c.read_response(timeout=10)
            assert r.status == 200
            assert r.body == b"waited 1500ms\n"
            assert r.closes
            assert c.is_closed(timeout=3)

        rc = srv.wait(5 * SLOW)
        elapsed = time.monotonic() - t_sig
        assert rc == 0, f"exit status {rc}"
        assert elapsed < 5.0, f"took {elapsed:.1f}s, the drain deadline is 5s"
    finally:
        for s in streams:
            s.stop_flag.set()
        for s in streams:
            s.join(10)
        for c in slow:
            c.close()
    for s in streams:
        assert not s.partial, s.partial
        # Requests sent well before the signal were answered, not dropped.
        assert not [t for t in s.lost if t < t_sig - 0.1], "requests sent before SIGTERM were dropped"


def test_idle_keep_alive_closed_promptly_on_sigterm(start_server):
    srv = start_server("hello", threads=2, flags=["--shutdown-timeout", "8000"])
    conns = [RawConnection(srv.port) for _ in range(5)]
    try:
        for c in conns:
            c.request("GET", "/")
            assert c.read_response().status == 200
        t0 = time.monotonic()
        srv.signal(signal.SIGTERM)
        for c in conns:
            assert c.is_closed(timeout=2 * SLOW), "an idle connection was kept open during the drain"
        rc = srv.wait(3 * SLOW)
        elapsed = time.monotonic() - t0
        assert rc == 0
        assert elapsed < 2 * SLOW, f"exit took {elapsed:.2f}s with only idle connections"
    finally:
        for c in conns:
            c.close()


def test_sigint_also_drains(start_server):
    srv = start_server("hello", threads=1)
    with RawConnection(srv.port) as c:
        c.request("GET", "/delay/300")
        time.sleep(0.1)
        srv.signal(signal.SIGINT)
        r = c.read_response(timeout=5)
        assert r.status == 200 and r.body == b"waited 300ms\n"
    assert srv.wait(5) == 0


def test_shutdown_deadline_cuts_long_requests(start_server):
    srv = start_server("hello", threads=2, flags=["--shutdown-timeout", "300"])
    with RawConnection(srv.port, timeout=10) as c:
        c.request("GET", "/delay/5000")
        time.sleep(0.1)
        t0 = time.monotonic()
        srv.signal(signal.SIGTERM)
        rc = srv.wait(5)
        elapsed = time.monotonic() - t0
        assert rc == 0, f"exit status {rc}"
        assert elapsed < 1.5 + 0.5 * (SLOW - 1), f"exit took {elapsed:.2f}s with a 300 ms deadline"
        # The cut request got no (partial) response: just the close.
        got = c.read_available(1.0)
        assert got == b"" or got.startswith(b"HTTP/1.1 503"), got


def test_shutdown_with_no_connections_is_quick(start_server):
    srv = start_server("gannet_testbed", threads=2)
    with RawConnection(srv.port) as c:  # serving, so the signal handling is in place
        c.request("GET", "/", {"Connection": "close"})
        assert c.read_response().status == 200
    t0 = time.monotonic()
    srv.signal(signal.SIGTERM)
    assert srv.wait(5) == 0
    assert time.monotonic() - t0 < 1.0 * SLOW


def test_sigterm_right_after_listening_exits_cleanly(start_server):
    # The announced line means "ready": an orchestrator may stop the service at once. Ten tries,
    # because the window is a race (about half of the tries lose it on this machine).
    statuses = []
    for _ in range(10):
        srv = start_server("hello", threads=2)
        srv.signal(signal.SIGTERM, settle=False)
        statuses.append(srv.wait(5))
    assert statuses == [0] * 10, statuses


def test_shutdown_with_a_half_sent_request(start_server):
    # A client stuck in the middle of its head (slowloris) cannot hold the shutdown beyond its
    # deadline (the header timeout here is longer than the deadline).
    srv = start_server("hello", threads=1, flags=["--shutdown-timeout", "500", "--header-timeout", "20000"])
    with RawConnection(srv.port) as c:
        c.send(b"GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ")
        time.sleep(0.1)
        t0 = time.monotonic()
        srv.signal(signal.SIGTERM)
        rc = srv.wait(10)
        elapsed = time.monotonic() - t0
        assert rc == 0
        assert elapsed < 2.0 * SLOW, f"exit took {elapsed:.2f}s with a 500 ms deadline"
        got = c.read_available(1.0)
        assert got == b"" or got.startswith((b"HTTP/1.1 408", b"HTTP/1.1 503")), got


def test_shutdown_with_1000_idle_connections(start_server):
    srv = start_server("hello", threads=2, flags=["--shutdown-timeout", "8000"])

    async def main():
        conns = []
        for _ in range(1000):
            reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
            conns.append((reader, writer))
        # One request each, so that every connection is accepted and idle in keep-alive.
        for _, writer in conns:
            writer.write(build_request("GET", "/"))
        for reader, _ in conns:
            status, _, body = await asyncio.wait_for(_read_response(reader), 15 * SLOW)
            assert status == 200 and body == b"Hello, World!"
        t0 = time.monotonic()
        srv.signal(signal.SIGTERM)
        eofs = await asyncio.gather(*(asyncio.wait_for(reader.read(100), 5 * SLOW) for reader, _ in conns))
        assert all(e == b"" for e in eofs)
        for _, writer in conns:
            writer.close()
        return time.monotonic() - t0

    elapsed = asyncio.run(main())
    rc = srv.wait(5 * SLOW)
    assert rc == 0
    assert elapsed < 2.0 * SLOW, f"closing 1000 idle connections took {elapsed:.2f}s"
