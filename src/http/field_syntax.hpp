// Field syntax shared by the request and response parsers (RFC 9112 section 5, RFC 9110
// section 5): character classes, the scan for the end of a head, the field-line loop and what
// the framing fields say. One copy, so both directions refuse exactly the same field lines.
// Internal to src/http; everything is inline so that each parser gets its own inlined loop.
#pragma once

#include "http/parser.hpp"

#include <gannet/http_types.hpp>

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace gannet::http::syntax {

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

inline constexpr std::array<std::uint8_t, 256> kClass = [] {
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
inline constexpr bool kSwar = std::endian::native == std::endian::little;
inline constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
inline constexpr std::uint64_t kHighs = 0x8080808080808080ULL;

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

// Decimal Content-Length. Digits only: no sign, no inner whitespace, no list (RFC 9110 8.6
// allows "5, 5"; we refuse it like Go does, since list handling is where smugglers live).
inline bool parse_content_length(std::string_view v, std::uint64_t& out) noexcept {
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
inline void for_each_element(std::string_view list, F&& f) {
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
inline std::string_view note_field(std::string_view name, std::string_view value,
                                   Fields& s) noexcept {
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

/// Where the end of a head (CRLF CRLF) stands, looked for before the fields are parsed, so
/// that a head arriving in many small reads is scanned with memchr only, not re-validated
/// byte by byte every time.
enum class HeadEnd : std::uint8_t { found, need_more, bare_lf };

/// Looks for the empty line ending a head whose start line ends just before `fields_begin`
/// (so b[fields_begin - 2, fields_begin) is that line's CRLF), within the first `max_head`
/// bytes of `b[0, n)`.
inline HeadEnd find_head_end(const unsigned char* b, std::size_t n, std::size_t fields_begin,
                             std::size_t max_head) noexcept {
    if (n <= max_head && n >= fields_begin + 2 && std::memcmp(b + n - 4, "\r\n\r\n", 4) == 0) {
        return HeadEnd::found;
    }
    const std::size_t limit = n < max_head ? n : max_head;
    std::size_t i = fields_begin;
    while (i < limit) {
        const void* lf = std::memchr(b + i, '\n', limit - i);
        if (lf == nullptr) break;
        const auto k = static_cast<std::size_t>(static_cast<const unsigned char*>(lf) - b);
        if (b[k - 1] != '\r') return HeadEnd::bare_lf;
        // b[k - 2] may be the start line's LF: that is the "no fields" head.
        if (b[k - 2] == '\n') return HeadEnd::found;
        i = k + 1;
    }
    return HeadEnd::need_more;
}

/// An error in a field line: the status a server would answer (400, 431) and why.
struct FieldError {
    int status = 0;  ///< 0: no error
    std::string_view reason;
};

/// Parses the field lines from b[p] to the empty line ending the head, which find_head_end()
/// found, appending each field to `out` as views into `base` (the same bytes as `b`) and
/// folding the framing fields into `fields`. On success `p` is just past the final CRLF.
///
/// Lines end in CRLF only. RFC 9112 2.2 lets a recipient also accept a bare LF; we do not: a
/// peer that splits lines differently from us is how messages get smuggled. obs-fold (a line
/// starting with whitespace, RFC 9112 5.2) is refused too.
inline FieldError parse_field_lines(const char* base, const unsigned char* b, std::size_t n,
                                    std::size_t& p, std::size_t max_headers,
                                    std::vector<Header>& out, Fields& fields) {
    auto fail = [](int status, std::string_view reason) { return FieldError{status, reason}; };
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
            // start line, the whitespace RFC 9112 2.2 lets us reject. We always reject.
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

        if (out.size() == max_headers) return fail(431, "too many header fields");
        const std::string_view name(base + name_begin, name_end - name_begin);
        const std::string_view value(base + value_begin, value_end - value_begin);
        out.push_back(Header{name, value});
        if (const std::string_view bad = note_field(name, value, fields); !bad.empty()) {
            return fail(400, bad);
        }
    }
    return {};
}

/// The Transfer-Encoding rules both directions share, checked when the field was present
/// (RFC 9112 6.1 and 6.3): not in HTTP/1.0 (faulty framing), never with Content-Length (the
/// RFC lets Transfer-Encoding win; a message with both is how requests get smuggled, so we
/// refuse it), no empty element, chunked last and once. A coding other than chunked before
/// the final chunked is 501: we cannot decode it.
inline FieldError transfer_coding_error(const Fields& f, bool http11) noexcept {
    auto fail = [](int status, std::string_view reason) { return FieldError{status, reason}; };
    if (!http11) return fail(400, "Transfer-Encoding in HTTP/1.0");
    if (f.has(Fields::kContentLength)) return fail(400, "Transfer-Encoding with Content-Length");
    // RFC 9110 5.6.1 lets recipients skip empty elements; on a framing field we refuse them,
    // as nginx and Go refuse anything but "chunked".
    if (f.has(Fields::kTeEmpty)) return fail(400, "empty Transfer-Encoding element");
    if (!f.has(Fields::kTeLastChunked)) return fail(400, "Transfer-Encoding not ending in chunked");
    if (f.has(Fields::kTeRepeated)) return fail(400, "chunked applied more than once");
    if (f.has(Fields::kTeOther)) return fail(501, "unsupported transfer coding");
    return {};
}

}  // namespace gannet::http::syntax
