"""Timeouts (header, keep-alive idle, body, write) and the connection limit, with short values
so the tests stay quick: --header-timeout 300 --idle-timeout 500 --body-timeout 300."""

import time

import pytest

from conftest import SLOW
from rawhttp import RawConnection, build_request

FLAGS = ["--header-timeout", "300", "--idle-timeout", "500", "--body-timeout", "300"]


@pytest.fixture
def timed(start_server):
    """hello with short timeouts."""
    return start_server("hello", threads=1, flags=FLAGS)


@pytest.fixture
def timed_testbed(start_server):
    return start_server("gannet_testbed", threads=1, flags=FLAGS)


def _wait_closed(c: RawConnection, limit: float) -> float:
    """Seconds until the server closes `c` (EOF or reset); fails after `limit`."""
    t0 = time.monotonic()
    assert c.is_closed(timeout=limit), f"still open after {limit:.1f}s"
    return time.monotonic() - t0


def test_partial_head_gets_408_then_close(timed):
    with RawConnection(timed.port) as c:
        t0 = time.monotonic()
        c.send(b"GET / HTTP/1.1\r\nHost: a\r\nX-Incomplete: ")
        r = c.read_response(timeout=3 * SLOW)
        elapsed = time.monotonic() - t0
        assert r.status == 408
        assert r.closes
        assert 0.2 <= elapsed <= 1.5 * SLOW, elapsed
        assert c.is_closed(timeout=2)


def test_trickled_head_cannot_outlast_header_timeout(timed):
    # One byte every 50 ms: each read would re-arm a per-read timer; the header timeout runs
    # from the first byte, so the 408 still comes at ~300 ms.
    wire = build_request("GET", "/")
    with RawConnection(timed.port) as c:
        t0 = time.monotonic()
        got = b""
        for b in wire[:-1]:
            try:
                c.send(bytes([b]))
            except (BrokenPipeError, ConnectionResetError):
                break
            got += c.read_available(0.05)
            if b"408" in got or time.monotonic() - t0 > 3 * SLOW:
                break
        got += c.read_available(0.5)
        elapsed = time.monotonic() - t0
        assert got.startswith(b"HTTP/1.1 408 "), got
        assert elapsed < 1.5 * SLOW


def test_partial_second_request_gets_408(timed):
    # After a complete request, a partial one on the same connection is under the header
    # timeout too (not the idle timeout).
    with RawConnection(timed.port) as c:
        c.request("GET", "/")
        assert c.read_response().status == 200
        c.send(b"GET /json HTTP/1.1\r\n")
        r = c.read_response(timeout=3 * SLOW)
        assert r.status == 408
        assert c.is_closed(timeout=2)


def test_idle_keep_alive_closed(timed):
    with RawConnection(timed.port) as c:
        c.request("GET", "/")
        assert c.read_response().status == 200
        t0 = time.monotonic()
        elapsed = _wait_closed(c, 3 * SLOW)
        assert 0.35 <= elapsed <= 1.5 * SLOW, elapsed


def test_silent_new_connection_gets_no_408(timed):
    # A connection that never sends a byte is not a timed-out request: it must never get a 408
    # (whether the kernel holds it, with TCP_DEFER_ACCEPT, or the idle timeout closes it).
    with RawConnection(timed.port) as c:
        assert c.read_available(1.0) == b""


def test_silent_connections_do_not_starve_real_clients(start_server):
    # One connection allowed per worker: silent clients must not keep a real one waiting for
    # longer than the idle timeout (they are either never accepted or closed when idle).
    srv = start_server("hello", threads=1, flags=FLAGS + ["--max-connections", "1"])
    silent = [RawConnection(srv.port) for _ in range(3)]
    try:
        time.sleep(0.1)
        with RawConnection(srv.port) as c:
            t0 = time.monotonic()
            c.request("GET", "/")
            r = c.read_response(timeout=4 * SLOW)
            assert r.body == b"Hello, World!"
            assert time.monotonic() - t0 < 2.5 * SLOW
    finally:
        for s in silent:
            s.close()


def test_activity_keeps_connection_alive(timed):
    # Requests every 200 ms (less than the 500 ms idle timeout) for 1.2 s: never closed.
    with RawConnection(timed.port) as c:
        t0 = time.monotonic()
        while time.monotonic() - t0 < 1.2:
            c.request("GET", "/")
            assert c.read_response().body == b"Hello, World!"
            time.sleep(0.2)


def test_stalled_buffered_body_gets_408(timed_testbed):
    with RawConnection(timed_testbed.port) as c:
        c.send(build_request("POST", "/text", {"Content-Length": "100"}) + b"only ten..")
        t0 = time.monotonic()
        r = c.read_response(timeout=3 * SLOW)
        assert r.status == 408
        assert time.monotonic() - t0 >= 0.2
        assert c.is_closed(timeout=2)


