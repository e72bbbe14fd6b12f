// HTTP/1.1 response-head parser, for the client (RFC 9112 4, 5 and 6.3). The field lines go
// through the same code as a request's (http/field_syntax.hpp); only the start line and the
// framing decision are a response's own.
#include "http/field_syntax.hpp"
#include "http/parser.hpp"

namespace gannet::http {
namespace {

using Status = ParseResult::Status;
using namespace syntax;

constexpr ParseResult fail(int status, std::string_view reason) noexcept {
    ParseResult r;
    r.status = Status::error;
    r.error_status = status;
    r.reason = reason;
    return r;
}

}  // namespace

std::string_view ResponseHead::header(std::string_view name) const noexcept {
    for (const Header& h : headers) {
        if (iequals(h.name, name)) return h.value;
    }
    return {};
}

ParseResult ResponseParser::parse(std::string_view buffer, ResponseHead& out,
                                  bool head_request) const {
    out.clear();
    const auto* b = reinterpret_cast<const unsigned char*>(buffer.data());
    const std::size_t n = buffer.size();
    const std::size_t max_head = limits_.max_header_bytes;
    auto need_more = [&] {
        return n >= max_head ? fail(431, "response header section too large") : ParseResult{};
    };

    // --- Status line: "HTTP/" DIGIT "." DIGIT SP 3DIGIT SP reason-phrase CRLF (RFC 9112 4).
    // Checked byte by byte as it arrives, so that a peer that does not speak HTTP/1 fails at
    // its first wrong byte. No empty lines are skipped before it: RFC 9112 2.2 allows that to
    // a server reading requests only.
    constexpr std::string_view kStart = "HTTP/#.# ### ";  // '#': any digit
    std::size_t p = 0;
    for (; p < kStart.size(); ++p) {
        if (p == n) return need_more();
        const unsigned char c = b[p];
        const char want = kStart[p];
        if (want == '#' ? is_digit(c) : c == static_cast<unsigned char>(want)) continue;
        if (p <= 8) return fail(400, "malformed HTTP version in status line");
        if (p < 12 || is_digit(c)) return fail(400, "malformed status code");
        // "HTTP/1.1 200\r\n": RFC 9112 4 requires the space even before an empty reason.
        return fail(400, "missing space after status code");
    }
    // Another major version is a different protocol in HTTP/1 syntax. HTTP/1.2-1.9 are read as
    // HTTP/1.1 (RFC 9110 2.5: minor versions are compatible).
    if (b[5] != '1') return fail(505, "unsupported HTTP version");
    out.version_minor = b[7] == '0' ? 0 : 1;
    // RFC 9110 15: a status code is three digits, 100-599 defined; a leading 0 is none.
    if (b[9] == '0') return fail(400, "invalid status code");
    out.status = (b[9] - '0') * 100 + (b[10] - '0') * 10 + (b[11] - '0');

    // reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ), or empty.
    const std::size_t reason_begin = p;
    const std::size_t reason_scan_end = n < max_head ? n : max_head;
    while (p < reason_scan_end && is(b[p], kValueChar)) ++p;
    if (p == reason_scan_end) return need_more();
    if (b[p] == '\n') return fail(400, "bare LF");
    if (b[p] != '\r') return fail(400, "invalid character in reason phrase");
    if (p + 1 == n) return need_more();
    if (b[p + 1] != '\n') return fail(400, "bare CR");
    out.reason = std::string_view(buffer.data() + reason_begin, p - reason_begin);
    p += 2;

    // --- Field lines: the request parser's rules, the same code.
    switch (find_head_end(b, n, p, max_head)) {
        case HeadEnd::found:
            break;
        case HeadEnd::bare_lf:
            return fail(400, "bare LF");
        case HeadEnd::need_more:
            return need_more();
    }
    Fields fields;
    if (const FieldError e =
            parse_field_lines(buffer.data(), b, n, p, limits_.max_headers, out.headers, fields);
        e.status != 0) {
        return fail(e.status, e.reason);
    }

    // --- Framing (RFC 9112 6.3), in the RFC's order.
    const bool http11 = out.version_minor == 1;
    out.keep_alive =
        !fields.has(Fields::kConnClose) && (http11 || fields.has(Fields::kConnKeepAlive));
    const int status = out.status;
    if (head_request || status < 200 || status == 204 || status == 304) {
        // 1. No body, whatever the fields say: a HEAD response and a 304 describe the body a
        // GET would have had; 1xx and 204 have none.
        if (status == 101 && !fields.has(Fields::kUpgrade)) {
            return fail(400, "101 response without Upgrade");  // RFC 9110 15.2.2
        }
        out.framing = ResponseFraming::none;
    } else if (fields.has(Fields::kTe)) {
        if (const FieldError e = transfer_coding_error(fields, http11); e.status != 0) {
            return fail(e.status, e.reason);
        }
        out.framing = ResponseFraming::chunked;
    } else if (fields.has(Fields::kContentLength)) {
        out.content_length = fields.content_length;
        out.framing = fields.content_length == 0 ? ResponseFraming::none : ResponseFraming::length;
    } else {
        // 8. Neither: the body ends with the connection, which cannot be reused.
        out.framing = ResponseFraming::until_close;
        out.keep_alive = false;
    }

    ParseResult r;
    r.status = Status::complete;
    r.consumed = p;
    return r;
}

}  // namespace gannet::http
