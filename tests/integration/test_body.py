"""Request bodies: Content-Length and chunked framing, big bodies, curl uploads, chunk extensions
and trailers, buffered-body limits, Expect: 100-continue."""

import hashlib
import json
import os
import subprocess
import threading

import pytest

from rawhttp import RawConnection, build_request, chunked


def _blob(n: int, seed: int = 1) -> bytes:
    # Deterministic, incompressible-looking bytes (every byte value appears).
    out = bytearray()
    block = seed.to_bytes(4, "big")
    while len(out) < n:
        block = hashlib.sha256(block).digest()
        out += block
    return bytes(out[:n])


def _send_in_thread(conn: RawConnection, data: bytes, piece: int = 65536) -> threading.Thread:
    """Sends `data` from another thread, so the test can read the echo concurrently (the
    server streams it back with backpressure: sending everything first would deadlock)."""
    errors = []

    def run():
        try:
            for i in range(0, len(data), piece):
                conn.sock.sendall(data[i:i + piece])
        except OSError as e:  # reported by the join below
            errors.append(e)

    t = threading.Thread(target=run, daemon=True)
    t.errors = errors
    t.start()
    return t


# --- POST /echo (hello) ------------------------------------------------------------------------

def test_echo_content_length(hello):
    with RawConnection(hello.port) as c:
        c.request("POST", "/echo", {"Content-Type": "application/x-test"}, b"ping pong")
        r = c.read_response()
    assert r.status == 200
    assert r.body == b"ping pong"
    assert r.header("Content-Length") == "9"
    assert r.header("Content-Type") == "application/x-test"


def test_echo_empty_bodies(hello):
    with RawConnection(hello.port) as c:
        c.request("POST", "/echo", body=b"")
        r = c.read_response()
        assert r.status == 200 and r.body == b""
        c.send(build_request("POST", "/echo", {"Transfer-Encoding": "chunked"}) + b"0\r\n\r\n")
        r = c.read_response()
        assert r.status == 200 and r.body == b""
        # No body at all (no framing): also an empty body.
        c.request("POST", "/echo")
        r = c.read_response()
        assert r.status == 200 and r.body == b""


def test_echo_chunked(hello):
    pieces = [b"Hello, ", b"chunked ", b"world", b"!" * 1000]
    with RawConnection(hello.port) as c:
        c.send(build_request("POST", "/echo", {"Transfer-Encoding": "chunked"}) + chunked(*pieces))
        r = c.read_response()
    assert r.status == 200
    assert r.header("Transfer-Encoding") == "chunked"
    assert r.body == b"".join(pieces)


def test_echo_chunk_extensions_and_trailers(hello):
    body = (b"5;name=value\r\nHello\r\n"
            b"7;a;b=\"quoted ext\"\r\n, world\r\n"
            b"0;last=1\r\nX-Trailer: yes\r\nX-Other: 2\r\n\r\n")
    with RawConnection(hello.port) as c:
        c.send(build_request("POST", "/echo", {"Transfer-Encoding": "chunked", "Trailer": "X-Trailer"}) + body)
        r = c.read_response()
        assert r.status == 200
        assert r.body == b"Hello, world"
        # The connection is still in sync after the trailers.
        c.request("GET", "/")
        assert c.read_response().body == b"Hello, World!"


def test_echo_chunked_upper_case_hex_and_sizes(hello):
    data = _blob(0x1AB + 0x10, seed=5)
    wire = b"1AB\r\n" + data[:0x1AB] + b"\r\n" + b"010\r\n" + data[0x1AB:] + b"\r\n0\r\n\r\n"
    with RawConnection(hello.port) as c:
        c.send(build_request("POST", "/echo", {"Transfer-Encoding": "chunked"}) + wire)
        r = c.read_response()
    assert r.body == data


@pytest.mark.parametrize("framing", ["length", "chunked"])
def test_echo_5mib_byte_for_byte(hello, framing):
    data = _blob(5 * 1024 * 1024)
    with RawConnection(hello.port, timeout=20) as c:
        if framing == "length":
            c.send(build_request("POST", "/echo", {"Content-Length": str(len(data))}))
            t = _send_in_thread(c, data)
        else:
            c.send(build_request("POST", "/echo", {"Transfer-Encoding": "chunked"}))
            wire = b"".join(f"{min(100003, len(data) - i):x}\r\n".encode() + data[i:i + 100003] + b"\r\n"
                            for i in range(0, len(data), 100003)) + b"0\r\n\r\n"
            t = _send_in_thread(c, wire)
        r = c.read_response(timeout=20)
        t.join(10)
        assert not t.errors
        assert r.status == 200
        assert len(r.body) == len(data)
        assert r.body == data
        # Same connection still works.
        c.request("GET", "/")
        assert c.read_response().body == b"Hello, World!"


