#include "ws/sha1.hpp"

#include <algorithm>
#include <cstring>

namespace gannet::ws {
namespace {

constexpr std::uint32_t rotl(std::uint32_t x, int n) noexcept {
    return (x << n) | (x >> (32 - n));
}

std::uint32_t load_be32(const std::uint8_t* p) noexcept {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}

}  // namespace

void Sha1::reset() noexcept {
    h_ = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};
    block_len_ = 0;
    total_len_ = 0;
}

void Sha1::compress(const std::uint8_t* block) noexcept {
    // A 16-word circular schedule instead of 80 words: same result, less stack.
    std::array<std::uint32_t, 16> w{};
    for (std::size_t i = 0; i < 16; ++i) w[i] = load_be32(block + 4 * i);
    std::uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3], e = h_[4];
    for (int t = 0; t < 80; ++t) {
        if (t >= 16) {
            w[t & 15] = rotl(w[(t - 3) & 15] ^ w[(t - 8) & 15] ^ w[(t - 14) & 15] ^ w[t & 15], 1);
        }
        std::uint32_t f = 0;
        std::uint32_t k = 0;
        if (t < 20) {
            f = (b & c) | (~b & d);
            k = 0x5A827999u;
        } else if (t < 40) {
            f = b ^ c ^ d;
            k = 0x6ED9EBA1u;
        } else if (t < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8F1BBCDCu;
        } else {
            f = b ^ c ^ d;
            k = 0xCA62C1D6u;
        }
        const std::uint32_t temp = rotl(a, 5) + f + e + k + w[t & 15];
        e = d;
        d = c;
        c = rotl(b, 30);
        b = a;
        a = temp;
    }
    h_[0] += a;
    h_[1] += b;
    h_[2] += c;
    h_[3] += d;
    h_[4] += e;
}

void Sha1::update(std::string_view data) noexcept {
    const auto* p = reinterpret_cast<const std::uint8_t*>(data.data());
    std::size_t n = data.size();
    if (n == 0) return;  // data() may be null
    total_len_ += n;
    if (block_len_ > 0) {
        const std::size_t take = std::min(n, block_.size() - block_len_);
        std::memcpy(block_.data() + block_len_, p, take);
        block_len_ += take;
        p += take;
        n -= take;
        if (block_len_ < block_.size()) return;
        compress(block_.data());
        block_len_ = 0;
    }
    for (; n >= 64; p += 64, n -= 64) compress(p);
    if (n > 0) {
        std::memcpy(block_.data(), p, n);
        block_len_ = n;
    }
}

Sha1Digest Sha1::finish() noexcept {
    const std::uint64_t bits = total_len_ * 8;
    block_[block_len_++] = 0x80;
    if (block_len_ > 56) {
        std::memset(block_.data() + block_len_, 0, block_.size() - block_len_);
        compress(block_.data());
        block_len_ = 0;
    }
    std::memset(block_.data() + block_len_, 0, 56 - block_len_);
    for (int i = 0; i < 8; ++i) block_[56 + i] = static_cast<std::uint8_t>(bits >> (56 - 8 * i));
    compress(block_.data());

    Sha1Digest out{};
    for (std::size_t i = 0; i < 5; ++i) {
        out[4 * i] = static_cast<std::uint8_t>(h_[i] >> 24);
        out[4 * i + 1] = static_cast<std::uint8_t>(h_[i] >> 16);
        out[4 * i + 2] = static_cast<std::uint8_t>(h_[i] >> 8);
        out[4 * i + 3] = static_cast<std::uint8_t>(h_[i]);
    }
    reset();
    return out;
}

Sha1Digest sha1(std::string_view data) noexcept {
    Sha1 s;
    s.update(data);
    return s.finish();
}

}  // namespace gannet::ws
