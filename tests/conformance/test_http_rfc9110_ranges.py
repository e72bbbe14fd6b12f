"""Range requests (RFC 9110 section 14) on static files: examples/hello serving a directory under
/files (App::static_files), compared with nginx serving the same file (peers/nginx.conf.in,
nginx's defaults: no max_ranges bound, no coalescing).

One test per rule, named after its section. Gannet's policy for several ranges (documented in
<gannet/static_files.hpp> and src/http/static_files.hpp):

- 206 with a multipart/byteranges body, the parts in the order requested, each with its own
  Content-Type and Content-Range, a random boundary, an exact Content-Length;
- ranges that overlap, touch or lie less than 80 bytes apart are sent as one part (RFC 9110
  14.2), so no byte is sent twice; when one part is left it is a plain 206;
- more than 64 ranges (StaticOptions::max_ranges): the header is ignored, the file sent whole;
- an invalid range-spec anywhere: the header is ignored; none satisfiable: 416.

Where nginx does the same, the tests check that it does (so the comparison stays honest); where
it differs (it does not coalesce, it answers 200 when the parts add up to more than the file),
the test says so and checks Gannet only.
"""

from __future__ import annotations

import re

import pytest

import rawhttp
from http_peers import start_nginx

NAME = "digits.txt"
DATA = "".join(f"{i:04d}" for i in range(1, 2001)).encode()  # 8000 bytes, every offset unique
SIZE = len(DATA)
PATH = f"/files/{NAME}"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("ranges")
    (root / NAME).write_bytes(DATA)
    return root


@pytest.fixture(scope="module")
def gannet(_module_factory, files):
    return _module_factory("hello", threads=1, flags=["--files", str(files)])


#: Why nginx is missing, when it is (see test_nginx_available).
MISSING: list[str] = []


@pytest.fixture(scope="module")
def nginx():
    """nginx serving the same file, or None when it is not installed (comparisons skipped)."""
    try:
        peer = start_nginx()
    except (FileNotFoundError, RuntimeError) as e:
        MISSING.append(str(e))
        yield None
        return
    (peer.files / NAME).write_bytes(DATA)
    yield peer
    peer.stop()


def test_nginx_available(nginx):
    """Skipped, with the reason, when nginx cannot be started: the comparisons with it are
    then skipped too (Gannet's own answers are still checked)."""
    if nginx is None:
        pytest.skip("; ".join(MISSING))
    r = fetch(nginx.port, None)
    assert r.status == 200 and r.body == DATA, r


def fetch(port: int, range_value: str | None, method: str = "GET",
          extra: dict | None = None) -> rawhttp.Response:
    headers = dict(extra or {})
    if range_value is not None:
        headers["Range"] = range_value
    return rawhttp.get(port, PATH, headers, method=method)


def parts(r: rawhttp.Response, strict: bool = True) -> list[tuple[str | None, str, bytes]]:
    """The parts of a multipart/byteranges response: (Content-Type, Content-Range, bytes).
    strict: no preamble and no epilogue beyond the final CRLF (what Gannet sends); nginx starts
    with a CRLF preamble, which RFC 2046 allows."""
    ctype = r.header("Content-Type") or ""
    m = re.fullmatch(r'multipart/byteranges;\s*boundary=("?)([0-9A-Za-z\'()+_,./:=?-]{1,70})\1',
                     ctype)
    assert m, f"not multipart/byteranges: {ctype!r}"
    boundary = m.group(2).encode()
    body = r.body
    if strict:
        assert body.startswith(b"--" + boundary + b"\r\n"), body[:100]
        assert body.endswith(b"\r\n--" + boundary + b"--\r\n"), body[-100:]
    body = b"\r\n" + body  # the first delimiter then looks like the others
    pieces = body.split(b"\r\n--" + boundary)
    assert pieces[-1] in (b"--\r\n", b"--"), pieces[-1][:100]
    if strict:
        assert pieces[0] == b"", pieces[0][:100]
    out = []
    for piece in pieces[1:-1]:
        assert piece.startswith(b"\r\n"), piece[:100]
        head, sep, data = piece[2:].partition(b"\r\n\r\n")
        assert sep, piece[:200]
        fields = {}
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        out.append((fields.get("content-type"), fields["content-range"], data))
    return out


def spans(r: rawhttp.Response, strict: bool = True) -> list[tuple[int, int]]:
    """(first, last) of each part, checking each part's bytes against the file."""
    out = []
    for _, content_range, data in parts(r, strict):
        m = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", content_range)
        assert m, content_range
        first, last, total = map(int, m.groups())
        assert total == SIZE
        assert data == DATA[first:last + 1], (content_range, data[:40])
        out.append((first, last))
    return out


