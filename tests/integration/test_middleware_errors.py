"""Middleware (the onion), typed per-request context, and handler exceptions turned into
responses (docs/architecture.md, "Errors")."""

import json

from rawhttp import RawConnection, build_request, get

ONION = "mw1-before,mw2-before,group-before,handler,group-after,mw2-after,mw1-after"
SECRETS = (b"SECRET", b"hunter2", b"postgres", b"deadbeef", b"runtime_error", b"what()")


def test_app_middleware_order(testbed):
    r = get(testbed.port, "/order")
    assert r.status == 200
    assert r.body == b"mw1-before,mw2-before,handler"
    assert r.header("X-Order") == "mw1-before,mw2-before,handler,mw2-after,mw1-after"


def test_group_middleware_onion(testbed):
    r = get(testbed.port, "/g/ping")
    assert r.status == 200
    assert r.body == b"pong:mw1-before,mw2-before,group-before,handler"
    assert r.header("X-Order") == ONION


def test_group_middleware_onion_async_handler(testbed):
    r = get(testbed.port, "/g/async")
    assert r.status == 200
    assert r.header("X-Order") == ONION


def test_group_middleware_short_circuit(testbed):
    r = get(testbed.port, "/g/ping", {"X-Deny": "1"})
    assert r.status == 403
    assert r.body == b"denied by group middleware\n"
    assert r.header("X-Order") == "mw1-before,mw2-before,group-before,group-denied,mw2-after,mw1-after"


def test_group_middleware_not_applied_outside_group(testbed):
    r = get(testbed.port, "/order", {"X-Deny": "1"})
    assert r.status == 200
    assert "group" not in r.header("X-Order")


def test_app_middleware_runs_for_unmatched_routes(testbed):
    r = get(testbed.port, "/no-such-route")
    assert r.status == 404
    assert r.header("X-Order") == "mw1-before,mw2-before,mw2-after,mw1-after"
    r = get(testbed.port, "/g/nothing")
    assert r.status == 404
    r = get(testbed.port, "/order", method="DELETE")
    assert r.status == 405
    assert r.header("X-Order") == "mw1-before,mw2-before,mw2-after,mw1-after"


def test_context_is_per_request(testbed):
    # The trail never carries over from one request to the next on the same connection.
    with RawConnection(testbed.port) as c:
        for _ in range(5):
            c.request("GET", "/g/ping")
            assert c.read_response().header("X-Order") == ONION
        c.send(build_request("GET", "/g/ping") * 10)
        for _ in range(10):
            assert c.read_response().header("X-Order") == ONION


def test_typed_context_set_by_middleware(testbed):
    r = get(testbed.port, "/whoami", {"X-User": "alice"})
    assert json.loads(r.body) == {"user": "alice", "unset_found": False}
    r = get(testbed.port, "/whoami")
    assert json.loads(r.body) == {"user": None, "unset_found": False}


def test_typed_context_does_not_leak_between_pipelined_requests(testbed):
    with RawConnection(testbed.port) as c:
        c.send(build_request("GET", "/whoami", {"X-User": "bob"}) + build_request("GET", "/whoami"))
        assert json.loads(c.read_response().body)["user"] == "bob"
        assert json.loads(c.read_response().body)["user"] is None


def _assert_bare_500(r):
    assert r.status == 500
    for s in SECRETS:
        assert s not in r.body and s not in r.head_raw, s
    assert len(r.body) < 100


def test_sync_throw_is_500_without_internals(testbed):
    _assert_bare_500(get(testbed.port, "/throw"))


def test_async_throw_is_500_without_internals(testbed):
    _assert_bare_500(get(testbed.port, "/async-throw"))


def test_stream_throw_before_writing_is_500(testbed):
    _assert_bare_500(get(testbed.port, "/stream-throw-early"))


def test_http_error_status_and_message(testbed):
    r = get(testbed.port, "/throw-http")
    assert r.status == 418
    assert r.body == b"teapot\n"
    r = get(testbed.port, "/async-throw-http")
    assert r.status == 409
    assert r.body == b"conflict after await\n"


def test_connection_usable_after_500(testbed):
    with RawConnection(testbed.port) as c:
        for target in ("/throw", "/async-throw", "/throw-http", "/stream-throw-early", "/offload-throw"):
            c.request("GET", target)
            r = c.read_response()
            assert r.status >= 400, target
            assert not r.closes, target
            c.request("GET", "/order")
            ok = c.read_response()
            assert ok.status == 200 and ok.body == b"mw1-before,mw2-before,handler", target


def test_pipelined_errors_and_successes(testbed):
    wire = b"".join(build_request("GET", t) for t in ("/throw", "/", "/async-throw", "/items/1", "/throw-http", "/"))
    with RawConnection(testbed.port) as c:
        c.send(wire)
        statuses = [c.read_response().status for _ in range(6)]
    assert statuses == [500, 200, 500, 200, 418, 200]


def test_stream_throw_after_head_cuts_connection(testbed):
    with RawConnection(testbed.port) as c:
        c.send(build_request("GET", "/stream-throw") + build_request("GET", "/"))
        head = c.read_head(timeout=3)
        assert head.status == 200 and head.header("Transfer-Encoding") == "chunked"
        rest = c.read_available(1.0)
        assert rest.startswith(b"8\r\npartial\n\r\n")
        assert b"0\r\n\r\n" not in rest, "a failed stream must not look complete"
        assert b"SECRET" not in rest
        assert b"HTTP/1.1" not in rest
        assert c.is_closed(timeout=3)


def test_handler_exception_logged_to_stderr(testbed):
    get(testbed.port, "/throw")
    # The details go to the server's log, not to the client.
    assert "SECRET-INTERNAL-DETAIL" in testbed.stderr()


def test_offload_resumes_on_same_worker(testbed):
    r = get(testbed.port, "/offload")
    assert r.status == 200
    assert json.loads(r.body) == {"value": 42, "same_thread": True}


def test_offload_exception_propagates(testbed):
    r = get(testbed.port, "/offload-throw")
    assert r.status == 422
    assert r.body == b"offload failed\n"


def test_offload_does_not_block_the_worker(start_server):
    # One worker: while a blocking job (800 ms) runs on the pool, the worker still serves
    # other connections. Checked by order of completion, not by timing.
    srv = start_server("gannet_testbed", threads=1)
    with RawConnection(srv.port) as slow, RawConnection(srv.port) as fast:
        slow.request("GET", "/offload-slow")
        fast.request("GET", "/")
        r = fast.read_response(timeout=5)
        assert r.body == b"testbed\n"
        slow.sock.setblocking(False)
        try:
            early = slow.sock.recv(100)
        except BlockingIOError:
            early = b""
        slow.sock.setblocking(True)
        slow.sock.settimeout(5)
        assert early == b"", "the slow offloaded request finished before the fast one was served"
        assert slow.read_response(timeout=5).body == b"slow 7\n"


def test_many_offloads_in_parallel(testbed):
    import concurrent.futures
    with concurrent.futures.ThreadPoolExecutor(20) as ex:
        results = list(ex.map(lambda _: get(testbed.port, "/offload", timeout=10), range(20)))
    assert all(json.loads(r.body) == {"value": 42, "same_thread": True} for r in results)
