// Base64 (RFC 4648 section 4, standard alphabet, with padding) for the WebSocket handshake.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gannet::ws {

/// Size of the padded encoding of `n` bytes.
constexpr std::size_t base64_encoded_size(std::size_t n) noexcept {
    return (n + 2) / 3 * 4;
}

/// Encodes `data` into `out`, which must have room for base64_encoded_size(data.size())
/// characters. Returns the number of characters written. Does not allocate.
std::size_t base64_encode(std::string_view data, char* out) noexcept;

/// Encodes `data` into a new string.
std::string base64_encode(std::string_view data);

/// Decodes strictly: the length must be a multiple of 4, '=' may appear only as one or two
/// final padding characters, no whitespace or other characters, and the unused bits of the last
/// symbol must be zero (so every byte string has exactly one accepted encoding). Returns
/// nullopt on any violation.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace gannet::ws
