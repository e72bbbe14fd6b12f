"""The staged close of RFC 9112 §9.6, over real sockets.

When the server answers before it has read the whole request (431 for a header section over
the limit, 413 decided from Content-Length), the client may still be sending. If the server
closed its socket at once, unread bytes would still sit in it, and its kernel would answer them
(and everything the client sends next) with a reset: the client's send fails with ECONNRESET or
EPIPE, and the reset can destroy the response before the client reads it. So the server shuts
down its sending side after the answer, reads and drops what still comes, and closes once the
client has closed (or after ServerLimits::linger_timeout_ms, 2 s).

The clients here do what curl and browsers do: send the whole request, then read. Each must be
able to send everything, read the complete error response, and then see the end of the stream.
"""

import socket
import time

from conftest import SLOW
from rawhttp import ProtocolError, parse_head

MIB = 1024 * 1024


def _send_all_then_read(port: int, wire: bytes, chunk: int = 64 * 1024) -> bytes:
    """Sends `wire` in full, then reads until the server ends the stream. A reset on either
    side of that (the failure this file is about) fails the test with a message saying where.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=10 * SLOW) as s:
        sent = 0
        try:
            while sent < len(wire):
                sent += s.send(wire[sent:sent + chunk])
        except (ConnectionResetError, BrokenPipeError) as e:
            raise AssertionError(
                f"the server reset the connection after {sent} of {len(wire)} bytes ({e!r}): "
                "it closed at once instead of in stages") from None
        data = b""
        try:
            while True:
                got = s.recv(65536)
                if not got:
                    return data
                data += got
        except ConnectionResetError as e:
            raise AssertionError(
                f"reset while reading the answer, after {len(data)} bytes {data[:120]!r} ({e!r})"
            ) from None


def _one_error_response(data: bytes, status: int) -> None:
    """`data` is exactly one complete `status` response with Connection: close."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        raise ProtocolError(f"no complete response head in {data[:200]!r}")
    r = parse_head(data[:end + 4])
    assert r.status == status, r
    assert r.closes, r
    length = int(r.header("Content-Length"))
    body = data[end + 4:]
    assert len(body) == length, f"{len(body)} body bytes for Content-Length {length}: {body[:200]!r}"


def test_431_for_a_2mib_header_section_is_read_in_full_after_sending_it(hello):
    # The server refuses the head after 16 KiB; the client goes on sending 2 MiB of it.
    fields = b"".join(b"X-Fill-%d: %s\r\n" % (i, b"f" * 1000) for i in range(2100))
    wire = b"GET / HTTP/1.1\r\nHost: a\r\n" + fields + b"\r\n"
    assert len(wire) > 2 * MIB
    t0 = time.monotonic()
    data = _send_all_then_read(hello.port, wire)
    _one_error_response(data, 431)
    # The end of the stream comes from the server's half-close, not from its linger timeout.
    assert time.monotonic() - t0 < 1.5 * SLOW


def test_413_from_content_length_is_read_in_full_after_sending_the_body(hello):
    # /publish/{name} has hello's default body limit, 1 MiB: a 2 MiB Content-Length is refused
    # before a byte of the body is read.
    body = b"b" * (2 * MIB)
    wire = (b"POST /publish/staged-close HTTP/1.1\r\nHost: a\r\n"
            b"Content-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n" % len(body)) + body
    t0 = time.monotonic()
    data = _send_all_then_read(hello.port, wire)
    _one_error_response(data, 413)
    assert time.monotonic() - t0 < 1.5 * SLOW


def test_server_still_serves_after_staged_closes(hello):
    # The lingering connections end (the clients above closed): a new one is served normally.
    with socket.create_connection(("127.0.0.1", hello.port), timeout=5 * SLOW) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 200 "), data[:200]
    assert data.endswith(b"Hello, World!")