def test_curl_upload_chunked_from_stdin(hello):
    data = _blob(300_000, seed=2)
    out = subprocess.run(
        ["curl", "-sS", "--max-time", "10", "-T", "-", "-X", "POST", "-H", "Content-Type: application/octet-stream",
         "-D", "/dev/stderr", f"http://127.0.0.1:{hello.port}/echo"],
        input=data, capture_output=True, timeout=15)
    assert out.returncode == 0, out.stderr
    assert b"HTTP/1.1 200 OK" in out.stderr
    assert out.stdout == data


def test_curl_upload_with_transfer_encoding_header(hello, tmp_path):
    data = _blob(100_000, seed=3)
    path = tmp_path / "upload.bin"
    path.write_bytes(data)
    out = subprocess.run(
        ["curl", "-sS", "--max-time", "10", "-H", "Transfer-Encoding: chunked", "--data-binary", f"@{path}",
         f"http://127.0.0.1:{hello.port}/echo"],
        capture_output=True, timeout=15)
    assert out.returncode == 0, out.stderr
    assert out.stdout == data


def test_curl_big_post_content_length(hello, tmp_path):
    data = _blob(2 * 1024 * 1024, seed=4)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    out_path = tmp_path / "out.bin"
    res = subprocess.run(
        ["curl", "-sS", "--max-time", "15", "--data-binary", f"@{path}", "-o", str(out_path), "-w", "%{http_code}",
         f"http://127.0.0.1:{hello.port}/echo"],
        capture_output=True, timeout=20)
    assert res.returncode == 0, res.stderr
    assert res.stdout == b"200"
    assert out_path.read_bytes() == data


# --- buffered bodies with a limit (testbed POST /text, max_body 1024) --------------------------

def test_buffered_body_within_limit(testbed):
    for n in (0, 1, 1023, 1024):
        body = b"a" * n
        with RawConnection(testbed.port) as c:
            c.request("POST", "/text", body=body)
            r = c.read_response()
        assert r.status == 200, n
        assert r.body == f"got {n} bytes: ".encode() + body


def test_buffered_body_chunked_within_limit(testbed):
    with RawConnection(testbed.port) as c:
        c.send(build_request("POST", "/text", {"Transfer-Encoding": "chunked"}) + chunked(b"a" * 1000, b"b" * 24))
        r = c.read_response()
        assert r.status == 200
        assert r.body == b"got 1024 bytes: " + b"a" * 1000 + b"b" * 24
        c.request("GET", "/")
        assert c.read_response().body == b"testbed\n"


def test_buffered_body_over_limit_content_length(testbed):
    with RawConnection(testbed.port) as c:
        c.request("POST", "/text", body=b"x" * 1025)
        r = c.read_response()
        assert r.status == 413
        assert r.closes
        assert c.is_closed()


def test_buffered_body_over_limit_chunked(testbed):
    with RawConnection(testbed.port) as c:
        c.send(build_request("POST", "/text", {"Transfer-Encoding": "chunked"}) + chunked(b"y" * 600, b"z" * 600))
        r = c.read_response()
        assert r.status == 413
        assert r.closes
        assert c.is_closed()


def test_huge_content_length_rejected_before_reading(testbed):
    # The body never comes: the 413 must be decided from the header alone.
    with RawConnection(testbed.port) as c:
        c.send(build_request("POST", "/text", {"Content-Length": str(10 ** 12)}))
        r = c.read_response(timeout=3)
        assert r.status == 413
        assert c.is_closed()


def test_streamed_body_count(testbed):
    data = _blob(700_000, seed=9)
    expected = 0
    for b in data:
        expected = (expected * 31 + b) % 1000000007
    with RawConnection(testbed.port, timeout=15) as c:
        c.request("POST", "/count", body=data)
        r = c.read_response()
    assert r.status == 200
    assert json.loads(r.body) == {"bytes": len(data), "sum": expected}


def test_unread_body_is_skipped_not_parsed_as_request(testbed):
    # The handler ignores the body; its bytes (which look like a request) must not be parsed
    # as the next request.
    smuggled = build_request("GET", "/throw-http")
    with RawConnection(testbed.port) as c:
        c.send(build_request("POST", "/no-read", body=smuggled) + build_request("GET", "/"))
        r1 = c.read_response()
        assert r1.status == 200 and r1.body == b"not read\n"
        # Either the server skipped the body and answers GET /, or it closed the connection;
        # never a 418 from the smuggled request.
        rest = c.read_available(1.0)
        assert b"418" not in rest
        if rest:
            assert rest.startswith(b"HTTP/1.1 200 OK\r\n")
            assert rest.endswith(b"testbed\n")


