"""HTTP/1.1 conformance (RFC 9110 / RFC 9112) cases that matter for safety -- framing, field
syntax, request line, Host, versions, target forms, limits, pipelining after an error -- each
run against Gannet, nginx and Node.js `http` in the same run.

Each case is the raw bytes of one request (or of a bad request followed by a good one), the
RFC section it tests, Gannet's expected status, and, where Gannet rejects what both nginx and
Node accept, why (`why_stricter`). Every case becomes one test named after its section
(test_rfc9112_6_3_cl_and_te_is_400, ...). The rules checked for each:

- Gannet answers the expected status; after an error it closes the connection and sends
  exactly one response (nothing of a pipelined request behind a bad one is answered).
- Gannet is at least as strict as the stricter peer: whenever nginx or Node rejects an invalid
  request (an error status, or a close without an answer), Gannet rejects it too.
- When both peers accept and Gannet rejects, the case says why.
- `valid` cases are requests the RFCs allow: Gannet must accept them; a peer's rejection of one
  is recorded (a missing feature, not a safety floor).

report.py runs the same cases and writes docs/conformance.md.

Request bodies go to /publish/conformance: on Gannet that route reads the whole body before
answering (so a body framing error is answered with its own status, not after a 200 head), and
the peers read every body before answering too (see peers/).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from http_peers import Outcome, exchange_all, start_nginx, start_node

H = b"Host: example.com\r\n"
POST = b"POST /publish/conformance HTTP/1.1\r\n" + H
GOOD = b"GET /json HTTP/1.1\r\n" + H + b"\r\n"


@dataclass
class Case:
    name: str  # test name without "test_": rfcNNNN_section_what
    section: str  # "RFC 9112 6.3"
    raw: bytes
    expect: int  # Gannet's status
    note: str = ""  # what the case is about / the rule
    # Gannet may reject what both peers accept; this says why (required in that case).
    why_stricter: str = ""
    # A request the RFCs say is valid: Gannet must accept it. A peer that rejects it is
    # recorded, not used as a floor (its rejection is a missing feature, not a safety rule).
    valid: bool = False
    tags: set[str] = field(default_factory=set)
    # A known Gannet bug: the test is xfail(strict=True) with this reason until it is fixed.
    xfail: str = ""

    @property
    def expect_close(self) -> bool:
        return self.expect >= 400 and not self.valid


def chunked(body: bytes) -> bytes:
    return POST + b"Transfer-Encoding: chunked\r\n\r\n" + body


def cl(value: bytes, body: bytes = b"hello") -> bytes:
    return POST + b"Content-Length: " + value + b"\r\n\r\n" + body


def get(headers: bytes = H, target: bytes = b"/", version: bytes = b"HTTP/1.1") -> bytes:
    return b"GET " + target + b" " + version + b"\r\n" + headers + b"\r\n"


BARE_LF = (
    "RFC 9112 2.2 lets a recipient accept a bare LF as a line terminator; Gannet never does: "
    "a peer (proxy) that does not agree on where a line ends is a request smuggling vector."
)
TOO_MANY = (
    "Gannet caps the field count (100 by default, docs/architecture.md) to bound per-request work and "
    "memory; nginx has no count limit and Node only truncates req.headers (maxHeadersCount)."
)

CASES: list[Case] = [
    # --- controls: valid requests every server must accept ----------------------------------
    Case("rfc9112_3_valid_get", "RFC 9112 3", get(), 200, "a plain GET (control)", valid=True),
    Case(
        "rfc9112_6_2_valid_content_length",
        "RFC 9112 6.2",
        cl(b"5"),
        204,
        "POST with Content-Length: 5 (control)",
        valid=True,
    ),
    Case(
        "rfc9112_7_1_valid_chunked",
        "RFC 9112 7.1",
        chunked(b"5\r\nhello\r\n0\r\n\r\n"),
        204,
        "POST with a chunked body (control)",
        valid=True,
    ),
    Case(
        "rfc9112_7_1_1_chunk_size_space_before_ext",
        "RFC 9112 7.1.1",
        chunked(b"5 ;x\r\nhello\r\n0\r\n\r\n"),
        400,
        "`5 ;x`: whitespace between the chunk size and ';'. The chunk-ext grammar has BWS "
        "there, but llhttp rejects it, and docs/architecture.md makes the strictest of them "
        "the floor",
    ),
    Case(
        "rfc9112_6_1_te_chunked_case_insensitive",
        "RFC 9112 6.1",
        POST + b"Transfer-Encoding: CHUNKED\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        204,
        "`CHUNKED`: coding names are case-insensitive",
        valid=True,
    ),
    Case(
        "rfc9110_8_6_content_length_ows",
        "RFC 9110 8.6",
        POST + b"Content-Length:   5  \r\n\r\nhello",
        204,
        "OWS around a field value is not part of it",
        valid=True,
    ),
    Case(
        "rfc9112_3_2_2_absolute_form",
        "RFC 9112 3.2.2",
        get(target=b"http://example.com/json"),
        200,
        "absolute-form target with a matching Host",
        valid=True,
    ),
    Case(
        "rfc9112_3_2_2_absolute_form_host_mismatch",
        "RFC 9112 3.2.2",
        get(headers=b"Host: other.example\r\n", target=b"http://example.com/json"),
        200,
        "absolute-form with another Host: the target's authority wins, Host is ignored",
        valid=True,
    ),
    Case(
        "rfc9112_3_2_4_options_asterisk",
        "RFC 9112 3.2.4",
        b"OPTIONS * HTTP/1.1\r\n" + H + b"\r\n",
        204,
        "asterisk-form with OPTIONS is valid: 204 with the server-wide Allow list",
        valid=True,
    ),
    Case(
        "rfc9112_3_2_http10_without_host",
        "RFC 9112 3.2",
        b"GET / HTTP/1.0\r\n\r\n",
        200,
        "Host is only required in HTTP/1.1",
        valid=True,
    ),
    Case(
        "rfc9110_5_5_obs_text_in_value",
        "RFC 9110 5.5",
        get(headers=H + b"X-A: caf\xc3\xa9\r\n"),
        200,
        "obs-text (0x80-0xFF) is allowed in field values",
        valid=True,
    ),
    Case(
        "rfc9112_2_2_one_leading_crlf",
        "RFC 9112 2.2",
        b"\r\n" + get(),
        200,
        "an empty line before the request line is skipped",
        valid=True,
    ),
    # --- Content-Length -----------------------------------------------------------------------
    Case("rfc9110_8_6_cl_plus_sign", "RFC 9110 8.6", cl(b"+5"), 400, "`Content-Length: +5`"),
    Case("rfc9110_8_6_cl_negative", "RFC 9110 8.6", cl(b"-1"), 400, "`Content-Length: -1`"),
    Case("rfc9110_8_6_cl_hex", "RFC 9110 8.6", cl(b"0x5"), 400, "`Content-Length: 0x5`"),
    Case("rfc9110_8_6_cl_empty", "RFC 9110 8.6", cl(b""), 400, "`Content-Length:` (empty)"),
    Case(
        "rfc9110_8_6_cl_list_equal",
        "RFC 9110 8.6",
        cl(b"5,5"),
        400,
        "`Content-Length: 5,5`",
        why_stricter="RFC 9110 8.6 allows merging a list of equal values; lists are where "
        "length-confusion smuggling lives, so Gannet (like Go) refuses them.",
    ),
    Case("rfc9110_8_6_cl_list_differ", "RFC 9110 8.6", cl(b"5, 6"), 400, "`Content-Length: 5, 6`"),
    Case("rfc9110_8_6_cl_inner_space", "RFC 9110 8.6", cl(b"5 5"), 400, "`Content-Length: 5 5`"),
    Case(
        "rfc9112_6_3_cl_repeated_equal",
        "RFC 9112 6.3",
        POST + b"Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
        400,
        "two `Content-Length: 5` fields",
        why_stricter="equal repeated values may be merged (RFC 9110 8.6); Gannet refuses any "
        "repetition of a framing field, like Go.",
    ),
    Case(
        "rfc9112_6_3_cl_repeated_differ",
        "RFC 9112 6.3",
        POST + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        400,
        "`Content-Length: 5` and `Content-Length: 6`",
    ),
    Case(
        "rfc9110_8_6_cl_overflow",
        "RFC 9110 8.6",
        cl(b"99999999999999999999999"),
        400,
        "a Content-Length beyond 64 bits",
    ),
    Case(
        "rfc9110_15_5_14_cl_over_limit_is_413",
        "RFC 9110 15.5.14",
        cl(b"1000000000", b""),
        413,
        "Content-Length 1 GB over the 1 MiB limit: 413 before the body is read",
    ),
    # --- Transfer-Encoding ---------------------------------------------------------------------
    Case(
        "rfc9112_6_3_cl_and_te_is_400",
        "RFC 9112 6.3",
        POST + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
        "Content-Length with Transfer-Encoding (the classic CL.TE smuggle)",
    ),
    Case(
        "rfc9112_6_1_te_not_ending_chunked",
        "RFC 9112 6.1",
        POST + b"Transfer-Encoding: chunked, identity\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        400,
        "`Transfer-Encoding: chunked, identity`",
    ),
    Case(
        "rfc9112_6_1_te_identity",
        "RFC 9112 6.1",
        POST + b"Transfer-Encoding: identity\r\n\r\nhello",
        400,
        "`Transfer-Encoding: identity` (no final chunked)",
    ),
    Case(
        "rfc9112_6_1_te_unknown_then_chunked_is_501",
        "RFC 9112 6.1",
        POST + b"Transfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        501,
        "an unsupported coding before a final chunked: 501",
    ),
    Case(
        "rfc9112_6_1_te_chunked_twice",
        "RFC 9112 6.1",
        POST + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
        "chunked applied twice (two fields)",
        why_stricter="RFC 9112 6.1: a sender MUST NOT apply chunked more than once; Gannet "
        "refuses what the sender was forbidden to send.",
    ),
    Case(
        "rfc9112_6_1_te_empty_element",
        "RFC 9112 6.1",
        POST + b"Transfer-Encoding: chunked,\r\n\r\n0\r\n\r\n",
        400,
        "`Transfer-Encoding: chunked,` (empty list element)",
        why_stricter="RFC 9110 5.6.1 lets recipients skip empty list elements; on a framing "
        "field Gannet takes nothing but an exact list.",
    ),
    Case(
        "rfc9112_6_1_te_xchunked",
        "RFC 9112 6.1",
        POST + b"Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
        400,
        "`Transfer-Encoding: xchunked`",
    ),
    Case(
        "rfc9112_6_1_te_vertical_tab",
        "RFC 9112 6.1",
        POST + b"Transfer-Encoding: \x0bchunked\r\n\r\n0\r\n\r\n",
        400,
        "`Transfer-Encoding: \\x0bchunked` (VT is not OWS)",
    ),
    Case(
        "rfc9112_5_1_te_space_before_colon",
        "RFC 9112 5.1",
        POST + b"Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
        400,
        "`Transfer-Encoding : chunked`",
    ),
    Case(
        "rfc9112_2_2_te_line_leading_space",
        "RFC 9112 2.2",
        b"POST /publish/conformance HTTP/1.1\r\n Transfer-Encoding: chunked\r\n"
        + H
        + b"\r\n0\r\n\r\n",
        400,
        "` Transfer-Encoding: chunked` as the first field line (whitespace after the start line)",
    ),
    Case(
        "rfc9112_5_2_te_obs_fold",
        "RFC 9112 5.2",
        POST + b"X-A: a\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
        "` Transfer-Encoding: chunked` after another field (obs-fold)",
    ),
    Case(
        "rfc9112_6_1_te_in_http10",
        "RFC 9112 6.1",
        b"POST /publish/conformance HTTP/1.0\r\n"
        + H
        + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        400,
        "`Transfer-Encoding: chunked` in HTTP/1.0",
        why_stricter="RFC 9112 6.1: a server MUST treat TE in an HTTP/1.0 request as faulty "
        "framing and close after responding; Gannet answers 400 rather than guess a length.",
    ),
    # --- chunked body --------------------------------------------------------------------------
    Case("rfc9112_7_1_chunk_size_negative", "RFC 9112 7.1", chunked(b"-1\r\nhello\r\n0\r\n\r\n"),
         400, "chunk size `-1`"),
    Case("rfc9112_7_1_chunk_size_hex_prefix", "RFC 9112 7.1",
         chunked(b"0x5\r\nhello\r\n0\r\n\r\n"), 400, "chunk size `0x5`"),
    Case("rfc9112_7_1_chunk_size_leading_space", "RFC 9112 7.1",
         chunked(b" 5\r\nhello\r\n0\r\n\r\n"), 400, "chunk size ` 5`"),
    Case("rfc9112_7_1_chunk_size_trailing_space", "RFC 9112 7.1",
         chunked(b"5 \r\nhello\r\n0\r\n\r\n"), 400, "chunk size `5 ` (BWS not followed by ';')"),
    Case("rfc9112_7_1_chunk_size_empty", "RFC 9112 7.1", chunked(b"\r\nhello\r\n0\r\n\r\n"), 400,
         "empty chunk size"),
    Case("rfc9112_7_1_chunk_size_overflow", "RFC 9112 7.1",
         chunked(b"10000000000000005\r\nhello\r\n0\r\n\r\n"), 400,
         "chunk size of 17 hex digits (overflows 64 bits to 5)"),
    Case("rfc9112_7_1_chunk_size_bare_lf", "RFC 9112 7.1", chunked(b"5\nhello\r\n0\r\n\r\n"), 400,
         "bare LF after the chunk size", why_stricter=BARE_LF),
    Case("rfc9112_7_1_chunk_size_bare_cr", "RFC 9112 7.1", chunked(b"5\rhello\r\n0\r\n\r\n"), 400,
         "bare CR after the chunk size"),
    Case("rfc9112_7_1_chunk_data_no_crlf", "RFC 9112 7.1",
         chunked(b"5\r\nhelloX\r\n0\r\n\r\n"), 400, "chunk data longer than its size (no CRLF)"),
    Case("rfc9112_7_1_chunk_data_bare_lf", "RFC 9112 7.1",
         chunked(b"5\r\nhello\n0\r\n\r\n"), 400, "chunk data ended by a bare LF",
         why_stricter=BARE_LF),
    Case("rfc9112_7_1_1_chunk_ext_bare_lf", "RFC 9112 7.1.1",
         chunked(b"5;a\nb\r\nhello\r\n0\r\n\r\n"), 400, "a bare LF inside a chunk extension"),
    Case("rfc9112_7_1_1_chunk_ext_bare_cr", "RFC 9112 7.1.1",
         chunked(b"5;a\rb\r\nhello\r\n0\r\n\r\n"), 400, "a bare CR inside a chunk extension"),
    Case("rfc9112_7_1_2_trailer_obs_fold", "RFC 9112 7.1.2",
         chunked(b"5\r\nhello\r\n0\r\nX-A: a\r\n b\r\n\r\n"), 400, "obs-fold in the trailer section",
         why_stricter="an obs-fold trailer line is refused like one in the header section (RFC "
         "9112 5.2 lets a server reject it); peers that discard trailers never look."),
    Case("rfc9110_15_5_14_chunk_size_over_limit_is_413", "RFC 9110 15.5.14",
         chunked(b"40000000\r\n"), 413,
         "a 1 GiB chunk size line, limit 1 MiB: 413 at once, before its data",
         why_stricter="the size line alone already exceeds the route's body limit, so Gannet "
         "answers 413 before any data instead of reading towards the limit (RFC 9110 15.5.14 "
         "lets a server refuse content that is too large); the peers answer only later."),
    Case("rfc9110_15_5_14_chunked_body_over_limit_is_413", "RFC 9110 15.5.14",
         chunked(b"200000\r\n" + b"a" * 0x200000 + b"\r\n0\r\n\r\n"), 413,
         "a 2 MiB chunked body, limit 1 MiB: 413",
         why_stricter="a limit, not syntax: Gannet's buffered-body limit is 1 MiB by default "
         "(docs/architecture.md). Node has no body limit; nginx (client_max_body_size 1m) answered 413 "
         "to the 1 GB Content-Length but passed this chunked body to the upstream here."),
    # --- field syntax -------------------------------------------------------------------------
    Case("rfc9112_5_2_obs_fold", "RFC 9112 5.2", get(headers=H + b"X-A: a\r\n b\r\n"), 400,
         "obs-fold (a field line continued with SP)",
         why_stricter="RFC 9112 5.2 allows either 400 or unfolding; unfolding changes what a "
         "proxy in front saw, so Gannet rejects."),
    Case("rfc9112_5_2_obs_fold_tab", "RFC 9112 5.2", get(headers=H + b"X-A: a\r\n\tb\r\n"), 400,
         "obs-fold with HTAB", why_stricter="as obs_fold"),
    Case("rfc9112_2_2_bare_cr_in_value", "RFC 9112 2.2", get(headers=H + b"X-A: a\rb\r\n"), 400,
         "a bare CR in a field value"),
    Case("rfc9112_2_2_bare_lf_line_endings", "RFC 9112 2.2",
         b"GET / HTTP/1.1\nHost: example.com\n\n", 400, "every line ended by a bare LF",
         why_stricter=BARE_LF),
    Case("rfc9112_2_2_bare_lf_one_field", "RFC 9112 2.2",
         b"GET / HTTP/1.1\r\nHost: example.com\nX-A: b\r\n\r\n", 400,
         "one field line ended by a bare LF", why_stricter=BARE_LF),
    Case("rfc9112_5_1_space_before_colon", "RFC 9112 5.1", get(headers=H + b"X-A : b\r\n"), 400,
         "`X-A : b` (whitespace between name and colon)"),
    Case("rfc9112_5_1_tab_before_colon", "RFC 9112 5.1", get(headers=H + b"X-A\t: b\r\n"), 400,
         "HTAB between name and colon"),
    Case("rfc9110_5_1_nul_in_name", "RFC 9110 5.1", get(headers=H + b"X-\x00A: b\r\n"), 400,
         "NUL in a field name"),
    Case("rfc9110_5_1_del_in_name", "RFC 9110 5.1", get(headers=H + b"X-\x7fA: b\r\n"), 400,
         "DEL in a field name",
         why_stricter="a field name is a token (RFC 9110 5.1); nginx ignores invalid names "
         "(ignore_invalid_headers), Gannet refuses them so that no peer sees another field."),
    Case("rfc9110_5_1_0x80_in_name", "RFC 9110 5.1", get(headers=H + b"X-\x80A: b\r\n"), 400,
         "0x80 in a field name", why_stricter="as del_in_name"),
    Case("rfc9110_5_1_space_in_name", "RFC 9110 5.1", get(headers=H + b"X A: b\r\n"), 400,
         "a space inside a field name"),
    Case("rfc9110_5_1_empty_name", "RFC 9110 5.1", get(headers=H + b": b\r\n"), 400,
         "an empty field name"),
    Case("rfc9112_5_no_colon", "RFC 9112 5", get(headers=H + b"X-A b\r\n"), 400,
         "a field line without a colon"),
    Case("rfc9110_5_5_nul_in_value", "RFC 9110 5.5", get(headers=H + b"X-A: a\x00b\r\n"), 400,
         "NUL in a field value"),
    Case("rfc9110_5_5_del_in_value", "RFC 9110 5.5", get(headers=H + b"X-A: a\x7fb\r\n"), 400,
         "DEL in a field value",
         why_stricter="DEL is not VCHAR (RFC 9110 5.5: field-vchar = VCHAR / obs-text)."),
    Case("rfc9110_5_5_ctl_in_value", "RFC 9110 5.5", get(headers=H + b"X-A: a\x01b\r\n"), 400,
         "a control byte (0x01) in a field value"),
    # --- request line -------------------------------------------------------------------------
    Case("rfc9112_3_nul_in_method", "RFC 9112 3", b"G\x00T / HTTP/1.1\r\n" + H + b"\r\n", 400,
         "NUL in the method"),
    Case("rfc9112_3_del_in_method", "RFC 9112 3", b"G\x7fT / HTTP/1.1\r\n" + H + b"\r\n", 400,
         "DEL in the method"),
    Case("rfc9112_3_separator_in_method", "RFC 9112 3", b"G(T / HTTP/1.1\r\n" + H + b"\r\n", 400,
         "`(` (not a tchar) in the method",
         why_stricter="a method is a token (RFC 9110 9.1)."),
    Case("rfc9112_3_space_in_target", "RFC 9112 3", get(target=b"/a b"), 400,
         "a space inside the target (`GET /a b HTTP/1.1`)"),
    Case("rfc9112_3_nul_in_target", "RFC 9112 3", get(target=b"/a\x00b"), 400, "NUL in the target"),
    Case("rfc9112_3_del_in_target", "RFC 9112 3", get(target=b"/a\x7fb"), 400, "DEL in the target",
         why_stricter="the target must be a URI (RFC 3986): no DEL."),
    Case("rfc9112_3_0x80_in_target", "RFC 9112 3", get(target=b"/caf\xc3\xa9"), 400,
         "raw UTF-8 (0x80-0xFF) in the target",
         why_stricter="not URI syntax (RFC 3986 2.1 asks for percent-encoding); nginx and Node "
         "pass raw bytes through to applications, Gannet's routes see only valid URIs."),
    Case("rfc9112_3_fragment_in_target", "RFC 9112 3", get(target=b"/a#b"), 400,
         "a fragment in the target",
         why_stricter="the origin-form has no fragment (RFC 9112 3.2.1)."),
    Case("rfc9112_3_double_space", "RFC 9112 3", b"GET  / HTTP/1.1\r\n" + H + b"\r\n", 400,
         "two spaces between method and target",
         why_stricter="RFC 9112 3 allows lenient whitespace parsing; lenience is a "
         "desynchronisation risk with a peer, so Gannet takes exactly one SP."),
    Case("rfc9112_3_tab_separator", "RFC 9112 3", b"GET\t/ HTTP/1.1\r\n" + H + b"\r\n", 400,
         "HTAB between method and target"),
    Case("rfc9112_3_http09", "RFC 9112 3", b"GET /\r\n\r\n", 400, "an HTTP/0.9 request line"),
    Case("rfc9112_2_2_many_leading_crlf", "RFC 9112 2.2", b"\r\n" * 5 + get(), 400,
         "five empty lines before the request line",
         why_stricter="RFC 9112 2.2 asks servers to skip at least one; Gannet skips four, "
         "more is garbage, not a client quirk."),
    # --- versions ------------------------------------------------------------------------------
    Case("rfc9110_2_5_http_1_2_served_as_1_1", "RFC 9110 2.5", get(version=b"HTTP/1.2"), 200,
         "`HTTP/1.2`: a higher minor version is processed as the highest one implemented, 1.1",
         valid=True),
    Case("rfc9112_2_3_http_2_0_is_505", "RFC 9112 2.3", get(version=b"HTTP/2.0"), 505,
         "`HTTP/2.0` in HTTP/1 syntax"),
    Case("rfc9112_2_3_http_3_0_is_505", "RFC 9112 2.3", get(version=b"HTTP/3.0"), 505, "`HTTP/3.0`"),
    Case("rfc9112_2_3_http_1_10", "RFC 9112 2.3", get(version=b"HTTP/1.10"), 400, "`HTTP/1.10`"),
    Case("rfc9112_2_3_lowercase_version", "RFC 9112 2.3", get(version=b"http/1.1"), 400,
         "`http/1.1` (the name is case-sensitive)"),
    Case("rfc9112_2_3_version_trailing_space", "RFC 9112 2.3", get(version=b"HTTP/1.1 "), 400,
         "`HTTP/1.1 ` (trailing space)"),
    # --- Host -----------------------------------------------------------------------------------
    Case("rfc9112_3_2_missing_host", "RFC 9112 3.2", get(headers=b""), 400,
         "HTTP/1.1 without Host"),
    Case("rfc9112_3_2_duplicate_host", "RFC 9112 3.2", get(headers=H + H), 400,
         "two Host fields"),
    Case("rfc9112_3_2_host_with_space", "RFC 9112 3.2", get(headers=b"Host: exa mple.com\r\n"),
         400, "`Host: exa mple.com`"),
    Case("rfc9112_3_2_host_with_slash", "RFC 9112 3.2", get(headers=b"Host: example.com/a\r\n"),
         400, "`Host: example.com/a`"),
    Case("rfc9112_3_2_host_with_userinfo", "RFC 9112 3.2",
         get(headers=b"Host: user@example.com\r\n"), 400, "`Host: user@example.com`",
         why_stricter="userinfo is not part of uri-host (RFC 9110 7.2)."),
    Case("rfc9112_3_2_host_bad_port", "RFC 9112 3.2", get(headers=b"Host: example.com:8x\r\n"),
         400, "`Host: example.com:8x`",
         why_stricter="port = *DIGIT (RFC 3986 3.2.3); a Host that is not a valid authority "
         "is 400 (RFC 9112 3.2)."),
    Case("rfc9110_7_2_empty_host_is_valid", "RFC 9110 7.2", get(headers=b"Host:\r\n"), 200,
         "`Host:` (empty): uri-host may be empty; the server's default authority is used "
         "(RFC 9112 3.3)", valid=True),
    Case("rfc9110_7_2_empty_host_with_ows_is_valid", "RFC 9110 7.2", get(headers=b"Host: \r\n"),
         200, "`Host: ` (empty after OWS)", valid=True),
    Case("rfc9112_3_2_2_absolute_form_empty_host", "RFC 9112 3.2.2",
         get(headers=b"Host:\r\n", target=b"http://example.com/json"), 200,
         "absolute-form with an empty Host: the Host value is ignored", valid=True),
    Case("rfc9112_3_2_absolute_form_missing_host", "RFC 9112 3.2",
         get(headers=b"", target=b"http://example.com/json"), 400,
         "absolute-form without Host in HTTP/1.1: Host is still required"),
    Case("rfc9112_3_2_absolute_form_bad_host", "RFC 9112 3.2",
         get(headers=b"Host: a b\r\n", target=b"http://example.com/json"), 400,
         "absolute-form with a malformed Host: 400 even though its value would be ignored"),
    # --- request-target forms --------------------------------------------------------------------
    Case("rfc9112_3_2_4_asterisk_with_get", "RFC 9112 3.2.4", get(target=b"*"), 400,
         "`GET * HTTP/1.1` (asterisk-form is only for OPTIONS)"),
    Case("rfc9112_3_2_3_authority_form_with_get", "RFC 9112 3.2.3", get(target=b"example.com:80"),
         400, "`GET example.com:80 HTTP/1.1` (authority-form is only for CONNECT)"),
    Case("rfc9110_9_3_6_connect_is_501", "RFC 9110 9.3.6",
         b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 501,
         "`CONNECT example.com:443` to an origin server: 501, the method is implemented for no "
         "resource (RFC 9110 15.6.2), then close"),
    Case("rfc9110_9_3_6_connect_tunnel_bytes_not_parsed", "RFC 9110 9.3.6",
         b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n" + GOOD, 501,
         "bytes sent right behind a CONNECT (an optimistic tunnel) are not read as a request",
         tags={"pipeline"}),
    Case("rfc9112_3_2_2_absolute_form_other_scheme", "RFC 9112 3.2.2",
         get(target=b"ftp://example.com/"), 400, "absolute-form with `ftp://`",
         why_stricter="an origin server, not a proxy: only http and https targets."),
    Case("rfc9112_3_2_2_absolute_form_bad_authority", "RFC 9112 3.2.2",
         get(target=b"http://exa mple.com/"), 400, "absolute-form with a space in the authority"),
    # --- oversized parts ------------------------------------------------------------------------
    Case("rfc9112_3_target_too_long_is_414", "RFC 9112 3", get(target=b"/" + b"a" * 9000), 414,
         "a 9000-byte target (limit 8 KiB)",
         why_stricter="Node's limit is the 16 KiB header section; Gannet bounds the target "
         "alone at 8 KiB, like nginx."),
    Case("rfc6585_5_header_field_too_large_is_431", "RFC 6585 5",
         get(headers=H + b"X-A: " + b"a" * 17000 + b"\r\n"), 431, "one 17 000-byte field"),
    Case("rfc6585_5_too_many_fields_is_431", "RFC 6585 5",
         get(headers=H + b"".join(b"X-%d: a\r\n" % i for i in range(120))), 431,
         "120 small fields (limit 100)", why_stricter=TOO_MANY),
    # --- expectations ---------------------------------------------------------------------------
    Case("rfc9110_10_1_1_unknown_expectation_is_417", "RFC 9110 10.1.1",
         get(headers=H + b"Expect: teapot\r\n"), 417, "`Expect: teapot`",
         why_stricter="RFC 9110 10.1.1: a server MAY answer 417 to an unknown expectation."),
    # --- pipelining after an error -----------------------------------------------------------------
    Case("rfc9112_9_3_2_no_answer_after_bad_cl", "RFC 9112 9.3.2", cl(b"5, 6", b"") + GOOD, 400,
         "a valid GET pipelined after a request with a bad Content-Length: one 400, then close",
         tags={"pipeline"}),
    Case("rfc9112_9_3_2_no_answer_after_cl_te_smuggle", "RFC 9112 9.3.2",
         POST + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + GOOD, 400,
         "CL.TE smuggle: a GET hidden after a chunked body with Content-Length",
         tags={"pipeline"}),
    Case("rfc9112_9_3_2_no_answer_after_bad_chunk", "RFC 9112 9.3.2",
         chunked(b"5\r\nhelloX\r\n0\r\n\r\n") + GOOD, 400,
         "a valid GET pipelined after a malformed chunked body", tags={"pipeline"}),
    Case("rfc9112_9_3_2_no_answer_after_bare_lf", "RFC 9112 9.3.2",
         b"GET / HTTP/1.1\nHost: example.com\n\n" + GOOD, 400,
         "a valid GET pipelined after a bare-LF request", why_stricter=BARE_LF,
         tags={"pipeline"}),
    Case("rfc9112_9_3_2_no_answer_after_bad_host", "RFC 9112 9.3.2",
         get(headers=H + H) + GOOD, 400,
         "a valid GET pipelined after a request with two Host fields", tags={"pipeline"}),
]

BY_NAME = {c.name: c for c in CASES}
assert len(BY_NAME) == len(CASES), "duplicate case names"


# --- the tests ---------------------------------------------------------------------------------

#: Why a peer is missing, by name (the comparisons with it are skipped, Gannet is still checked).
MISSING: dict[str, str] = {}


@pytest.fixture(scope="module")
def peers():
    """nginx and Node on free ports for this module; a missing one is left out (see
    test_peers_available for the message)."""
    started = {}
    for name, start in (("nginx", start_nginx), ("node", start_node)):
        try:
            started[name] = start()
        except (FileNotFoundError, RuntimeError) as e:
            MISSING[name] = str(e)
    yield started
    for p in started.values():
        p.stop()


def test_peers_available(peers):
    """Skipped, with the reason, when nginx or node is not installed: the comparisons with
    that peer are then skipped too (Gannet's own expected answers are still checked)."""
    if MISSING:
        pytest.skip("; ".join(f"{k}: {v}" for k, v in MISSING.items()))
    for p in peers.values():
        assert p.alive()


def describe(case: Case, out: dict[str, Outcome]) -> str:
    rows = [f"{case.section} {case.name}: {case.note}", f"request: {case.raw[:300]!r}"]
    rows += [f"{k}: {v.short()}  {v.raw[:200]!r}" for k, v in out.items()]
    return "\n".join(rows)


def check(case: Case, out: dict[str, Outcome]) -> None:
    """The rules of the module docstring, for one case's outcomes."""
    g = out["gannet"]
    why = describe(case, out)
    assert g.status == case.expect, why
    if case.expect_close:
        assert g.closed, "Gannet kept the connection open after an error\n" + why
        assert g.responses == 1, "Gannet answered more than the bad request\n" + why
    peers_seen = {k: v for k, v in out.items() if k != "gannet"}
    if case.valid:
        return
    for name, o in peers_seen.items():
        if o.rejected:
            assert g.rejected and g.closed, f"{name} rejects, Gannet does not\n" + why
    if peers_seen and g.rejected and not any(o.rejected for o in peers_seen.values()):
        assert case.why_stricter, "both peers accept: the case must say why Gannet rejects\n" + why


def _make_test(case: Case):
    def test(hello, peers):
        ports = {"gannet": hello.port, **{name: p.port for name, p in peers.items()}}
        out = exchange_all(ports, case.raw)
        for name, p in peers.items():
            assert p.alive(), f"{name} died on this case"
        check(case, out)

    test.__name__ = test.__qualname__ = f"test_{case.name}"
    test.__doc__ = f"{case.section}: {case.note}." + (
        f" Stricter than nginx and Node: {case.why_stricter}" if case.why_stricter else ""
    )
    if case.xfail:
        test = pytest.mark.xfail(strict=True, reason=case.xfail)(test)
    return test


for _case in CASES:
    globals()[f"test_{_case.name}"] = _make_test(_case)
del _case


def test_rfc9110_2_5_response_version_is_1_1(hello):
    """RFC 9110 2.5: a server sends the highest version it conforms to whose major version is
    not above the request's: HTTP/1.1 to HTTP/1.2 and HTTP/1.9, with 1.1 semantics (the
    connection persists, pipelined requests are answered in order)."""
    out = exchange_all({"gannet": hello.port},
                       get(version=b"HTTP/1.2") + get(target=b"/json", version=b"HTTP/1.9"))["gannet"]
    assert out.responses == 2 and not out.closed, out.short()
    assert out.raw.startswith(b"HTTP/1.1 200 "), out.raw[:200]
    assert out.raw.count(b"HTTP/1.1 200 ") == 2, out.raw
    assert out.raw.endswith(b'{"message":"Hello, World!"}'), out.raw[-200:]


def test_rfc9112_9_3_2_nothing_after_error_on_a_later_write(hello):
    """A request sent on a later write, after the error response, finds the connection closed:
    the server neither answers it nor reads it as part of anything."""
    import socket

    with socket.create_connection(("127.0.0.1", hello.port), timeout=5) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            assert chunk, "closed without an answer"
            data += chunk
        assert data.startswith(b"HTTP/1.1 400 ")
        try:
            s.sendall(GOOD)
        except (BrokenPipeError, ConnectionResetError):
            return
        rest = b""
        try:
            while chunk := s.recv(65536):
                rest += chunk
        except ConnectionResetError:
            pass
        assert b"HTTP/1.1 200" not in data + rest