def single_span(r: rawhttp.Response) -> tuple[int, int]:
    assert r.status == 206, r
    assert not (r.header("Content-Type") or "").startswith("multipart/"), r
    m = re.fullmatch(r"bytes (\d+)-(\d+)/8000", r.header("Content-Range") or "")
    assert m, r
    first, last = int(m.group(1)), int(m.group(2))
    assert r.body == DATA[first:last + 1]
    return first, last


def ranges_header(pairs) -> str:
    return "bytes=" + ",".join(f"{a}-{b}" for a, b in pairs)


# --- RFC 9110 14.6: the multipart/byteranges media type --------------------------------------

def test_rfc9110_14_6_several_ranges_give_multipart_byteranges(gannet, nginx):
    """Two ranges: 206, multipart/byteranges with a boundary, each part with the file's
    Content-Type and its own Content-Range; the same parts as nginx."""
    r = fetch(gannet.port, "bytes=0-9,100-109")
    assert r.status == 206, r
    got = parts(r)
    assert [p[0] for p in got] == ["text/plain; charset=utf-8"] * 2
    assert spans(r) == [(0, 9), (100, 109)]
    if nginx:
        n = fetch(nginx.port, "bytes=0-9,100-109")
        assert n.status == 206 and spans(n, strict=False) == [(0, 9), (100, 109)], n


def test_rfc9110_15_3_7_2_no_content_range_in_a_multipart_head(gannet, nginx):
    """A multipart 206 has no Content-Range in its header section (each part has one)."""
    r = fetch(gannet.port, "bytes=0-9,100-109")
    assert r.status == 206 and r.header("Content-Range") is None, r
    if nginx:
        n = fetch(nginx.port, "bytes=0-9,100-109")
        assert n.status == 206 and n.header("Content-Range") is None, n


def test_rfc9110_8_6_multipart_content_length_is_exact(gannet):
    """The Content-Length of the multipart body, computed before sending, is exact: a request
    pipelined behind it on the same connection is answered cleanly."""
    with rawhttp.RawConnection(gannet.port) as c:
        c.send(rawhttp.build_request("GET", PATH, {"Range": "bytes=0-0,7999-7999,4000-4099"})
               + rawhttp.build_request("GET", PATH, {"Range": "bytes=5-9"}))
        first = c.read_response()
        assert int(first.header("Content-Length")) == len(first.body)
        assert spans(first) == [(0, 0), (7999, 7999), (4000, 4099)]
        second = c.read_response()
        assert single_span(second) == (5, 9)
        assert c.read_available(0.2) == b""


def test_rfc2046_5_1_1_boundary_is_not_fixed(gannet):
    """The boundary must not occur in the parts; a fixed one could be planted in a file, so
    Gannet picks a random one per response."""
    a = fetch(gannet.port, "bytes=0-9,100-109").header("Content-Type")
    b = fetch(gannet.port, "bytes=0-9,100-109").header("Content-Type")
    assert a != b, a


# --- RFC 9110 14.2: which ranges, in which order ----------------------------------------------

def test_rfc9110_14_2_parts_in_the_order_requested(gannet, nginx):
    """Parts come in the order of the range-specs, not sorted (like nginx)."""
    want = [(200, 209), (0, 9), (100, 109)]
    assert spans(fetch(gannet.port, ranges_header(want))) == want
    if nginx:
        assert spans(fetch(nginx.port, ranges_header(want)), strict=False) == want


def test_rfc9110_14_2_one_range_is_never_multipart(gannet, nginx):
    """A request for one range gets a plain 206 with Content-Range, never multipart."""
    assert single_span(fetch(gannet.port, "bytes=10-19")) == (10, 19)
    if nginx:
        assert single_span(fetch(nginx.port, "bytes=10-19")) == (10, 19)


def test_rfc9110_14_2_one_satisfiable_range_is_a_plain_206(gannet, nginx):
    """Several ranges of which one is satisfiable: the unsatisfiable ones are dropped and the
    one left is sent as a plain 206, as nginx does (RFC 9110 14.2 allows either form)."""
    assert single_span(fetch(gannet.port, "bytes=0-9,9000-,8000-8100")) == (0, 9)
    if nginx:
        assert single_span(fetch(nginx.port, "bytes=0-9,9000-,8000-8100")) == (0, 9)


def test_rfc9110_14_2_overlapping_ranges_are_coalesced(gannet, nginx):
    """Overlapping or adjacent ranges are sent as one part: no byte twice. nginx sends
    overlapping parts as asked (when they add up to no more than the file)."""
    assert single_span(fetch(gannet.port, "bytes=0-99,50-149")) == (0, 149)
    assert single_span(fetch(gannet.port, "bytes=0-99,100-199")) == (0, 199)
    assert spans(fetch(gannet.port, "bytes=5000-5099,0-99,50-149")) == [(5000, 5099), (0, 149)]
    if nginx:
        n = fetch(nginx.port, "bytes=0-99,50-149")
        assert n.status == 206 and spans(n, strict=False) == [(0, 99), (50, 149)], n


