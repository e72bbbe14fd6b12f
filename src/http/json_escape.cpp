#include "http/json_escape.hpp"

#include <cstddef>

namespace gannet::http {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

// Checks the sequence starting at lead byte p[0] >= 0x80. Returns its length when it is
// well-formed UTF-8, or minus the length of its maximal subpart (what one U+FFFD replaces).
// The second-byte bounds exclude overlongs (E0, F0), surrogates (ED) and > U+10FFFF (F4).
int check_utf8(const unsigned char* p, std::size_t avail) noexcept {
    const unsigned char c = p[0];
    int need = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
    } else if (c == 0xE0) {
        need = 2;
        lo = 0xA0;
    } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
        need = 2;
    } else if (c == 0xED) {
        need = 2;
        hi = 0x9F;
    } else if (c == 0xF0) {
        need = 3;
        lo = 0x90;
    } else if (c >= 0xF1 && c <= 0xF3) {
        need = 3;
    } else if (c == 0xF4) {
        need = 3;
        hi = 0x8F;
    } else {
        return -1;  // continuation byte, C0/C1 (always overlong) or F5..FF
    }
    for (int k = 1; k <= need; ++k) {
        if (static_cast<std::size_t>(k) >= avail) return -k;
        const unsigned char b = p[k];
        if (b < lo || b > hi) return -k;
        lo = 0x80;
        hi = 0xBF;
    }
    return need + 1;
}

void append_escape(std::string& out, unsigned char c) {
    switch (c) {
        case '"':
            out += "\\\"";
            return;
        case '\\':
            out += "\\\\";
            return;
        case '\b':
            out += "\\b";
            return;
        case '\f':
            out += "\\f";
            return;
        case '\n':
            out += "\\n";
            return;
        case '\r':
            out += "\\r";
            return;
        case '\t':
            out += "\\t";
            return;
        default:
            break;
    }
    constexpr std::string_view kHex = "0123456789abcdef";
    const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
    out.append(esc, sizeof esc);
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
    out.reserve(out.size() + s.size() + 2);
    out.push_back('"');
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    std::size_t run = 0;  // start of the bytes that can be copied as they are
    std::size_t i = 0;
    while (i < n) {
        const unsigned char c = p[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            ++i;
            continue;
        }
        if (c >= 0x80) {
            const int len = check_utf8(p + i, n - i);
            if (len > 0) {
                i += static_cast<std::size_t>(len);
                continue;
            }
            out.append(s.data() + run, i - run);
            out += kReplacement;
            i += static_cast<std::size_t>(-len);
        } else {
            out.append(s.data() + run, i - run);
            append_escape(out, c);
            ++i;
        }
        run = i;
    }
    out.append(s.data() + run, n - run);
    out.push_back('"');
}

}  // namespace gannet::http
