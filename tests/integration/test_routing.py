"""Routing through a real server: typed, regex and wildcard parameters, query strings, cookies."""

import http.cookiejar
import json
import subprocess
import urllib.request

from rawhttp import RawConnection, get


def _json(port, target, headers=None):
    r = get(port, target, headers)
    assert r.status == 200, (target, r)
    assert r.header("Content-Type") == "application/json"
    return json.loads(r.body)


def test_int_param(testbed):
    assert _json(testbed.port, "/items/42") == {"id": 42}
    assert _json(testbed.port, "/items/-3") == {"id": -3}
    assert get(testbed.port, "/items/x42").status == 404
    assert get(testbed.port, "/items/4.2").status == 404
    assert get(testbed.port, "/items/42/more").status == 404


def test_regex_param(testbed):
    assert _json(testbed.port, "/slug/hello-world-2") == {"slug": "hello-world-2"}
    for bad in ("/slug/Hello", "/slug/a_b", "/slug/", "/slug/a%20b"):
        assert get(testbed.port, bad).status == 404, bad


def test_wildcard_param(testbed):
    assert _json(testbed.port, "/files/a/b/c.txt") == {"path": "a/b/c.txt"}
    assert _json(testbed.port, "/files/") == {"path": ""}
    assert _json(testbed.port, "/files") == {"path": ""}
    assert _json(testbed.port, "/files/a%20b/%C3%A9.txt") == {"path": "a b/\u00e9.txt"}


def test_malformed_percent_in_param_is_400(testbed):
    r = get(testbed.port, "/files/%zz")
    assert r.status == 400


def test_query_params(testbed):
    body = _json(testbed.port, "/q?x=1&y=a%20b")
    assert body == {"x": "1", "y": "a b", "all": [["x", "1"], ["y", "a b"]]}
    body = _json(testbed.port, "/q?y=c+d&x=&x=2&flag&%41=%42")
    assert body["x"] == "" and body["y"] == "c d"
    assert body["all"] == [["y", "c d"], ["x", ""], ["x", "2"], ["flag", ""], ["A", "B"]]
    body = _json(testbed.port, "/q")
    assert body == {"x": None, "y": None, "all": []}


def test_query_does_not_affect_routing(testbed):
    assert _json(testbed.port, "/items/5?x=/items/6") == {"id": 5}


def test_cookies_read(testbed):
    body = _json(testbed.port, "/cookies", {"Cookie": 'theme=dark; session="abc 123"; other=1'})
    assert body == {"session": "abc 123", "theme": "dark"}
    body = _json(testbed.port, "/cookies")
    assert body == {"session": None, "theme": None}


def test_set_cookie_headers(testbed):
    r = get(testbed.port, "/cookies")
    assert r.header_all("Set-Cookie") == ["visit=yes; Path=/; HttpOnly; SameSite=Lax", "n=1; Max-Age=3600"]


def test_cookies_with_a_real_cookie_jar(testbed):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"http://127.0.0.1:{testbed.port}/cookies", timeout=5) as res:
        assert res.status == 200
    names = sorted(c.name for c in jar)
    assert names == ["n", "visit"]
    # The jar sends them back; the server sees them.
    req = urllib.request.Request(f"http://127.0.0.1:{testbed.port}/header/Cookie")
    with opener.open(req, timeout=5) as res:
        value = json.loads(res.read())["value"]
    assert sorted(value.split("; ")) == ["n=1", "visit=yes"]


def test_cookies_with_curl(testbed, tmp_path):
    jar = tmp_path / "jar.txt"
    base = f"http://127.0.0.1:{testbed.port}"
    subprocess.run(["curl", "-sS", "--max-time", "5", "-c", str(jar), "-o", "/dev/null", f"{base}/cookies"],
                   check=True, timeout=10)
    out = subprocess.run(["curl", "-sS", "--max-time", "5", "-b", str(jar), "-b", "session=s1",
                          f"{base}/header/Cookie"], check=True, timeout=10, capture_output=True).stdout
    value = json.loads(out)["value"]
    assert "visit=yes" in value and "session=s1" in value


def test_header_lookup_is_case_insensitive(testbed):
    assert _json(testbed.port, "/header/x-custom", {"X-CUSTOM": "  padded value  "}) == {"value": "padded value"}


def test_trailing_slash_is_significant(testbed):
    assert get(testbed.port, "/items/5/").status == 404
    assert get(testbed.port, "/g/ping/").status == 404


def test_percent_encoded_static_path_does_not_match_decoded(testbed):
    # Routing matches the path as sent (still encoded); "/%71" is not "/q".
    assert get(testbed.port, "/%71").status == 404


def test_many_routes_one_connection(testbed):
    with RawConnection(testbed.port) as c:
        for i in range(50):
            c.request("GET", f"/items/{i}")
            assert json.loads(c.read_response().body) == {"id": i}
            c.request("GET", f"/slug/s{i}")
            assert json.loads(c.read_response().body) == {"slug": f"s{i}"}
