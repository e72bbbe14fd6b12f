// HTTP/1.1 request-head parser and chunked body decoder (RFC 9112, RFC 9110).
//
// Strictness: where the RFCs let a recipient choose, we take the strictest answer among nginx,
// Node's llhttp and Go's net/http (docs/architecture.md, "HTTP rules and limits"). Every deliberate choice is commented
// where it is made.
#include "http/parser.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

namespace gannet::http {
namespace {

using Status = ParseResult::Status;

// Character classes, one bit each, looked up in a single 256-entry table.
enum : std::uint8_t {
    kTchar = 1 << 0,       // RFC 9110 5.6.2 token characters
    kTargetChar = 1 << 1,  // visible ASCII (0x21-0x7E) except '#'
    kValueChar = 1 << 2,   // field-value: VCHAR, obs-text, SP, HTAB
    kHostChar = 1 << 3,    // uri-host / port characters (reg-name, IP-literal, ':')
    kHexDigit = 1 << 4,
    kQdText = 1 << 5,   // quoted-string qdtext: HTAB, SP, 0x21, 0x23-0x5B, 0x5D-0x7E, obs-text
    kRegName = 1 << 6,  // kHostChar without ':', '[' and ']'
};

constexpr std::array<std::uint8_t, 256> kClass = [] {
    constexpr std::string_view kTcharExtra = "!#$%&'*+-.^_`|~";
    constexpr std::string_view kHostExtra = "-._~!$&'()*+,;=:%[]";
    std::array<std::uint8_t, 256> t{};
    for (int c = 0; c < 256; ++c) {
        const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        const bool digit = c >= '0' && c <= '9';
        const char ch = static_cast<char>(c);
        std::uint8_t f = 0;
        if (alpha || digit || (c < 0x80 && kTcharExtra.find(ch) != std::string_view::npos)) {
            f |= kTchar;
        }
        if (c >= 0x21 && c <= 0x7E && c != '#') f |= kTargetChar;
        if ((c >= 0x20 && c != 0x7F) || c == '\t') f |= kValueChar;
        if (alpha || digit || (c < 0x80 && kHostExtra.find(ch) != std::string_view::npos)) {
            f |= kHostChar;
            if (c != ':' && c != '[' && c != ']') f |= kRegName;
        }
        if (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) f |= kHexDigit;
        if (c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5B) ||
            (c >= 0x5D && c <= 0x7E) || c >= 0x80) {
            f |= kQdText;
        }
        t[static_cast<std::size_t>(c)] = f;
    }
    return t;
}();

constexpr bool is(unsigned char c, std::uint8_t cls) noexcept {
    return (kClass[c] & cls) != 0;
}
constexpr bool is_ows(unsigned char c) noexcept {
    return c == ' ' || c == '\t';
}
constexpr bool is_digit(unsigned char c) noexcept {
    return c >= '0' && c <= '9';
}

// SWAR helpers: classify eight bytes at once on the two longest runs of a head (the target and
// the field values). has_less is exact as a "does any byte match" test (Bit Twiddling Hacks);
// its false positives only sit above a true one, so on a little-endian load the lowest flagged
// byte is exactly the first match. Big-endian targets use the plain byte loops.
constexpr bool kSwar = std::endian::native == std::endian::little;
constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
constexpr std::uint64_t kHighs = 0x8080808080808080ULL;

inline std::uint64_t load64(const unsigned char* p) noexcept {
    std::uint64_t x;
    std::memcpy(&x, p, sizeof x);
    return x;
}
// Nonzero when some byte of x is below n (n <= 128).
constexpr std::uint64_t has_less(std::uint64_t x, std::uint64_t n) noexcept {
    return (x - kOnes * n) & ~x & kHighs;
}
constexpr std::uint64_t has_byte(std::uint64_t x, std::uint64_t c) noexcept {
    return has_less(x ^ (kOnes * c), 1);
}
// Index of the first flagged byte of a nonzero has_less/has_byte mask.
inline std::size_t first_flagged(std::uint64_t mask) noexcept {
    return static_cast<std::size_t>(std::countr_zero(mask)) >> 3;
}

// Case-insensitive match of a field name or value against a literal made of lowercase letters,
// digits and '-' (all of which have bit 0x20 set). Cheaper than iequals: OR-ing 0x20 into the
// input can only confuse those with control bytes, which a validated name or value lacks.
inline bool lower_equals(std::string_view s, std::string_view lower) noexcept {
    if (s.size() != lower.size()) return false;
    std::size_t i = 0;
    if constexpr (kSwar) {
        for (; i + 8 <= s.size(); i += 8) {
            std::uint64_t x;
            std::uint64_t y;
            std::memcpy(&x, s.data() + i, 8);
            std::memcpy(&y, lower.data() + i, 8);
            if ((x | (kOnes * 0x20)) != y) return false;
        }
    }
    for (; i < s.size(); ++i) {
        if ((static_cast<unsigned char>(s[i]) | 0x20) != static_cast<unsigned char>(lower[i])) {
            return false;
        }
    }
    return true;
}

// True when p starts with "HTTP/1.". One 8-byte load instead of a memcmp call.
inline bool is_http1_prefix(const unsigned char* p) noexcept {
    if constexpr (kSwar) {
        constexpr std::uint64_t kPrefix = 0x002E312F50545448ULL;  // "HTTP/1." little-endian
        return (load64(p) & 0x00FFFFFFFFFFFFFFULL) == kPrefix;
    } else {
        return std::memcmp(p, "HTTP/1.", 7) == 0;
    }
}

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

// Decimal Content-Length. Digits only: no sign, no inner whitespace, no list (RFC 9110 8.6
// allows "5, 5"; we refuse it like Go does, since list handling is where smugglers live).
bool parse_content_length(std::string_view v, std::uint64_t& out) noexcept {
    if (v.empty()) return false;
    std::uint64_t x = 0;
    for (char ch : v) {
        const auto c = static_cast<unsigned char>(ch);
        if (!is_digit(c)) return false;
        const std::uint64_t d = c - '0';
        if (x > (UINT64_MAX - d) / 10) return false;
        x = x * 10 + d;
    }
    out = x;
    return true;
}

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

// What the field lines said about framing and connection handling, folded as they are parsed.
struct Fields {
    enum Flag : std::uint32_t {
        kContentLength = 1U << 0,
        kTe = 1U << 1,
        kTeChunked = 1U << 2,      // "chunked" seen
        kTeLastChunked = 1U << 3,  // the last coding seen so far is "chunked"
        kTeRepeated = 1U << 4,     // "chunked" seen twice
        kTeEmpty = 1U << 5,        // an empty list element
        kTeOther = 1U << 6,        // a coding other than chunked
        kConnClose = 1U << 7,
        kConnKeepAlive = 1U << 8,
        kConnUpgrade = 1U << 9,
        kUpgrade = 1U << 10,  // a non-empty Upgrade field
        kExpectContinue = 1U << 11,
        kExpectOther = 1U << 12,
    };
    std::string_view host;
    std::uint64_t content_length = 0;
    std::uint32_t host_count = 0;
    std::uint32_t flags = 0;

