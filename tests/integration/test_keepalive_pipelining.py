"""Persistent connections (RFC 9112 section 9) and pipelining (section 9.3.2): several requests
on one socket, responses complete and in order."""

import json
import random
import socket
import time

import pytest

from rawhttp import RawConnection, build_request, chunked


def test_http11_keep_alive_by_default(hello):
    with RawConnection(hello.port) as c:
        for i in range(10):
            c.request("GET", f"/users/{i}")
            r = c.read_response()
            assert r.status == 200
            assert json.loads(r.body) == {"id": i}
            assert not r.closes
        # Still open: nothing arrives and no EOF.
        assert not c.is_closed(timeout=0.2)


def test_http10_closes_by_default(hello):
    with RawConnection(hello.port) as c:
        c.send(b"GET /json HTTP/1.0\r\n\r\n")
        r = c.read_response()
        assert r.status == 200
        assert r.body == b'{"message":"Hello, World!"}'
        assert c.is_closed()


def test_http10_keep_alive_header(hello):
    with RawConnection(hello.port) as c:
        for _ in range(3):
            c.send(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            r = c.read_response()
            assert r.status == 200
            assert r.body == b"Hello, World!"
            assert (r.header("Connection") or "").lower() == "keep-alive"
        c.send(b"GET / HTTP/1.0\r\n\r\n")
        r = c.read_response()
        assert r.body == b"Hello, World!"
        assert c.is_closed()


def test_connection_close_honoured(hello):
    with RawConnection(hello.port) as c:
        c.request("GET", "/")
        assert c.read_response().status == 200
        c.request("GET", "/json", {"Connection": "close"})
        r = c.read_response()
        assert r.status == 200
        assert r.closes
        assert c.is_closed()


def test_connection_close_token_in_list(hello):
    with RawConnection(hello.port) as c:
        c.request("GET", "/", {"Connection": "foo, Close"})
        r = c.read_response()
        assert r.status == 200 and r.closes
        assert c.is_closed()


def test_requests_after_close_are_ignored(hello):
    # Pipelined after a `Connection: close` request: the server must answer only the first.
    with RawConnection(hello.port) as c:
        c.send(build_request("GET", "/", {"Connection": "close"}) + build_request("GET", "/json"))
        r = c.read_response()
        assert r.body == b"Hello, World!"
        assert c.is_closed()


def test_pipelining_50_in_one_send(hello):
    reqs = b"".join(build_request("GET", f"/users/{i}") for i in range(50))
    with RawConnection(hello.port) as c:
        c.send(reqs)
        for i in range(50):
            r = c.read_response()
            assert r.status == 200, i
            assert r.body == f'{{"id":{i}}}'.encode(), i
        assert not c.is_closed(timeout=0.2)


def test_pipelining_mixed_routes_and_methods(hello):
    # GETs, POSTs with Content-Length and chunked bodies, a HEAD and a 404, all in one send.
    rng = random.Random(7)
    plan = []
    wire = b""
    for i in range(40):
        kind = i % 5
        if kind == 0:
            wire += build_request("GET", "/")
            plan.append(("GET", b"Hello, World!", 200))
        elif kind == 1:
            body = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 3000)))
            wire += build_request("POST", "/echo", {"Content-Type": "application/octet-stream"}, body)
            plan.append(("POST", body, 200))
        elif kind == 2:
            pieces = [bytes([65 + i % 26]) * rng.randrange(1, 500) for _ in range(3)]
            wire += build_request("POST", "/echo", {"Transfer-Encoding": "chunked"}) + chunked(*pieces)
            plan.append(("POST", b"".join(pieces), 200))
        elif kind == 3:
            wire += build_request("HEAD", "/json")
            plan.append(("HEAD", b"", 200))
        else:
            wire += build_request("GET", f"/missing/{i}")
            plan.append(("GET", None, 404))
    with RawConnection(hello.port) as c:
        c.send(wire)
        for i, (method, body, status) in enumerate(plan):
            r = c.read_response(method)
            assert r.status == status, (i, r)
            if body is not None:
                assert r.body == body, i
        c.request("GET", "/json")
        assert c.read_response().body == b'{"message":"Hello, World!"}'


def test_pipelined_async_handlers_keep_order(testbed):
    # Async handlers finishing in a different order than they arrived: responses still follow
    # request order.
    delays = [60, 0, 30, 5, 45, 1]
    wire = b"".join(build_request("GET", f"/delay/{d}") for d in delays)
    with RawConnection(testbed.port) as c:
        c.send(wire)
        for d in delays:
            r = c.read_response()
            assert r.status == 200
            assert r.body == f"waited {d}ms\n".encode()


def test_pipelined_requests_split_across_sends(hello):
    # A pipeline split at awkward places, including in the middle of a request line.
    wire = b"".join(build_request("GET", f"/users/{i}") for i in range(20))
    with RawConnection(hello.port) as c:
        cuts = sorted(random.Random(3).sample(range(1, len(wire)), 15))
        prev = 0
        for cut in cuts + [len(wire)]:
            c.send(wire[prev:cut])
            prev = cut
        for i in range(20):
            r = c.read_response()
            assert r.body == f'{{"id":{i}}}'.encode()


def test_byte_at_a_time_request(hello):
    with RawConnection(hello.port) as c:
        for b in build_request("GET", "/users/77"):
            c.send(bytes([b]))
        r = c.read_response()
    assert r.status == 200 and r.body == b'{"id":77}'


def test_pipelined_streamed_and_plain_responses(testbed):
    # A chunked streamed response between plain ones must not interleave with them.
    wire = (build_request("GET", "/") + build_request("GET", "/stream") + build_request("GET", "/q?x=1")
            + build_request("GET", "/stream-len") + build_request("GET", "/"))
    with RawConnection(testbed.port) as c:
        c.send(wire)
        assert c.read_response().body == b"testbed\n"
        s = c.read_response()
        assert s.header("Transfer-Encoding") == "chunked"
        assert s.body == b"".join(f"chunk {i}\n".encode() for i in range(5))
        assert json.loads(c.read_response().body)["x"] == "1"
        assert c.read_response().body == b"0123456789"
        assert c.read_response().body == b"testbed\n"


def test_half_close_on_new_connection(hello):
    # The client sends its requests and shuts down its side: every request is answered, then
    # the server closes (there can be no further request).
    with RawConnection(hello.port) as c:
        c.send(build_request("GET", "/") * 3)
        c.sock.shutdown(socket.SHUT_WR)
        for _ in range(3):
            assert c.read_response().body == b"Hello, World!"
        assert c.is_closed(timeout=2)


def test_half_close_on_keep_alive_connection(hello):
    # As above, on a connection that already served a request (no TCP_DEFER_ACCEPT path).
    with RawConnection(hello.port) as c:
        c.request("GET", "/json")
        assert c.read_response().status == 200
        time.sleep(0.05)
        c.send(build_request("GET", "/") * 2)
        c.sock.shutdown(socket.SHUT_WR)
        for _ in range(2):
            assert c.read_response().body == b"Hello, World!"
        assert c.is_closed(timeout=2), "the half-closed connection was not closed after the answers"