def test_stalled_chunked_body_gets_408(timed_testbed):
    with RawConnection(timed_testbed.port) as c:
        c.send(build_request("POST", "/count", {"Transfer-Encoding": "chunked"}) + b"5\r\nhel")
        r = c.read_response(timeout=3 * SLOW)
        assert r.status == 408
        assert c.is_closed(timeout=2)


def test_stalled_streamed_echo_ends_connection(timed):
    # /echo has already sent its head (Content-Length 100) and 10 bytes: the stall can only
    # end the connection, with fewer bytes than announced.
    with RawConnection(timed.port) as c:
        c.send(build_request("POST", "/echo", {"Content-Length": "100"}) + b"0123456789")
        t0 = time.monotonic()
        got = c.read_available(2 * SLOW)
        assert time.monotonic() - t0 < 2 * SLOW or got
        head, _, body = got.partition(b"\r\n\r\n")
        if head.startswith(b"HTTP/1.1 200"):
            assert b"Content-Length: 100" in head
            assert len(body) < 100
        else:
            assert head.startswith(b"HTTP/1.1 408"), got
        assert c.is_closed(timeout=1)


def test_slow_body_within_body_timeout_succeeds(timed_testbed):
    # The body timeout is between reads: 10 bytes, one every 100 ms (1 s in total, more than the
    # 300 ms timeout), succeed.
    with RawConnection(timed_testbed.port) as c:
        c.send(build_request("POST", "/text", {"Content-Length": "10"}))
        for i in range(10):
            time.sleep(0.1)
            c.send(str(i).encode())
        r = c.read_response(timeout=3)
        assert r.status == 200
        assert r.body == b"got 10 bytes: 0123456789"


def test_slow_handler_is_not_cut_by_idle_or_header_timeout(timed_testbed):
    # The handler takes 900 ms, longer than every short timeout: it is not the client's fault.
    with RawConnection(timed_testbed.port) as c:
        c.request("GET", "/delay/900")
        r = c.read_response(timeout=5)
        assert r.status == 200 and r.body == b"waited 900ms\n"


def test_write_timeout_cuts_a_reader_that_never_reads(start_server):
    srv = start_server("gannet_testbed", threads=1, flags=["--write-timeout", "300"])
    with RawConnection(srv.port) as c:
        c.request("GET", "/big/65536")  # 64 MiB: far more than the socket buffers hold
        time.sleep(1.5 * SLOW)  # do not read: the server must give up after ~300 ms
        total = 0
        t0 = time.monotonic()
        closed = False
        while time.monotonic() - t0 < 10:
            try:
                data = c.sock.recv(1 << 20)
            except ConnectionResetError:
                closed = True
                break
            if not data:
                closed = True
                break
            total += len(data)
        assert closed, "the connection was not cut"
        assert total < 64 * 1024 * 1024
    # The worker is fine afterwards.
    with RawConnection(srv.port) as c:
        c.request("GET", "/")
        assert c.read_response().body == b"testbed\n"


def test_backpressure_slow_reader_gets_everything(testbed):
    # A reader that is slow but keeps reading (within the 30 s default) gets every byte.
    with RawConnection(testbed.port, timeout=10) as c:
        c.request("GET", "/big/8192")
        head = c.read_head()
        assert head.header("Content-Length") == str(8 * 1024 * 1024)
        total = len(c.buf)
        c.buf = b""
        while total < 8 * 1024 * 1024:
            data = c.sock.recv(256 * 1024)
            assert data, f"closed after {total} bytes"
            assert data.count(b"x") == len(data)
            total += len(data)
            if total < 1024 * 1024:
                time.sleep(0.01)
        assert total == 8 * 1024 * 1024


def test_max_connections_pauses_accepting(start_server):
    srv = start_server("hello", threads=1, flags=["--max-connections", "3"])
    held = [RawConnection(srv.port) for _ in range(3)]
    try:
        for c in held:
            c.request("GET", "/")
            assert c.read_response().status == 200
        # The kernel completes the handshake, but the server does not serve a 4th connection.
        extra = RawConnection(srv.port)
        try:
            extra.request("GET", "/json")
            assert extra.read_available(0.5) == b"", "a 4th connection was served beyond the limit"
            held.pop().close()
            r = extra.read_response(timeout=3 * SLOW)
            assert r.status == 200 and r.body == b'{"message":"Hello, World!"}'
        finally:
            extra.close()
    finally:
        for c in held:
            c.close()
