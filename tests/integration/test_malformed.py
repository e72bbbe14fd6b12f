"""Malformed requests (docs/architecture.md, "HTTP rules and limits", RFC 9112): each gets the right status AND a closed
connection afterwards; nothing after the bad request is ever answered."""

import pytest

from rawhttp import RawConnection, build_request

GOOD = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"

CASES = [
    # (id, request bytes, expected status)
    ("bad-method-byte", b"G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("method-with-nul", b"GE\x00T / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("lowercase-version", b"GET / http/1.1\r\nHost: a\r\n\r\n", 400),
    ("http-2.0", b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
    ("http-0.9", b"GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505),  # HTTP/1.2 is served as 1.1
    ("http-3.0", b"GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505),
    ("no-host-http11", b"GET / HTTP/1.1\r\nX: y\r\n\r\n", 400),
    ("two-hosts", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    ("cl-and-te", b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("te-and-cl", b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 400),
    ("te-gzip-chunked", b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
    ("te-chunked-not-last", b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400),
    ("te-chunked-twice", b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400),
    ("two-different-cl", b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400),
    ("cl-not-a-number", b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5x\r\n\r\nhello", 400),
    ("cl-negative", b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400),
    ("cl-plus", b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello", 400),
    ("bad-chunk-size", b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400),
    ("chunk-size-overflow", b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                            b"10000000000000001\r\nx\r\n0\r\n\r\n", 400),
    ("obs-fold", b"GET / HTTP/1.1\r\nHost: a\r\nX-Long: one\r\n two\r\n\r\n", 400),
    ("space-before-colon", b"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
    ("tab-before-colon", b"GET / HTTP/1.1\r\nHost: a\r\nX-A\t: b\r\n\r\n", 400),
    ("bare-lf-request-line", b"GET / HTTP/1.1\nHost: a\r\n\r\n", 400),
    ("bare-lf-header", b"GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n", 400),
    ("bare-lf-end", b"GET / HTTP/1.1\r\nHost: a\r\n\n", 400),
    ("bare-cr", b"GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n", 400),
    ("nul-in-header-value", b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n", 400),
    ("header-name-bad-char", b"GET / HTTP/1.1\r\nHost: a\r\nX(y): b\r\n\r\n", 400),
    ("header-without-colon", b"GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400),
    ("empty-header-name", b"GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n", 400),
    ("space-in-target", b"GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("fragment-in-target", b"GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("missing-version", b"GET /\r\nHost: a\r\n\r\n", 400),
    ("double-space", b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("te-in-http10", b"POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("asterisk-with-get", b"GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("garbage", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40 + b"\r\n\r\n", 400),
]


def _expect_error_then_close(port, wire, status, follow=GOOD):
    with RawConnection(port) as c:
        # A well-formed request after the bad one must never be answered.
        c.send(wire + follow)
        r = c.read_response(timeout=3)
        assert r.status == status, r
        assert r.closes, "an error response to a framing problem must say Connection: close"
        assert int(r.header("Content-Length")) == len(r.body)
        assert c.is_closed(timeout=3), "the connection must be closed after a protocol error"
        return r


@pytest.mark.parametrize("wire,status", [(w, s) for _, w, s in CASES], ids=[i for i, _, _ in CASES])
def test_malformed_request(hello, wire, status):
    _expect_error_then_close(hello.port, wire, status)


@pytest.mark.parametrize("wire,status", [(w, s) for _, w, s in CASES[:12]], ids=[i for i, _, _ in CASES[:12]])
def test_malformed_after_good_request_on_same_connection(hello, wire, status):
    # A protocol error mid-connection: the earlier response is whole, then the error, then close.
    with RawConnection(hello.port) as c:
        c.send(GOOD + wire + GOOD)
        first = c.read_response(timeout=3)
        assert first.status == 200 and first.body == b"Hello, World!"
        r = c.read_response(timeout=3)
        assert r.status == status
        assert c.is_closed(timeout=3)


def test_target_too_long_414(hello):
    target = "/" + "a" * (9 * 1024)
    _expect_error_then_close(hello.port, f"GET {target} HTTP/1.1\r\nHost: a\r\n\r\n".encode(), 414)


def test_target_just_under_limit_is_fine(hello):
    target = "/users/" + "1" * 10 + "?" + "q" * (8 * 1024 - 100)
    with RawConnection(hello.port) as c:
        c.send(f"GET {target} HTTP/1.1\r\nHost: a\r\n\r\n".encode())
        r = c.read_response()
    assert r.status == 200


def test_header_section_too_large_431(hello):
    wire = b"GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + b"v" * (20 * 1024) + b"\r\n\r\n"
    _expect_error_then_close(hello.port, wire, 431)


def test_header_section_too_large_in_many_lines_431(hello):
    wire = b"GET / HTTP/1.1\r\nHost: a\r\n" + b"".join(
        f"X-H{i}: {'v' * 400}\r\n".encode() for i in range(50)) + b"\r\n"
    _expect_error_then_close(hello.port, wire, 431)


def test_too_many_headers_431(hello):
    wire = b"GET / HTTP/1.1\r\nHost: a\r\n" + b"".join(f"X-H{i}: v\r\n".encode() for i in range(100)) + b"\r\n"
    _expect_error_then_close(hello.port, wire, 431)


def test_100_headers_are_fine(hello):
    # Host plus 99 others = 100 fields: at the limit, not over it.
    wire = b"GET / HTTP/1.1\r\nHost: a\r\n" + b"".join(f"X-H{i}: v\r\n".encode() for i in range(99)) + b"\r\n"
    with RawConnection(hello.port) as c:
        c.send(wire)
        r = c.read_response()
    assert r.status == 200


def test_431_when_header_section_arrives_slowly(hello):
    # The limit holds when the oversized head arrives in pieces (no unbounded buffering).
    with RawConnection(hello.port) as c:
        c.send(b"GET / HTTP/1.1\r\nHost: a\r\n")
        for _ in range(40):
            try:
                c.send(b"X-Fill: " + b"f" * 1000 + b"\r\n")
            except (BrokenPipeError, ConnectionResetError):
                break
        r = c.read_response(timeout=3)
        assert r.status == 431
        assert c.is_closed(timeout=3)


def test_bad_chunk_size_on_route_that_reads(testbed):
    # The route reads the body (buffered text()): the framing error reaches it as 400.
    wire = build_request("POST", "/text", {"Transfer-Encoding": "chunked"}) + b"5\r\nhello\r\nxyz\r\n"
    with RawConnection(testbed.port) as c:
        c.send(wire + GOOD)
        r = c.read_response(timeout=3)
        assert r.status == 400
        assert c.is_closed(timeout=3)


def test_chunk_missing_crlf_on_buffered_route(testbed):
    wire = build_request("POST", "/text", {"Transfer-Encoding": "chunked"}) + b"3\r\nabcX\r\n0\r\n\r\n"
    _expect_error_then_close(testbed.port, wire, 400)


def test_chunk_missing_crlf_mid_stream_truncates(hello):
    # /echo streams: "abc" is echoed (head and first chunk already out) before the framing
    # error shows. The server can no longer send a 400, so it must cut the connection without
    # the final 0-chunk: the client sees an incomplete response, never a whole-looking one.
    wire = build_request("POST", "/echo", {"Transfer-Encoding": "chunked"}) + b"3\r\nabcX\r\n0\r\n\r\n"
    with RawConnection(hello.port) as c:
        c.send(wire + GOOD)
        head = c.read_head(timeout=3)
        if head.status == 400:
            c.buf = b""
            return
        assert head.status == 200 and head.header("Transfer-Encoding") == "chunked"
        rest = c.read_available(1.0)
        assert rest.startswith(b"3\r\nabc\r\n")
        assert b"0\r\n\r\n" not in rest, "a truncated stream must not end with the last chunk"
        assert b"HTTP/1.1" not in rest, "the pipelined request after the error must not be answered"
        assert c.is_closed(timeout=3)


def test_error_does_not_leak_other_request_data(hello):
    # Nothing of the bad request's bytes beyond the reason is echoed, and no other request's data.
    secret = b"X-Secret: s3cr3t-token"
    with RawConnection(hello.port) as c:
        c.send(b"GET / HTTP/1.1\r\nHost: a\r\n" + secret + b"\r\nBad Header: x\r\n\r\n")
        r = c.read_response(timeout=3)
        assert r.status == 400
        assert b"s3cr3t" not in r.head_raw + r.body


def test_leading_empty_line_is_tolerated(hello):
    # RFC 9112 section 2.2: a server SHOULD ignore at least one empty line before a request.
    with RawConnection(hello.port) as c:
        c.send(b"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")
        r = c.read_response()
    assert r.status == 200 and r.body == b"Hello, World!"


def test_server_survives_a_burst_of_garbage(hello):
    import os
    for i in range(30):
        with RawConnection(hello.port, timeout=3) as c:
            try:
                c.send(os.urandom(200 + i * 50) + b"\r\n\r\n")
                c.read_available(0.05)
            except (ConnectionResetError, BrokenPipeError):
                pass
    with RawConnection(hello.port) as c:
        c.send(GOOD)
        assert c.read_response().body == b"Hello, World!"