def test_body_of_unmatched_route_is_skipped(hello):
    # The 404 route never reads the body; the request inside it must not be answered.
    with RawConnection(hello.port) as c:
        c.send(build_request("POST", "/nowhere", body=b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
               + build_request("GET", "/json"))
        assert c.read_response().status == 404
        rest = c.read_available(1.0)
        assert b"Hello, World!" not in rest.replace(b'"message":"Hello, World!"', b"")
        if rest:
            assert rest.count(b"HTTP/1.1 ") == 1
            assert rest.endswith(b'{"message":"Hello, World!"}')


# --- Expect: 100-continue ----------------------------------------------------------------------

def test_100_continue_sent_when_handler_reads(testbed):
    with RawConnection(testbed.port) as c:
        c.send(build_request("POST", "/text", {"Expect": "100-continue", "Content-Length": "5"}))
        interim = c.read_head(timeout=3)
        assert interim.status == 100
        assert interim.head_raw == b"HTTP/1.1 100 Continue\r\n\r\n"
        c.send(b"hello")
        r = c.read_response()
        assert r.status == 200
        assert r.body == b"got 5 bytes: hello"
        # Keep-alive continues normally.
        c.request("GET", "/")
        assert c.read_response().body == b"testbed\n"


def test_100_continue_on_streamed_echo(hello):
    with RawConnection(hello.port) as c:
        c.send(build_request("POST", "/echo", {"Expect": "100-continue", "Transfer-Encoding": "chunked"}))
        assert c.read_head(timeout=3).status == 100
        c.send(chunked(b"abc", b"def"))
        r = c.read_response()
        assert r.status == 200 and r.body == b"abcdef"


def test_no_100_continue_when_handler_does_not_read(testbed):
    with RawConnection(testbed.port) as c:
        c.send(build_request("POST", "/no-read", {"Expect": "100-continue", "Content-Length": "10"}))
        r = c.read_head(timeout=3)
        assert r.status == 200, "the final response must come without a 100 Continue"
        c.buf = b""  # body of the 200 is irrelevant here


def test_413_without_100_continue(testbed):
    with RawConnection(testbed.port) as c:
        c.send(build_request("POST", "/text", {"Expect": "100-continue", "Content-Length": "2000"}))
        r = c.read_response(skip_interim=False, timeout=3)
        assert r.status == 413
        assert c.is_closed()


def test_no_100_continue_for_http10(testbed):
    with RawConnection(testbed.port) as c:
        c.send(b"POST /text HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
        assert c.read_available(0.3) == b"", "HTTP/1.0 must not get a 100 Continue"
        c.send(b"abc")
        r = c.read_response(skip_interim=False)
        assert r.status == 200 and r.body == b"got 3 bytes: abc"


def test_body_sent_without_waiting_for_100(testbed):
    # The client may send the body at once; the server must not get confused by it.
    with RawConnection(testbed.port) as c:
        c.send(build_request("POST", "/text", {"Expect": "100-continue"}, body=b"quick"))
        r = c.read_response()
        assert r.status == 200 and r.body == b"got 5 bytes: quick"
        c.request("GET", "/")
        assert c.read_response().body == b"testbed\n"


def test_curl_expect_100_continue(testbed, tmp_path):
    path = tmp_path / "b.txt"
    path.write_bytes(b"q" * 1000)
    res = subprocess.run(
        ["curl", "-sS", "--max-time", "5", "-H", "Expect: 100-continue", "--data-binary", f"@{path}",
         "-D", "/dev/stderr", f"http://127.0.0.1:{testbed.port}/text"],
        capture_output=True, timeout=10)
    assert res.returncode == 0, res.stderr
    assert b"HTTP/1.1 100 Continue" in res.stderr
    assert res.stdout == b"got 1000 bytes: " + b"q" * 1000


def test_unknown_expectation_is_417(testbed):
    with RawConnection(testbed.port) as c:
        c.send(build_request("POST", "/text", {"Expect": "something-else"}, body=b"x"))
        r = c.read_response()
        assert r.status == 417
        assert c.is_closed()


def test_random_body_sizes_roundtrip(hello):
    rng = __import__("random").Random(11)
    with RawConnection(hello.port) as c:
        for _ in range(30):
            data = os.urandom(rng.choice([0, 1, 2, 15, 16, 17, 255, 4096, 65535, 65536, 65537]))
            if rng.random() < 0.5:
                c.request("POST", "/echo", body=data)
            else:
                c.send(build_request("POST", "/echo", {"Transfer-Encoding": "chunked"}) + chunked(data) if data
                       else build_request("POST", "/echo", {"Transfer-Encoding": "chunked"}) + b"0\r\n\r\n")
            r = c.read_response()
            assert r.status == 200
            assert r.body == data
