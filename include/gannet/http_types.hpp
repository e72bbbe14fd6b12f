// Plain HTTP/1.1 message types shared by the parser, the Request and the serializer.
//
// Buffer lifetime: every std::string_view in a RequestHead points into the connection's read
// buffer. The connection keeps those bytes in place, unmoved, until the response to that request
// is complete; after that the views dangle.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace gannet::http {

/// One header field as received: name and value are views into the read buffer; the value has
/// its leading and trailing whitespace removed.
struct Header {
    std::string_view name;
    std::string_view value;
};

/// How the request body is framed (RFC 9112 section 6.3).
enum class BodyKind : std::uint8_t { none, length, chunked };

/// The request line and header section of one request, as parsed.
struct RequestHead {
    std::string_view method;  ///< e.g. "GET"; always a valid token
    std::string_view target;  ///< the request-target exactly as sent
    std::string_view path;    ///< origin-form: target up to '?'; absolute-form: the path part
                              ///< ("/" when empty); asterisk-form: "*"
    std::string_view query;   ///< after the first '?', without it; empty when there is none
    std::uint8_t version_minor = 1;  ///< 0 or 1 (HTTP/1.0 or HTTP/1.1; HTTP/1.2-1.9 give 1)
    std::vector<Header> headers;     ///< every field, in order received
    BodyKind body_kind = BodyKind::none;
    std::uint64_t content_length = 0;  ///< meaningful when body_kind == length
    bool keep_alive = true;            ///< from the version and the Connection header
    bool expect_continue = false;      ///< HTTP/1.1 request with "Expect: 100-continue"
    bool upgrade = false;              ///< "Connection: upgrade" token and an Upgrade header
    std::string_view host;  ///< absolute-form: the target's authority; else the Host field
                            ///< value (empty when it is empty, or for HTTP/1.0 without one)

    /// Resets every member but keeps the capacity of `headers`, so parsing allocates nothing
    /// in steady state.
    void clear() noexcept {
        method = target = path = query = host = {};
        version_minor = 1;
        headers.clear();
        body_kind = BodyKind::none;
        content_length = 0;
        keep_alive = true;
        expect_continue = false;
        upgrade = false;
    }

    /// The value of the first field named `name` (case-insensitive), or an empty view.
    std::string_view header(std::string_view name) const noexcept;
};

/// Limits applied while parsing a request head (docs/architecture.md, "HTTP rules and limits").
struct ParserLimits {
    std::size_t max_target = 8 * 1024;         ///< request-target bytes; beyond: 414
    std::size_t max_header_bytes = 16 * 1024;  ///< whole head incl. request line; beyond: 431
    std::size_t max_headers = 100;             ///< header fields; beyond: 431
};

/// Why a request body ended before its end: a typed cause, so that a caller can tell a client
/// that left from one that sent too much or sent garbage.
enum class BodyError : std::uint8_t {
    none,                ///< no error (so far)
    malformed,           ///< broken framing (a bad chunk size, a chunk line over the window): 400
    timed_out,           ///< nothing arrived for the body timeout: 408
    too_large,           ///< over the body limit: 413
    trailers_too_large,  ///< the chunked trailer section is over its limit: 431
    client_gone,  ///< the client closed or reset the connection, or the server aborted it: 499
};

/// The status that answers `e` (0 for none): 400, 408, 413, 431 or 499.
constexpr int status_of(BodyError e) noexcept {
    switch (e) {
        case BodyError::none:
            return 0;
        case BodyError::malformed:
            return 400;
        case BodyError::timed_out:
            return 408;
        case BodyError::too_large:
            return 413;
        case BodyError::trailers_too_large:
            return 431;
        case BodyError::client_gone:
            return 499;
    }
    return 400;
}

/// ASCII case-insensitive equality, for header names and tokens.
bool iequals(std::string_view a, std::string_view b) noexcept;

/// True when the comma-separated list `list` contains `token` (case-insensitive), e.g.
/// has_token("keep-alive, Upgrade", "upgrade").
bool has_token(std::string_view list, std::string_view token) noexcept;

/// The standard reason phrase for `status`, or "Unknown".
std::string_view reason_phrase(int status) noexcept;

}  // namespace gannet::http
