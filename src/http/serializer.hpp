// Response serialization: status line, headers and body appended to the connection's output
// buffer (no I/O here).
#pragma once

#include <gannet/response.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gannet::http {

/// What the connection knows about the exchange, beyond the Response itself.
struct ResponseContext {
    std::string_view date;      ///< IMF-fixdate from the worker's DateCache
    bool head_request = false;  ///< HEAD: headers as for GET, no body
    bool keep_alive = true;     ///< the connection stays open after this response
    int version_minor = 1;      ///< of the request: HTTP/1.0 needs "Connection: keep-alive"
};

/// The IMF-fixdate of the current second, from this worker's date cache.
std::string_view current_date() noexcept;

/// True for statuses that never carry a body (1xx, 204, 304).
constexpr bool status_has_no_body(int status) noexcept {
    return status < 200 || status == 204 || status == 304;
}

/// Appends the complete response (head and body) to `out`.
void serialize(const Response& res, const ResponseContext& ctx, std::string& out);

/// Appends only the head of a response whose body follows separately: with Content-Length
/// `length` when given, else chunked (HTTP/1.1) or nothing (HTTP/1.0, close-delimited).
/// Returns true when the body must be sent chunked.
bool serialize_head(const Response& meta, const ResponseContext& ctx,
                    std::optional<std::uint64_t> length, std::string& out);

/// Appends the head of a 101 (Switching Protocols) answer: `head`'s headers and
/// `Connection: Upgrade`, no framing (what follows belongs to the new protocol).
void serialize_upgrade(const Response& head, std::string_view date, std::string& out);

/// Appends a minimal error response for a protocol error: `status`, a short text body,
/// `Connection: close`.
void serialize_error(int status, std::string_view reason, std::string_view date, std::string& out);

/// Appends one chunk of chunked encoding (nothing for empty data: that would end the body).
void append_chunk(std::string_view data, std::string& out);

/// A chunk's size line ("<hex>\r\n") for `size` bytes, in `buf`; returns its length. The
/// data and a "\r\n" follow it.
constexpr std::size_t kChunkHeaderMax = 18;  // 16 hex digits and CRLF
std::size_t chunk_header(std::size_t size, char (&buf)[kChunkHeaderMax]) noexcept;

}  // namespace gannet::http
