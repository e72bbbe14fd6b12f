// SHA-1 (FIPS 180-4), needed only to compute Sec-WebSocket-Accept (RFC 6455 section 4.2.2).
// SHA-1 is broken for collision resistance; never use this for anything security-relevant.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gannet::ws {

/// A 160-bit SHA-1 digest, big-endian as FIPS 180-4 prints it.
using Sha1Digest = std::array<std::uint8_t, 20>;

/// Incremental SHA-1: update() any number of times, then finish() once.
class Sha1 {
  public:
    Sha1() noexcept { reset(); }

    /// Adds `data` to the message.
    void update(std::string_view data) noexcept;

    /// Pads, returns the digest and resets the object for a new message.
    Sha1Digest finish() noexcept;

    /// Starts a new message.
    void reset() noexcept;

  private:
    void compress(const std::uint8_t* block) noexcept;

    std::array<std::uint32_t, 5> h_{};
    std::array<std::uint8_t, 64> block_{};
    std::size_t block_len_ = 0;
    std::uint64_t total_len_ = 0;  // bytes; the padding encodes it in bits
};

/// SHA-1 of `data` in one call.
Sha1Digest sha1(std::string_view data) noexcept;

}  // namespace gannet::ws