def test_rfc9110_14_2_ranges_close_together_are_coalesced(gannet):
    """Ranges separated by a gap smaller than a part's head (under 80 bytes) are one part;
    80 bytes or more apart they stay separate."""
    assert single_span(fetch(gannet.port, "bytes=0-9,89-99")) == (0, 99)
    assert spans(fetch(gannet.port, "bytes=0-9,90-99")) == [(0, 9), (90, 99)]


def test_rfc9110_14_1_1_invalid_range_spec_ignores_the_header(gannet):
    """A range-spec with last < first is invalid (RFC 9110 14.1.1); a Range field with an
    invalid ranges-specifier may be ignored (14.2): the whole file, 200. (nginx skips the
    invalid spec and serves the others, but answers 416 to `bytes=0-9,x`.)"""
    r = fetch(gannet.port, "bytes=0-9,20-10")
    assert r.status == 200 and r.body == DATA, r


def test_rfc9110_15_5_17_no_satisfiable_range_is_416(gannet, nginx):
    """No range of the set is satisfiable: 416 with `Content-Range: bytes */8000`."""
    r = fetch(gannet.port, "bytes=8000-,9000-9999")
    assert r.status == 416 and r.header("Content-Range") == "bytes */8000", r
    if nginx:
        n = fetch(nginx.port, "bytes=8000-,9000-9999")
        assert n.status == 416 and n.header("Content-Range") == "bytes */8000", n


# --- RFC 9110 17.15: denial of service through ranges -----------------------------------------

def test_rfc9110_17_15_many_overlapping_ranges_send_the_file_once(gannet, nginx):
    """The overlap attack (CVE-2011-3192): 64 ranges covering the whole file. Gannet coalesces
    them into one 206 of the file; nginx answers 200 with the file once. Neither amplifies."""
    header = "bytes=0-," + ",".join(f"{i}-" for i in range(1, 64))
    r = fetch(gannet.port, header)
    assert single_span(r) == (0, SIZE - 1)
    if nginx:
        n = fetch(nginx.port, header)
        assert len(n.body) <= SIZE, n


def test_rfc9110_17_15_many_small_ranges_are_one_part(gannet):
    """60 one-byte ranges two bytes apart, in descending order: one part, not 60 part heads for
    60 bytes of file."""
    pairs = [(i, i) for i in range(118, -1, -2)]
    assert single_span(fetch(gannet.port, ranges_header(pairs))) == (0, 118)


def test_rfc9110_17_15_too_many_ranges_send_the_whole_file(gannet, nginx):
    """More than 64 ranges (StaticOptions::max_ranges): the Range header is ignored and the file
    sent whole with 200, as Apache does past MaxRanges. nginx, without max_ranges set, sends
    them all."""
    at_limit = [(i * 100, i * 100 + 9) for i in range(64)]
    assert spans(fetch(gannet.port, ranges_header(at_limit))) == at_limit
    over = [(i * 100, i * 100 + 9) for i in range(65)]
    r = fetch(gannet.port, ranges_header(over))
    assert r.status == 200 and r.body == DATA and r.header("Accept-Ranges") == "bytes", r
    if nginx:
        assert fetch(nginx.port, ranges_header(over)).status == 206


# --- interplay with HEAD and preconditions ----------------------------------------------------

def test_rfc9110_9_3_2_head_multipart_has_the_get_head(gannet):
    """HEAD with several ranges: the same status and fields as the GET (Content-Type with the
    boundary aside), Content-Length included, and no body."""
    g = fetch(gannet.port, "bytes=0-9,100-109")
    h = fetch(gannet.port, "bytes=0-9,100-109", method="HEAD")
    assert h.status == 206 and h.body == b"", h
    assert h.header("Content-Length") == g.header("Content-Length")
    assert h.header("Content-Type").startswith("multipart/byteranges; boundary=")
    assert h.header("Content-Range") is None


def test_rfc9110_13_1_5_if_range_mismatch_sends_the_whole_file(gannet):
    """If-Range with a stale validator applies to the whole set: 200 with the file; with the
    current ETag the parts are sent."""
    etag = fetch(gannet.port, None).header("ETag")
    r = fetch(gannet.port, "bytes=0-9,100-109", extra={"If-Range": '"stale"'})
    assert r.status == 200 and r.body == DATA, r
    r = fetch(gannet.port, "bytes=0-9,100-109", extra={"If-Range": etag})
    assert spans(r) == [(0, 9), (100, 109)]
