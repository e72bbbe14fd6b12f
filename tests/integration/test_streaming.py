"""Streamed responses (ResponseStream): chunked framing, declared lengths, trailers, HTTP/1.0,
and clients that go away mid-stream."""

import subprocess
import time

import pytest

from rawhttp import RawConnection, build_request


def test_stream_five_chunks(testbed):
    with RawConnection(testbed.port) as c:
        c.request("GET", "/stream")
        r = c.read_response()
        assert r.status == 200
        assert r.header("Transfer-Encoding") == "chunked"
        assert r.header("Content-Length") is None
        assert r.header("Content-Type") == "text/plain"
        assert r.header("X-Stream") == "yes"
        # Each write went out as its own chunk.
        assert r.chunks == [f"chunk {i}\n".encode() for i in range(5)]
        assert r.trailers == []
        # Keep-alive after a chunked response.
        c.request("GET", "/")
        assert c.read_response().body == b"testbed\n"


def test_stream_chunks_arrive_incrementally(testbed):
    # The first chunk is on the wire before the handler finishes (it sleeps between writes).
    with RawConnection(testbed.port) as c:
        c.request("GET", "/stream")
        head = c.read_head()
        assert head.status == 200
        first = c.buf
        while b"chunk 0\n" not in first:
            first += c.sock.recv(4096)
        assert b"chunk 4" not in first
        c.buf = b""


def test_stream_with_content_length(testbed):
    with RawConnection(testbed.port) as c:
        c.request("GET", "/stream-len")
        r = c.read_response()
        assert r.header("Content-Length") == "10"
        assert r.header("Transfer-Encoding") is None
        assert r.body == b"0123456789"
        c.request("GET", "/stream-len")
        assert c.read_response().body == b"0123456789"


def test_stream_trailers(testbed):
    with RawConnection(testbed.port) as c:
        c.request("GET", "/stream-trailer", {"TE": "trailers"})
        r = c.read_response()
        assert r.body == b"body\n"
        assert r.trailers == [("X-Checksum", "abc123")]
        c.request("GET", "/")
        assert c.read_response().body == b"testbed\n"


def test_stream_to_http10_client_is_close_delimited(testbed):
    with RawConnection(testbed.port) as c:
        c.send(b"GET /stream HTTP/1.0\r\n\r\n")
        r = c.read_response()
        assert r.status == 200
        assert r.header("Transfer-Encoding") is None
        assert r.body == b"".join(f"chunk {i}\n".encode() for i in range(5))
        assert c.is_closed()


def test_stream_to_http10_keep_alive_client_still_closes(testbed):
    # No length and no chunked coding in HTTP/1.0: only the close can end the body.
    with RawConnection(testbed.port) as c:
        c.send(b"GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        r = c.read_response()
        assert r.body == b"".join(f"chunk {i}\n".encode() for i in range(5))
        assert (r.header("Connection") or "").lower() != "keep-alive"


def test_stream_with_length_to_http10_keep_alive(testbed):
    with RawConnection(testbed.port) as c:
        c.send(b"GET /stream-len HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        r = c.read_response()
        assert r.body == b"0123456789"
        assert r.header("Content-Length") == "10"
        c.send(b"GET / HTTP/1.0\r\n\r\n")
        assert c.read_response().body == b"testbed\n"


def test_curl_reads_chunked_stream(testbed):
    out = subprocess.run(["curl", "-sS", "--max-time", "5", f"http://127.0.0.1:{testbed.port}/stream"],
                         capture_output=True, timeout=10)
    assert out.returncode == 0, out.stderr
    assert out.stdout == b"".join(f"chunk {i}\n".encode() for i in range(5))


def test_client_disconnect_mid_stream(testbed):
    # Clients vanish in the middle of big streamed responses; the server must shrug it off.
    for _ in range(10):
        c = RawConnection(testbed.port)
        c.request("GET", "/big/32768")
        c.read_head()
        c.sock.recv(10000)
        c.close()
    for _ in range(10):
        c = RawConnection(testbed.port)
        c.request("GET", "/stream")
        c.read_head()
        c.close()
    time.sleep(0.2)
    with RawConnection(testbed.port) as c:
        c.request("GET", "/stream")
        assert c.read_response().chunks == [f"chunk {i}\n".encode() for i in range(5)]


def test_client_disconnect_mid_upload(hello):
    for _ in range(10):
        c = RawConnection(hello.port)
        c.send(build_request("POST", "/echo", {"Content-Length": str(10 ** 7)}) + b"x" * 100000)
        c.close()
        c = RawConnection(hello.port)
        c.send(build_request("POST", "/echo", {"Transfer-Encoding": "chunked"}) + b"100\r\n" + b"y" * 100)
        c.close()
    time.sleep(0.2)
    with RawConnection(hello.port) as c:
        c.request("POST", "/echo", body=b"still alive")
        assert c.read_response().body == b"still alive"


@pytest.mark.parametrize("path", ["/stream-len", "/big/100"])
def test_head_of_streamed_response_with_length(testbed, path):
    with RawConnection(testbed.port) as c:
        c.request("GET", path)
        g = c.read_response()
        c.send(build_request("HEAD", path) + build_request("GET", "/"))
        h = c.read_response("HEAD")
        assert h.status == 200
        assert h.header("Content-Length") == g.header("Content-Length") == str(len(g.body))
        assert not h.closes
        # Keep-alive as announced: the pipelined request is answered.
        assert c.read_response().body == b"testbed\n"
