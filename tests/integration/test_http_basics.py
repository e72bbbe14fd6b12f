"""The reference app (docs/architecture.md, "The reference app") and the basic HTTP semantics: status codes, HEAD,
OPTIONS, 404/405, response headers."""

import http.client
import json
import re
import subprocess

import pytest

from rawhttp import RawConnection, build_request, get

DATE_RE = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                     r"\d{4} \d\d:\d\d:\d\d GMT$")


def test_root_plaintext(hello):
    r = get(hello.port, "/")
    assert r.status == 200
    assert r.body == b"Hello, World!"
    assert r.header("Content-Type") == "text/plain; charset=utf-8"
    assert r.header("Content-Length") == "13"
    assert DATE_RE.match(r.header("Date")), r.header("Date")
    assert not r.closes


def test_json(hello):
    r = get(hello.port, "/json")
    assert r.status == 200
    assert r.header("Content-Type") == "application/json"
    assert r.body == b'{"message":"Hello, World!"}'
    assert json.loads(r.body) == {"message": "Hello, World!"}


def test_users_int_param(hello):
    for uid in ("0", "7", "123456789", "-5", "9223372036854775807"):
        r = get(hello.port, f"/users/{uid}")
        assert r.status == 200, uid
        assert r.header("Content-Type") == "application/json"
        assert json.loads(r.body) == {"id": int(uid)}


def test_users_non_int_is_404(hello):
    for target in ("/users/abc", "/users/12a", "/users/", "/users/1.5", "/users"):
        r = get(hello.port, target)
        assert r.status == 404, target


def test_users_int_overflow_is_not_a_200(hello):
    # Does not fit int64: either no match (404) or a 400 from the typed accessor, never a
    # wrapped number.
    r = get(hello.port, "/users/99999999999999999999999")
    assert r.status in (400, 404)


def test_with_http_client(hello):
    # A real, independent client implementation.
    conn = http.client.HTTPConnection("127.0.0.1", hello.port, timeout=5)
    try:
        for path, body in (("/", b"Hello, World!"), ("/json", b'{"message":"Hello, World!"}'),
                           ("/users/42", b'{"id":42}')):
            conn.request("GET", path)
            res = conn.getresponse()
            assert res.status == 200
            assert res.read() == body
    finally:
        conn.close()


def test_with_curl(hello):
    out = subprocess.run(
        ["curl", "-sS", "--max-time", "5", "-D", "-", f"http://127.0.0.1:{hello.port}/json"],
        capture_output=True, timeout=10, check=True).stdout
    head, _, body = out.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"\r\nContent-Length: 27" in head
    assert body == b'{"message":"Hello, World!"}'


def test_404_unknown_path(hello):
    r = get(hello.port, "/no/such/thing")
    assert r.status == 404
    assert int(r.header("Content-Length")) == len(r.body)
    assert not r.closes  # a 404 is not a protocol error


def test_405_with_allow(hello):
    r = get(hello.port, "/", method="POST", body=b"")
    assert r.status == 405
    allow = [m.strip() for m in r.header("Allow").split(",")]
    assert "GET" in allow and "HEAD" in allow
    assert "POST" not in allow
    r = get(hello.port, "/echo")
    assert r.status == 405
    assert "POST" in [m.strip() for m in r.header("Allow").split(",")]


def test_405_allow_lists_every_method(testbed):
    r = get(testbed.port, "/method", method="POST", body=b"x")
    assert r.status == 405
    assert r.header("Allow") == "DELETE, GET, HEAD, OPTIONS, PUT"
    for m in ("GET", "PUT", "DELETE"):
        r = get(testbed.port, "/method", method=m)
        assert r.status == 200 and r.body == m.encode()


def test_options_204_with_allow(testbed):
    r = get(testbed.port, "/method", method="OPTIONS")
    assert r.status == 204
    assert r.header("Allow") == "DELETE, GET, HEAD, OPTIONS, PUT"
    assert r.body == b""
    assert r.header("Content-Length") in (None, "0")
    r = get(testbed.port, "/nothing-here", method="OPTIONS")
    assert r.status == 404


def test_head_matches_get(hello):
    for path in ("/", "/json", "/users/9"):
        with RawConnection(hello.port) as c:
            c.request("GET", path)
            g = c.read_response("GET")
            c.request("HEAD", path)
            h = c.read_response("HEAD")
            # No body bytes after the HEAD response: the next request's answer comes next.
            c.request("GET", path)
            g2 = c.read_response("GET")
        assert h.status == 200
        assert h.header("Content-Length") == g.header("Content-Length") == str(len(g.body))
        assert h.header("Content-Type") == g.header("Content-Type")
        assert g2.body == g.body


