#include "ws/base64.hpp"

#include <array>
#include <cstdint>

namespace gannet::ws {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::uint8_t kInvalid = 0xFF;

constexpr std::array<std::uint8_t, 256> kDecode = [] {
    std::array<std::uint8_t, 256> t{};
    t.fill(kInvalid);
    for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
        t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::uint8_t>(i);
    }
    return t;
}();

}  // namespace

std::size_t base64_encode(std::string_view data, char* out) noexcept {
    const auto* p = reinterpret_cast<const std::uint8_t*>(data.data());
    std::size_t n = data.size();
    char* o = out;
    for (; n >= 3; p += 3, n -= 3) {
        const std::uint32_t v = (std::uint32_t{p[0]} << 16) | (std::uint32_t{p[1]} << 8) | p[2];
        *o++ = kAlphabet[(v >> 18) & 63];
        *o++ = kAlphabet[(v >> 12) & 63];
        *o++ = kAlphabet[(v >> 6) & 63];
        *o++ = kAlphabet[v & 63];
    }
    if (n > 0) {
        std::uint32_t v = std::uint32_t{p[0]} << 16;
        if (n == 2) v |= std::uint32_t{p[1]} << 8;
        *o++ = kAlphabet[(v >> 18) & 63];
        *o++ = kAlphabet[(v >> 12) & 63];
        *o++ = n == 2 ? kAlphabet[(v >> 6) & 63] : '=';
        *o++ = '=';
    }
    return static_cast<std::size_t>(o - out);
}

std::string base64_encode(std::string_view data) {
    std::string out(base64_encoded_size(data.size()), '\0');
    base64_encode(data, out.data());
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    std::size_t pad = 0;
    if (!text.empty() && text.back() == '=') pad = text[text.size() - 2] == '=' ? 2 : 1;

    std::string out;
    out.reserve(text.size() / 4 * 3 - pad);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        const bool last = i + 4 == text.size();
        const std::size_t symbols = last ? 4 - pad : 4;
        std::uint32_t v = 0;
        for (std::size_t j = 0; j < 4; ++j) {
            std::uint8_t d = 0;
            if (j < symbols) {
                d = kDecode[static_cast<unsigned char>(text[i + j])];
                if (d == kInvalid) return std::nullopt;  // includes a stray '='
            }
            v = (v << 6) | d;
        }
        out.push_back(static_cast<char>(v >> 16));
        if (symbols >= 3) out.push_back(static_cast<char>(v >> 8));
        if (symbols == 4) out.push_back(static_cast<char>(v));
        // Non-zero leftover bits would let several texts decode to the same bytes.
        if (symbols == 3 && (v & 0xFF) != 0) return std::nullopt;
        if (symbols == 2 && (v & 0xFFFF) != 0) return std::nullopt;
    }
    return out;
}

}  // namespace gannet::ws
