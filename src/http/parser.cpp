// HTTP/1.1 request-head parser and chunked body decoder (RFC 9112, RFC 9110).
//
// Strictness: where the RFCs let a recipient choose, we take the strictest answer among nginx,
// Node's llhttp and Go's net/http (docs/architecture.md, "HTTP rules and limits"). Every deliberate
// choice is commented where it is made.
#include "http/parser.hpp"

#include "http/field_syntax.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

namespace gannet::http {
namespace {

using Status = ParseResult::Status;
using namespace syntax;  // the shared field syntax (http/field_syntax.hpp)

constexpr ParseResult fail(int status, std::string_view reason) noexcept {
    ParseResult r;
    r.status = Status::error;
    r.error_status = status;
    r.reason = reason;
    return r;
}

// RFC 9112 2.2 asks servers to skip at least one empty line before the request line (some old
// clients send CRLF after a POST body). We skip up to four (8 bytes); more is not a client
// quirk but garbage, and they also count toward max_header_bytes.
constexpr std::size_t kMaxLeadingEmptyBytes = 8;

// uri-host [ ":" port ] (RFC 9110 7.2 / RFC 3986 3.2), without userinfo. reg-name may not
// contain ':' or brackets; an IP-literal is "[...]". An empty port ("host:") is valid URI syntax.
bool valid_authority(std::string_view a, bool port_required) noexcept {
    if (a.empty()) return false;
    std::size_t i = 0;
    if (a[0] == '[') {
        const std::size_t close = a.find(']');
        if (close == std::string_view::npos || close == 1) return false;
        for (i = 1; i < close; ++i) {
            const auto c = static_cast<unsigned char>(a[i]);
            if (!is(c, kHostChar) || c == '[') return false;
        }
        i = close + 1;
    } else {
        while (i < a.size() && is(static_cast<unsigned char>(a[i]), kRegName)) ++i;
        if (i == 0) return false;
    }
    if (i == a.size()) return !port_required;
    if (a[i] != ':') return false;
    const std::size_t port_begin = ++i;
    for (; i < a.size(); ++i) {
        if (!is_digit(static_cast<unsigned char>(a[i]))) return false;
    }
    return !port_required || i > port_begin;
}

void split_query(std::string_view path_and_query, RequestHead& out) noexcept {
    const char* const begin = path_and_query.data();
    const std::size_t size = path_and_query.size();
    // Most targets are short: a plain loop beats the memchr call there.
    std::size_t q = 0;
    if (size < 32) {
        while (q < size && begin[q] != '?') ++q;
    } else {
        const void* found = std::memchr(begin, '?', size);
        q = found == nullptr ? size
                             : static_cast<std::size_t>(static_cast<const char*>(found) - begin);
    }
    out.path = std::string_view(begin, q);
    if (q < size) out.query = std::string_view(begin + q + 1, size - q - 1);
}

constexpr std::string_view kSlash = "/";
constexpr std::string_view kAsterisk = "*";

}  // namespace

ParseResult RequestParser::parse(std::string_view buffer, RequestHead& out) const {
    out.clear();
    const auto* b = reinterpret_cast<const unsigned char*>(buffer.data());
    const std::size_t n = buffer.size();
    const std::size_t max_head = limits_.max_header_bytes;
    auto view = [&](std::size_t from, std::size_t to) {
        return std::string_view(buffer.data() + from, to - from);
    };
    // Out of input before the head ended: fine unless the head can no longer fit its limit.
    auto need_more = [&] {
        return n >= max_head ? fail(431, "request header section too large") : ParseResult{};
    };

    // --- Leading empty lines (RFC 9112 2.2).
    std::size_t p = 0;
    while (p < n && (b[p] == '\r' || b[p] == '\n')) {
        if (b[p] == '\n') return fail(400, "bare LF");
        if (p + 1 == n) return need_more();
        if (b[p + 1] != '\n') return fail(400, "bare CR");
        p += 2;
        if (p > kMaxLeadingEmptyBytes) return fail(400, "too many empty lines before request");
    }

    // --- Request line: method SP request-target SP HTTP-version CRLF (RFC 9112 3).
    // Validated on every call, complete or not, so that garbage fails fast; it is short.
    const std::size_t method_begin = p;
    while (p < n && is(b[p], kTchar)) ++p;
    if (p == n) return need_more();
    if (p == method_begin) return fail(400, "invalid method");
    if (b[p] != ' ') return fail(400, "invalid character in method");
    out.method = view(method_begin, p);

    const std::size_t target_begin = ++p;
    const std::size_t max_target = limits_.max_target;
    // Scan at most max_target + 1 bytes: one more than allowed is enough to answer 414.
    const std::size_t target_scan_end =
        n - target_begin > max_target ? target_begin + max_target + 1 : n;
    for (;;) {
        if (kSwar && p + 8 <= target_scan_end) {
            const std::uint64_t x = load64(b + p);
            const std::uint64_t m =
                has_less(x, 0x21) | (x & kHighs) | has_byte(x, 0x7F) | has_byte(x, '#');
            if (m == 0) {
                p += 8;
                continue;
            }
            p += first_flagged(m);
        } else {
            while (p < target_scan_end && is(b[p], kTargetChar)) ++p;
        }
        break;
    }
    if (p - target_begin > max_target) return fail(414, "request target too long");
    if (p == n) return need_more();
    if (b[p] != ' ') {
        if (b[p] == '#') return fail(400, "fragment in request target");
        if (b[p] == '\r' || b[p] == '\n') {
            // HTTP/0.9 ("GET /") and a missing target both end up here.
            return fail(400, p == target_begin ? "missing request target" : "missing version");
        }
        return fail(400, "invalid character in request target");
    }
    if (p == target_begin) return fail(400, "empty request target (extra space)");
    out.target = view(target_begin, p);

    // "HTTP/" DIGIT "." DIGIT CRLF, checked byte by byte so a bad prefix fails early.
    constexpr std::string_view kVersion = "HTTP/#.#\r\n";  // '#': any digit
    const std::size_t version_begin = ++p;
    if (n - p >= kVersion.size() && is_http1_prefix(b + p) &&
        (b[p + 7] == '1' || b[p + 7] == '0') && b[p + 8] == '\r' && b[p + 9] == '\n') {
        p += kVersion.size();  // the usual case, without the byte-by-byte walk below
    }
    for (std::size_t k = p == version_begin ? 0 : kVersion.size(); k < kVersion.size(); ++k, ++p) {
        if (p == n) return need_more();
        const unsigned char c = b[p];
        if (kVersion[k] == '#' ? is_digit(c) : c == static_cast<unsigned char>(kVersion[k])) {
            continue;
        }
        if (k == 8 && c == '\n') return fail(400, "bare LF");
        if (k == 9) return fail(400, "bare CR");
        return fail(400, "malformed HTTP version");
    }
    const unsigned char major = b[version_begin + 5];
    const unsigned char minor = b[version_begin + 7];
    // Another major version (0.9, 2.0, 3.0: a different protocol in HTTP/1 syntax) is 505.
    // A higher minor version of ours is processed as the highest one we implement (RFC 9110
    // 2.5: minor versions are compatible), so HTTP/1.2 to HTTP/1.9 are served as HTTP/1.1.
    if (major != '1') return fail(505, "unsupported HTTP version");
    out.version_minor = minor == '0' ? 0 : 1;

    // --- Request-target form (RFC 9112 3.2).
    std::string_view target_host;  // the authority of an absolute-form target
    bool absolute_form = false;
    {
        const std::string_view t = out.target;
        // authority-form is only for CONNECT, and CONNECT only takes it (RFC 9112 3.2.3).
        const bool connect = out.method == "CONNECT";
        if (t[0] == '/' && !connect) {
            split_query(t, out);
        } else if (connect) {
            if (!valid_authority(t, true)) return fail(400, "CONNECT needs host:port target");
            out.path = t;
        } else if (t[0] == '*') {
            if (t.size() != 1 || out.method != "OPTIONS") {
                return fail(400, "asterisk-form only with OPTIONS");
            }
            out.path = kAsterisk;
        } else {
            // absolute-form. Only http and https: we are an HTTP origin server, not a proxy.
            const std::size_t sep = t.find("://");
            if (sep == std::string_view::npos ||
                !(iequals(t.substr(0, sep), "http") || iequals(t.substr(0, sep), "https"))) {
                return fail(400, "invalid request target");
            }
            const std::string_view rest = t.substr(sep + 3);
            const std::size_t auth_end = std::min(rest.find('/'), rest.find('?'));
            target_host = rest.substr(0, auth_end);
            if (!valid_authority(target_host, false)) return fail(400, "invalid target authority");
            const std::string_view path_and_query =
                auth_end == std::string_view::npos ? std::string_view{} : rest.substr(auth_end);
            split_query(path_and_query, out);
            if (out.path.empty()) {
                // RFC 9112 3.2.4: an empty path means "/" but, for OPTIONS, the server itself.
                out.path = out.method == "OPTIONS" && path_and_query.empty() ? kAsterisk : kSlash;
            }
            absolute_form = true;
        }
    }

    // --- Find the end of the head, then parse the field lines (RFC 9112 5). From there a CRLF
    // CRLF is known to follow, so every scan stops at a CR at the latest.
    const std::size_t fields_begin = p;
    switch (syntax::find_head_end(b, n, fields_begin, max_head)) {
        case syntax::HeadEnd::found:
            break;
        case syntax::HeadEnd::bare_lf:
            return fail(400, "bare LF");
        case syntax::HeadEnd::need_more:
            return need_more();
    }
    Fields fields;
    if (const syntax::FieldError e = syntax::parse_field_lines(
            buffer.data(), b, n, p, limits_.max_headers, out.headers, fields);
        e.status != 0) {
        return fail(e.status, e.reason);
    }

    // --- Semantics of the whole head. Order: 400s, then 501, then 417.
    const bool http11 = out.version_minor == 1;
    // RFC 9112 3.2: missing (HTTP/1.1), repeated or invalid Host is 400, whatever the target
    // form: a client sends Host with an absolute-form target too, and a proxy in front may have
    // routed by it. An empty value is valid (RFC 9110 7.2: uri-host may be an empty reg-name);
    // the target URI then gets the server's default authority (RFC 9112 3.3), and req.host()
    // is empty. nginx refuses an empty Host; Node and the RFC do not.
    if (fields.host_count > 1) return fail(400, "repeated Host");
    if (fields.host_count == 0) {
        if (http11) return fail(400, "missing Host");
    } else if (!fields.host.empty() && !valid_authority(fields.host, false)) {
        return fail(400, "invalid Host");
    }
    // RFC 9112 3.2.2: in absolute-form the target's authority is used and the Host field's
    // value ignored (once checked above).
    out.host = absolute_form ? target_host : fields.host;

    if (fields.has(Fields::kTe)) {
        if (const syntax::FieldError e = syntax::transfer_coding_error(fields, http11);
            e.status != 0) {
            return fail(e.status, e.reason);
        }
        out.body_kind = BodyKind::chunked;
    } else if (fields.has(Fields::kContentLength) && fields.content_length != 0) {
        // Content-Length: 0 reports BodyKind::none: there is nothing to read either way.
        out.body_kind = BodyKind::length;
        out.content_length = fields.content_length;
    }

    // Expect is an HTTP/1.1 feature; an HTTP/1.0 server ignores it (RFC 9110 10.1.1).
    if (http11) {
        if (fields.has(Fields::kExpectOther)) return fail(417, "unsupported expectation");
        out.expect_continue = fields.has(Fields::kExpectContinue);
    }

    out.keep_alive =
        !fields.has(Fields::kConnClose) && (http11 || fields.has(Fields::kConnKeepAlive));
    // RFC 9110 7.8: a server must ignore Upgrade in an HTTP/1.0 request.
    out.upgrade = http11 && fields.has(Fields::kConnUpgrade) && fields.has(Fields::kUpgrade);

    ParseResult r;
    r.status = Status::complete;
    r.consumed = p;
    return r;
}

// --------------------------------------------------------------------------------------------
// ChunkedDecoder

namespace {

using CStatus = ChunkedDecoder::Result::Status;

ChunkedDecoder::Result chunk_result(CStatus status, std::size_t consumed) noexcept {
    ChunkedDecoder::Result r;
    r.status = status;
    r.consumed = consumed;
    return r;
}

// Validates one trailer field line (without its CRLF) like a header field line and splits it.
bool parse_trailer_line(std::string_view line, std::string_view& name, std::string_view& value) {
    std::size_t i = 0;
    while (i < line.size() && is(static_cast<unsigned char>(line[i]), kTchar)) ++i;
    if (i == 0 || i == line.size() || line[i] != ':') return false;
    name = line.substr(0, i);
    ++i;
    while (i < line.size() && is_ows(static_cast<unsigned char>(line[i]))) ++i;
    std::size_t end = line.size();
    for (std::size_t k = i; k < end; ++k) {
        if (!is(static_cast<unsigned char>(line[k]), kValueChar)) return false;
    }
    while (end > i && is_ows(static_cast<unsigned char>(line[end - 1]))) --end;
    value = line.substr(i, end - i);
    return true;
}

}  // namespace

ChunkedDecoder::Result ChunkedDecoder::fail(int status, std::string_view reason) noexcept {
    state_ = State::error;
    error_status_ = status;
    error_reason_ = reason;
    Result r;
    r.status = Result::Status::error;
    r.error_status = status;
    r.reason = reason;
    return r;
}

void ChunkedDecoder::reset() noexcept {
    state_ = State::size;
    chunk_left_ = 0;
    total_ = 0;
    size_digits_ = 0;
    ext_bytes_ = 0;
    trailer_bytes_ = 0;
    trailer_line_.clear();
    trailers_.clear();
    error_status_ = 0;
    error_reason_ = {};
}

ChunkedDecoder::Result ChunkedDecoder::next(std::string_view in) {
    const std::size_t n = in.size();
    std::size_t i = 0;
    while (i < n) {
        const auto c = static_cast<unsigned char>(in[i]);
        switch (state_) {
            case State::size:
                if (is(c, kHexDigit)) {
                    // 16 hex digits hold any 64-bit size, so this bound also rules out overflow
                    // (Go refuses a 17th digit too, even a leading zero).
                    if (size_digits_ == 16) return fail(400, "chunk size too long");
                    const unsigned v = is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
                    chunk_left_ = (chunk_left_ << 4) | v;
                    ++size_digits_;
                    ++i;
                    break;
                }
                if (size_digits_ == 0) return fail(400, "invalid chunk size");
                if (c == '\r') {
                    state_ = State::size_lf;
                } else if (c == ';') {
                    // RFC 9112 7.1.1 allows BWS before ';' ("1 ;a"), but llhttp refuses it and
                    // docs/architecture.md makes the strictest peer our floor: whitespace right
                    // after the size is a 400 (so is "1 \r\n").
                    state_ = State::ext_name_start;
                    ext_bytes_ = 1;
                } else {
                    return fail(400, "invalid character in chunk size");
                }
                ++i;
                break;

            // chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ), ignored but
            // parsed, so a CR or LF hidden inside one cannot desynchronise us and a peer.
            case State::size_bws:
            case State::ext_bws:
            case State::ext_name_start:
            case State::ext_name:
            case State::ext_after_name:
            case State::ext_value_start:
            case State::ext_token_value:
            case State::ext_quoted:
            case State::ext_quoted_pair:
                if (++ext_bytes_ > kMaxChunkExtBytes) return fail(400, "chunk extension too long");
                if (const std::string_view bad = ext_step(c); !bad.empty()) return fail(400, bad);
                ++i;
                break;

            case State::size_lf:
                if (c != '\n') return fail(400, "bare CR in chunk line");
                ++i;
                if (chunk_left_ == 0) {
                    state_ = State::trailer;
                    break;
                }
                // Decided before any data is read, so an oversized body is refused at once.
                if (chunk_left_ > max_body_ - total_) return fail(413, "body too large");
                state_ = State::data;
                break;

            case State::data: {
                const std::size_t take =
                    static_cast<std::size_t>(std::min<std::uint64_t>(chunk_left_, n - i));
                Result r = chunk_result(CStatus::data, i + take);
                r.data = in.substr(i, take);
                chunk_left_ -= take;
                total_ += take;
                if (chunk_left_ == 0) state_ = State::data_cr;
                return r;
            }

            case State::data_cr:
                if (c != '\r') return fail(400, "missing CRLF after chunk data");
                state_ = State::data_lf;
                ++i;
                break;

            case State::data_lf:
                if (c != '\n') return fail(400, "missing CRLF after chunk data");
                state_ = State::size;
                size_digits_ = 0;
                ext_bytes_ = 0;
                ++i;
                break;

            case State::trailer: {
                // Trailer lines are copied: they are rare and tiny, and views would not outlive
                // the caller's buffer.
                const void* lf = std::memchr(in.data() + i, '\n', n - i);
                const std::size_t end =
                    lf == nullptr
                        ? n
                        : static_cast<std::size_t>(static_cast<const char*>(lf) - in.data()) + 1;
                trailer_bytes_ += end - i;
                // The trailer section counts as a field section: over its limit is 431, like
                // an oversized header section.
                if (trailer_bytes_ > max_trailer_bytes_) {
                    return fail(431, "trailer section too large");
                }
                trailer_line_.append(in.data() + i, end - i);
                i = end;
                if (lf == nullptr) break;
                std::string_view line = trailer_line_;
                if (line.size() < 2 || line[line.size() - 2] != '\r') {
                    return fail(400, "bare LF in trailer section");
                }
                line.remove_suffix(2);
                if (line.empty()) {
                    state_ = State::done;
                    trailer_line_.clear();
                    return chunk_result(CStatus::done, i);
                }
                if (is_ows(static_cast<unsigned char>(line[0]))) {
                    return fail(400, "obs-fold in trailer section");
                }
                std::string_view name;
                std::string_view value;
                if (!parse_trailer_line(line, name, value)) {
                    return fail(400, "invalid trailer field");
                }
                trailers_.emplace_back(std::string(name), std::string(value));
                trailer_line_.clear();
                break;
            }

            case State::done:
                return chunk_result(CStatus::done, i);

            case State::error: {
                Result r = chunk_result(CStatus::error, i);
                r.error_status = error_status_;
                r.reason = error_reason_;
                return r;
            }
        }
    }
    if (state_ == State::done) return chunk_result(CStatus::done, i);
    if (state_ == State::error) {
        Result r = chunk_result(CStatus::error, i);
        r.error_status = error_status_;
        r.reason = error_reason_;
        return r;
    }
    return chunk_result(CStatus::need_more, i);
}

std::string_view ChunkedDecoder::ext_step(unsigned char c) noexcept {
    switch (state_) {
        case State::size_bws:
            if (c == ';') {
                state_ = State::ext_name_start;
            } else if (!is_ows(c)) {
                return "whitespace after chunk size";
            }
            return {};
        case State::ext_bws:  // after a value: BWS, then ';' or CR
            if (c == ';') {
                state_ = State::ext_name_start;
            } else if (c == '\r') {
                state_ = State::size_lf;
            } else if (!is_ows(c)) {
                return "invalid chunk extension";
            }
            return {};
        case State::ext_name_start:
            if (is(c, kTchar)) {
                state_ = State::ext_name;
            } else if (!is_ows(c)) {
                return "invalid chunk extension name";
            }
            return {};
        case State::ext_name:
            if (is(c, kTchar)) return {};
            [[fallthrough]];
        case State::ext_after_name:
            if (c == '=') {
                state_ = State::ext_value_start;
            } else if (c == ';') {
                state_ = State::ext_name_start;
            } else if (c == '\r') {
                state_ = State::size_lf;
            } else if (is_ows(c)) {
                state_ = State::ext_after_name;
            } else {
                return "invalid chunk extension";
            }
            return {};
        case State::ext_value_start:
            if (is(c, kTchar)) {
                state_ = State::ext_token_value;
            } else if (c == '"') {
                state_ = State::ext_quoted;
            } else if (!is_ows(c)) {
                return "invalid chunk extension value";
            }
            return {};
        case State::ext_token_value:
            if (is(c, kTchar)) return {};
            if (c == ';') {
                state_ = State::ext_name_start;
            } else if (c == '\r') {
                state_ = State::size_lf;
            } else if (is_ows(c)) {
                state_ = State::ext_bws;
            } else {
                return "invalid chunk extension value";
            }
            return {};
        case State::ext_quoted:
            if (c == '"') {
                state_ = State::ext_bws;
            } else if (c == '\\') {
                state_ = State::ext_quoted_pair;
            } else if (!is(c, kQdText)) {
                return "invalid character in quoted chunk extension";
            }
            return {};
        case State::ext_quoted_pair:
            // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
            if (!(c == '\t' || (c >= 0x20 && c != 0x7F))) return "invalid quoted-pair";
            state_ = State::ext_quoted;
            return {};
        default:
            return "internal: not in a chunk extension";
    }
}

}  // namespace gannet::http