def test_head_of_streamed_response_has_no_body(testbed):
    with RawConnection(testbed.port) as c:
        c.request("HEAD", "/stream")
        h = c.read_response("HEAD")
        c.request("GET", "/")
        after = c.read_response("GET")
    assert h.status == 200
    assert h.header("X-Stream") == "yes"
    assert after.status == 200 and after.body == b"testbed\n"


def test_head_of_404(hello):
    with RawConnection(hello.port) as c:
        c.request("HEAD", "/missing")
        h = c.read_response("HEAD")
        c.request("GET", "/")
        after = c.read_response("GET")
    assert h.status == 404
    assert after.body == b"Hello, World!"


def test_server_and_date_headers_once(hello):
    r = get(hello.port, "/")
    assert len(r.header_all("Date")) == 1
    assert len(r.header_all("Content-Length")) == 1
    assert r.header("Transfer-Encoding") is None


def test_http10_request(hello):
    with RawConnection(hello.port) as c:
        c.send(b"GET / HTTP/1.0\r\n\r\n")
        r = c.read_response()
        assert r.status == 200
        assert r.body == b"Hello, World!"
        assert c.is_closed()


def test_absolute_form_target(hello):
    with RawConnection(hello.port) as c:
        c.send(b"GET http://localhost/json HTTP/1.1\r\nHost: localhost\r\n\r\n")
        r = c.read_response()
    assert r.status == 200
    assert r.body == b'{"message":"Hello, World!"}'


def test_response_splitting_is_refused(testbed):
    r = get(testbed.port, "/set-header?v=fine%20value")
    assert r.status == 200 and r.header("X-Echo") == "fine value"
    for evil in ("a%0d%0aSet-Cookie:%20evil=1", "a%0aX-Injected:%201", "a%0dX-Injected:%201", "a%00b"):
        with RawConnection(testbed.port) as c:
            c.request("GET", f"/set-header?v={evil}")
            r = c.read_response()
            assert r.status == 500, evil
            assert r.header("Set-Cookie") is None and r.header("X-Injected") is None
            assert b"evil" not in r.head_raw and b"Injected" not in r.head_raw
            c.request("GET", "/")
            assert c.read_response().body == b"testbed\n"


def test_204_and_304_have_no_body(testbed):
    for code in (204, 304):
        with RawConnection(testbed.port) as c:
            c.send(build_request("GET", f"/status/{code}") + build_request("GET", "/"))
            r = c.read_response()
            assert r.status == code
            assert r.header("Transfer-Encoding") is None
            if code == 204:
                assert r.header("Content-Length") is None
            # No body bytes: the next response starts right after the head.
            assert c.read_response().body == b"testbed\n"


def test_handler_statuses_pass_through(testbed):
    for code in (200, 201, 202, 299, 400, 403, 451, 500, 503, 599):
        r = get(testbed.port, f"/status/{code}")
        assert r.status == code
        assert r.body == b"status body\n"


@pytest.mark.parametrize("code", ["100", "103", "42", "0", "-5", "1000"])
def test_invalid_final_status_is_refused(testbed, code):
    # A 1xx cannot be a final response (the client would wait for the real one) and a status
    # must be three digits: a handler asking for either gets a 500, not a broken response.
    with RawConnection(testbed.port) as c:
        c.request("GET", f"/status/{code}")
        r = c.read_response(skip_interim=False, timeout=2)
        assert r.status == 500, r.head_raw
        c.request("GET", "/")
        assert c.read_response().body == b"testbed\n"


def test_redirect(testbed):
    r = get(testbed.port, "/redirect")
    assert r.status == 307
    assert r.header("Location") == "/order"
    out = subprocess.run(["curl", "-sS", "-L", "--max-time", "5", f"http://127.0.0.1:{testbed.port}/redirect"],
                         capture_output=True, timeout=10, check=True).stdout
    assert out == b"mw1-before,mw2-before,handler"


def test_date_header_advances(hello):
    import time
    first = get(hello.port, "/").header("Date")
    time.sleep(1.1)
    second = get(hello.port, "/").header("Date")
    assert DATE_RE.match(second)
    assert first != second, "the cached Date header did not advance"
