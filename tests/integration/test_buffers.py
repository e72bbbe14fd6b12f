"""The read buffer under pressure: pipelines larger than the buffer, heads and chunk lines split
at every possible place, bodies trickled byte by byte. Zero-copy views into the buffer must never
show another request's bytes (docs/architecture.md, "The request path" and "Errors")."""

import json
import random
import threading

from rawhttp import RawConnection, build_request, chunked


def _count_sum(data: bytes) -> int:
    s = 0
    for b in data:
        s = (s * 31 + b) % 1000000007
    return s


def _read_all_in_thread(c: RawConnection, plan):
    """Reads len(plan) responses in a thread (so a big pipeline can be sent meanwhile)."""
    out = []

    def run():
        try:
            for method in plan:
                out.append(c.read_response(method, timeout=20))
        except Exception as e:  # reported by the caller
            out.append(e)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, out


def test_pipeline_larger_than_the_read_buffer(testbed):
    # ~600 KB of pipelined requests with bodies and distinctive headers, sent in one go: the
    # server must compact its buffer between requests without corrupting any head it still uses.
    rng = random.Random(5)
    wire = b""
    expected = []
    for i in range(300):
        if i % 3 == 0:
            body = bytes(rng.randrange(256) for _ in range(rng.randrange(1000, 4000)))
            wire += build_request("POST", "/count", {"X-Check": f"body-{i}"}, body)
            expected.append(("count", len(body), _count_sum(body)))
        else:
            value = f"value-{i}-" + "v" * rng.randrange(0, 2000)
            wire += build_request("GET", "/header/X-Check", {"X-Check": value, "X-Pad": "p" * rng.randrange(0, 500)})
            expected.append(("header", value, None))
    with RawConnection(testbed.port, timeout=20) as c:
        t, got = _read_all_in_thread(c, ["GET"] * len(expected))
        c.send(wire)
        t.join(25)
        assert len(got) == len(expected)
        for i, (kind, a, b) in enumerate(expected):
            r = got[i]
            assert not isinstance(r, Exception), (i, r)
            assert r.status == 200, (i, r)
            if kind == "count":
                assert json.loads(r.body) == {"bytes": a, "sum": b}, i
            else:
                assert json.loads(r.body) == {"value": a}, i


def test_pipeline_of_chunked_uploads_larger_than_the_buffer(hello):
    rng = random.Random(6)
    bodies = [bytes([65 + i % 26]) * rng.randrange(1, 20000) for i in range(60)]
    wire = b"".join(build_request("POST", "/echo", {"Transfer-Encoding": "chunked"})
                    + chunked(*[b[j:j + 1500] for j in range(0, len(b), 1500)]) for b in bodies)
    with RawConnection(hello.port, timeout=20) as c:
        t, got = _read_all_in_thread(c, ["POST"] * len(bodies))
        c.send(wire)
        t.join(25)
        assert [r.body if not isinstance(r, Exception) else r for r in got] == bodies


def test_head_split_at_every_byte(hello):
    wire = build_request("GET", "/users/31337", {"X-A": "1", "X-B": "two"})
    for cut in range(1, len(wire)):
        with RawConnection(hello.port) as c:
            c.send(wire[:cut])
            c.send(wire[cut:])
            r = c.read_response()
            assert r.body == b'{"id":31337}', cut


def test_chunked_body_trickled_byte_by_byte(hello):
    body = chunked(b"abc", b"de", b"f" * 20, ext=";x=y", trailers="X-T: 1\r\n")
    with RawConnection(hello.port) as c:
        c.send(build_request("POST", "/echo", {"Transfer-Encoding": "chunked"}))
        for b in body:
            c.send(bytes([b]))
        r = c.read_response()
        assert r.body == b"abcde" + b"f" * 20
        c.request("GET", "/")
        assert c.read_response().body == b"Hello, World!"


def test_content_length_body_trickled_with_next_request_glued(testbed):
    body = b"0123456789" * 10
    nxt = build_request("GET", "/header/X-Next", {"X-Next": "glued"})
    with RawConnection(testbed.port) as c:
        c.send(build_request("POST", "/count", {"Content-Length": str(len(body))}))
        head, tail = body[:-3], body[-3:]
        for i in range(0, len(head), 7):
            c.send(head[i:i + 7])
        c.send(tail + nxt)  # the last body bytes and the next request in one segment
        r = c.read_response()
        assert json.loads(r.body) == {"bytes": 100, "sum": _count_sum(body)}
        r2 = c.read_response()
        assert json.loads(r2.body) == {"value": "glued"}