    bool has(std::uint32_t f) const noexcept { return (flags & f) != 0; }
    void set(std::uint32_t f) noexcept { flags |= f; }
};

// Calls f(element) for each comma-separated element of `list`, OWS-trimmed (empty ones too).
template <typename F>
void for_each_element(std::string_view list, F&& f) {
    std::size_t pos = 0;
    for (;;) {
        std::size_t comma = list.find(',', pos);
        const bool last = comma == std::string_view::npos;
        if (last) comma = list.size();
        std::size_t first = pos;
        std::size_t end = comma;
        while (first < end && is_ows(static_cast<unsigned char>(list[first]))) ++first;
        while (end > first && is_ows(static_cast<unsigned char>(list[end - 1]))) --end;
        f(list.substr(first, end - first));
        if (last) return;
        pos = comma + 1;
    }
}

// Folds one field into `s`. Returns a reason on a framing error that cannot wait (400).
std::string_view note_field(std::string_view name, std::string_view value, Fields& s) noexcept {
    switch (name.size()) {
        case 4:
            if (lower_equals(name, "host")) {
                ++s.host_count;
                s.host = value;
            }
            break;
        case 6:
            if (lower_equals(name, "expect")) {
                s.set(lower_equals(value, "100-continue") ? Fields::kExpectContinue
                                                          : Fields::kExpectOther);
            }
            break;
        case 7:
            if (lower_equals(name, "upgrade") && !value.empty()) s.set(Fields::kUpgrade);
            break;
        case 10:
            if (lower_equals(name, "connection")) {
                for_each_element(value, [&](std::string_view t) {
                    if (lower_equals(t, "close")) {
                        s.set(Fields::kConnClose);
                    } else if (lower_equals(t, "keep-alive")) {
                        s.set(Fields::kConnKeepAlive);
                    } else if (lower_equals(t, "upgrade")) {
                        s.set(Fields::kConnUpgrade);
                    }
                });
            }
            break;
        case 14:
            if (lower_equals(name, "content-length")) {
                // Repeated fields are refused even with equal values (RFC 9110 8.6 would allow
                // merging them; Go refuses, and so do we).
                if (s.has(Fields::kContentLength)) return "repeated Content-Length";
                if (!parse_content_length(value, s.content_length)) {
                    return "malformed Content-Length";
                }
                s.set(Fields::kContentLength);
            }
            break;
        case 17:
            if (lower_equals(name, "transfer-encoding")) {
                // Repeated fields form one list, in order (RFC 9110 5.3).
                s.set(Fields::kTe);
                for_each_element(value, [&](std::string_view coding) {
                    if (coding.empty()) {
                        // RFC 9110 5.6.1 lets recipients skip empty elements; on a framing
                        // field we refuse them, as nginx and Go refuse anything but "chunked".
                        s.set(Fields::kTeEmpty);
                    } else if (lower_equals(coding, "chunked")) {
                        if (s.has(Fields::kTeChunked)) s.set(Fields::kTeRepeated);
                        s.set(Fields::kTeChunked | Fields::kTeLastChunked);
                    } else {
                        s.set(Fields::kTeOther);
                        s.flags &= ~std::uint32_t{Fields::kTeLastChunked};
                    }
                });
            }
            break;
        default:
            break;
    }
    return {};
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

    // --- Find the end of the head before parsing fields, so that a head arriving in many
    // small reads is scanned with memchr only, not re-validated byte by byte every time.
    const std::size_t fields_begin = p;
    bool have_end =
        n <= max_head && n >= fields_begin + 2 && std::memcmp(b + n - 4, "\r\n\r\n", 4) == 0;
    if (!have_end) {
        const std::size_t limit = std::min(n, max_head);
        std::size_t i = fields_begin;
        while (i < limit) {
            const void* lf = std::memchr(b + i, '\n', limit - i);
            if (lf == nullptr) break;
            const auto k = static_cast<std::size_t>(static_cast<const unsigned char*>(lf) - b);
            if (b[k - 1] != '\r') return fail(400, "bare LF");
            // b[k - 2] may be the request line's LF: that is the "no fields" head.
            if (b[k - 2] == '\n') {
                have_end = true;
                break;
            }
            i = k + 1;
        }
        if (!have_end) return need_more();
    }

    // --- Field lines (RFC 9112 5). From here a CRLF CRLF is known to follow, so every scan
    // below stops at a CR at the latest and needs no bounds check.
    // Lines end in CRLF only. RFC 9112 2.2 lets a recipient also accept a bare LF; we do not:
    // a peer that splits lines differently from us is how requests get smuggled.
    Fields fields;
    const std::size_t max_headers = limits_.max_headers;
    for (;;) {
        const unsigned char first = b[p];
        if (first == '\r') {
            if (b[p + 1] != '\n') return fail(400, "bare CR");
            p += 2;
            break;
        }
        const std::size_t name_begin = p;
        // Four at a time: b[p + 3] is in bounds while b[p] is before the final CRLF CRLF.
        while ((kClass[b[p]] & kClass[b[p + 1]] & kClass[b[p + 2]] & kClass[b[p + 3]] & kTchar) !=
               0) {
            p += 4;
        }
        while (is(b[p], kTchar)) ++p;
        if (p == name_begin) {
            // A line starting with whitespace is obs-fold (RFC 9112 5.2), or, right after the
            // request line, the whitespace RFC 9112 2.2 lets us reject. We always reject.
            if (is_ows(first)) return fail(400, "obs-fold or leading whitespace in field line");
            if (first == '\n') return fail(400, "bare LF");
            return fail(400, "invalid field name");
        }
        if (b[p] != ':') {
            if (is_ows(b[p])) return fail(400, "whitespace before colon");  // RFC 9112 5.1
            if (b[p] == '\r' || b[p] == '\n') return fail(400, "field line without colon");
            return fail(400, "invalid character in field name");
        }
        const std::size_t name_end = p++;
        while (is_ows(b[p])) ++p;
        const std::size_t value_begin = p;
        for (;;) {
            if (kSwar && p + 8 <= n) {
                const std::uint64_t x = load64(b + p);
                const std::uint64_t m = has_less(x, 0x20) | has_byte(x, 0x7F);
                if (m == 0) {
                    p += 8;
                    continue;
                }
                p += first_flagged(m);
            } else {
                while (is(b[p], kValueChar)) ++p;
            }
            if (b[p] != '\t') break;  // the one control byte a value may hold
            ++p;
        }
        if (b[p] != '\r') {
            return fail(400, b[p] == '\n' ? "bare LF" : "invalid character in field value");
        }
        if (b[p + 1] != '\n') return fail(400, "bare CR");
        std::size_t value_end = p;
        while (value_end > value_begin && is_ows(b[value_end - 1])) --value_end;
        p += 2;

        if (out.headers.size() == max_headers) return fail(431, "too many header fields");
        const std::string_view name = view(name_begin, name_end);
        const std::string_view value = view(value_begin, value_end);
        out.headers.push_back(Header{name, value});
        if (const std::string_view bad = note_field(name, value, fields); !bad.empty()) {
            return fail(400, bad);
        }
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
        // RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 means faulty framing.
        if (!http11) return fail(400, "Transfer-Encoding in HTTP/1.0");
        if (fields.has(Fields::kContentLength))
            return fail(400, "Transfer-Encoding with Content-Length");
        // RFC 9112 6.3: no final chunked, no knowable length: 400. Unknown codings before a
        // final chunked get 501 (RFC 9112 6.1); nginx and Go say 501 for the former too.
        if (fields.has(Fields::kTeEmpty)) return fail(400, "empty Transfer-Encoding element");
        if (!fields.has(Fields::kTeLastChunked))
            return fail(400, "Transfer-Encoding not ending in chunked");
        if (fields.has(Fields::kTeRepeated)) return fail(400, "chunked applied more than once");
        if (fields.has(Fields::kTeOther)) return fail(501, "unsupported transfer coding");
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
                    // docs/architecture.md makes the strictest peer our floor: whitespace right after the
                    // size is a 400 (so is "1 \r\n").
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