# Loops of co_awaits that complete without suspending (tiny chunks already in the buffer, a long
# pipeline through coroutine middleware). Under ASan the compiler does not turn Task<T>'s
# symmetric transfer into a tail call, and these once overflowed the worker's stack.
def test_many_tiny_chunks(start_server):
    srv = start_server("gannet_testbed", threads=1)
    data = bytes(random.Random(8).randrange(256) for _ in range(5000))
    wire = b"".join(b"1\r\n" + bytes([x]) + b"\r\n" for x in data) + b"0\r\n\r\n"
    try:
        with RawConnection(srv.port, timeout=10) as c:
            c.send(build_request("POST", "/count", {"Transfer-Encoding": "chunked"}) + wire)
            r = c.read_response()
            assert json.loads(r.body) == {"bytes": 5000, "sum": _count_sum(data)}
    finally:
        srv.assert_healthy()


def test_many_tiny_chunks_echo(start_server):
    srv = start_server("hello", threads=1)
    try:
        with RawConnection(srv.port, timeout=10) as c:
            t, got = _read_all_in_thread(c, ["POST"])
            c.send(build_request("POST", "/echo", {"Transfer-Encoding": "chunked"}) + b"1\r\nz\r\n" * 5000
                   + b"0\r\n\r\n")
            t.join(15)
            assert len(got) == 1 and not isinstance(got[0], Exception), got
            assert got[0].body == b"z" * 5000
    finally:
        srv.assert_healthy()


def test_long_pipeline_through_async_middleware(start_server):
    # Every testbed route runs through two coroutine middleware.
    srv = start_server("gannet_testbed", threads=1)
    n = 3000
    try:
        with RawConnection(srv.port, timeout=15) as c:
            t, got = _read_all_in_thread(c, ["GET"] * n)
            c.send(build_request("GET", "/g/ping") * n)
            t.join(20)
            assert len(got) == n
            assert all(not isinstance(r, Exception) and r.body == b"pong:mw1-before,mw2-before,group-before,handler"
                       for r in got)
    finally:
        srv.assert_healthy()


def test_big_header_values_across_pipeline(testbed):
    # Heads of ~15 KB (just under the 16 KB limit) back to back: each must be parsed in place.
    values = [chr(97 + i) * 14000 for i in range(8)]
    wire = b"".join(build_request("GET", "/header/X-Big", {"X-Big": v}) for v in values)
    with RawConnection(testbed.port, timeout=10) as c:
        c.send(wire)
        for v in values:
            assert json.loads(c.read_response().body) == {"value": v}


def test_pipelined_big_streamed_responses(testbed):
    # Responses bigger than the write buffer, pipelined: each complete and in order.
    sizes = [300, 1, 700, 64, 1024]
    with RawConnection(testbed.port, timeout=20) as c:
        c.send(b"".join(build_request("GET", f"/big/{k}") for k in sizes) + build_request("GET", "/"))
        for k in sizes:
            r = c.read_response()
            assert len(r.body) == k * 1024 and r.body.count(b"x") == k * 1024
        assert c.read_response().body == b"testbed\n"


def test_obs_text_and_tabs_in_header_values_are_accepted(testbed):
    with RawConnection(testbed.port) as c:
        c.send(b"GET /header/X-V HTTP/1.1\r\nHost: a\r\nX-V: a\tb caf\xe9\r\n\r\n")
        r = c.read_response()
        assert r.status == 200
        assert r.body == b'{"value":"a\tb caf\xe9"}'.replace(b"\t", b"\\u0009")


def test_empty_header_value(testbed):
    with RawConnection(testbed.port) as c:
        c.send(b"GET /header/X-Empty HTTP/1.1\r\nHost: a\r\nX-Empty:\r\n\r\n")
        r = c.read_response()
        assert r.status == 200 and json.loads(r.body) == {"value": ""}


def test_unknown_method_token_is_not_a_protocol_error(hello):
    with RawConnection(hello.port) as c:
        c.send(b"PURGE / HTTP/1.1\r\nHost: a\r\n\r\n")
        r = c.read_response()
        assert r.status in (405, 501)
        assert not r.closes
        c.request("GET", "/")
        assert c.read_response().body == b"Hello, World!"


def test_content_length_with_leading_zeros(hello):
    with RawConnection(hello.port) as c:
        c.send(b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 005\r\n\r\nhello")
        r = c.read_response()
        assert r.status == 200 and r.body == b"hello"
