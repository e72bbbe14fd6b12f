// The server side of the WebSocket opening handshake (RFC 6455 section 4.2): validating the
// client's upgrade request, the Sec-WebSocket-Accept key, subprotocol selection, the
// Sec-WebSocket-Extensions grammar (RFC 6455 section 9.1) and the 101 response head.
//
// Typical use by the session:
//
//   HandshakeResult hs = validate_upgrade(head.method, head.version_minor, head.headers);
//   if (!hs.ok()) -> respond hs.error.status with hs.error.message as the body, plus the header
//                    hs.error.header_name/value when not empty, and Connection: close
//   std::string_view proto = select_subprotocol(hs.request.subprotocols, supported);
//   auto deflate = negotiate_deflate(hs.request.extensions, config);     // deflate.hpp
//   exchange.start_response(accept_response(hs.request.accept_key, proto,
//                                           deflate ? deflate->response : std::string_view{}),
//                           std::nullopt);
//
// Everything returned is owned (std::string), so it stays valid after the request buffer is
// reused.
#pragma once

#include <gannet/http_types.hpp>
#include <gannet/response.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gannet::ws {

/// The GUID that RFC 6455 section 1.3 appends to the client's key.
inline constexpr std::string_view kHandshakeGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The Sec-WebSocket-Accept value for a Sec-WebSocket-Key value: base64(SHA-1(key + GUID)).
/// The key is used as given (validate_upgrade checks it first).
std::string accept_key(std::string_view sec_websocket_key);

/// One parameter of an extension offer: `name` or `name=value` (a quoted value is stored
/// unescaped).
struct ExtensionParam {
    std::string name;
    std::string value;
    bool has_value = false;
};

/// One element of a Sec-WebSocket-Extensions list: an extension name and its parameters, in
/// the order sent. A client may offer the same extension several times, in preference order.
struct ExtensionOffer {
    std::string name;
    std::vector<ExtensionParam> params;
};

/// Parses a Sec-WebSocket-Extensions field value (RFC 6455 section 9.1:
/// `1#( token *( ";" token [ "=" ( token / quoted-string ) ] ) )`, where an unescaped
/// quoted-string must itself be a token) and appends its elements to `out`, so repeated fields
/// combine by calling this once per field. Empty list elements are skipped (RFC 9110 section
/// 5.6.1). Returns false on a syntax error; `out` may then hold part of the value.
bool parse_extension_list(std::string_view value, std::vector<ExtensionOffer>& out);

/// Parses a Sec-WebSocket-Protocol field value (`1#token`) and appends its elements to `out`.
/// Returns false when an element is not a token.
bool parse_subprotocol_list(std::string_view value, std::vector<std::string>& out);

/// Why an upgrade request was refused.
struct HandshakeError {
    int status = 0;                 ///< 400 or 426; 0 means "no error"
    std::string_view message;       ///< short static text, for the response body and logs
    std::string_view header_name;   ///< a header the response must carry, or empty:
    std::string_view header_value;  ///< "Sec-WebSocket-Version: 13" with 426
};

/// What the server needs from a valid upgrade request to answer it.
struct UpgradeRequest {
    std::string accept_key;                  ///< the Sec-WebSocket-Accept value to send
    std::vector<std::string> subprotocols;   ///< Sec-WebSocket-Protocol, all fields, in order
    std::vector<ExtensionOffer> extensions;  ///< Sec-WebSocket-Extensions, all fields, in order
};

/// The outcome of validate_upgrade(): `request` is meaningful when ok().
struct HandshakeResult {
    HandshakeError error;
    UpgradeRequest request;
    bool ok() const noexcept { return error.status == 0; }
};

/// Validates a client's opening handshake (RFC 6455 section 4.2.1). In order:
///  - method GET, else 400. (RFC 6455 asks for "an appropriate error code (such as 400)"; 405
///    would need an Allow header and suggests the resource exists for other methods.)
///  - HTTP/1.1, else 400 (`version_minor` is the request's minor version; major is always 1).
///  - an Upgrade field listing the token "websocket", case-insensitive, else 400;
///  - a Connection field listing the token "upgrade", case-insensitive, else 400;
///  - Sec-WebSocket-Version, all fields together, exactly "13", else 426 with
///    "Sec-WebSocket-Version: 13" (RFC 6455 section 4.4);
///  - exactly one Sec-WebSocket-Key field whose value is strict base64 of 16 bytes, else 400;
///  - well-formed Sec-WebSocket-Protocol and Sec-WebSocket-Extensions fields (repeated fields
///    combine), else 400.
/// Host and Origin are not checked here: Host is the HTTP parser's job, Origin is policy.
HandshakeResult validate_upgrade(std::string_view method, std::uint8_t version_minor,
                                 std::span<const http::Header> headers);

/// True when the request asks for a WebSocket upgrade at all (its Upgrade field lists
/// "websocket"); a cheap test before validate_upgrade(), e.g. to route it.
bool is_websocket_upgrade(std::span<const http::Header> headers) noexcept;

/// The first protocol in the server's `supported` list (its preference order) that the client
/// offered, or an empty view. Names compare exactly (they are case-sensitive). The view points
/// into `supported`.
std::string_view select_subprotocol(std::span<const std::string> offered,
                                    std::span<const std::string_view> supported) noexcept;
/// Same, for a server list held as strings.
std::string_view select_subprotocol(std::span<const std::string> offered,
                                    std::span<const std::string> supported) noexcept;

/// The `101 Switching Protocols` answer: Upgrade, Sec-WebSocket-Accept, then
/// Sec-WebSocket-Protocol and Sec-WebSocket-Extensions when not empty. The protocol adds
/// `Connection: Upgrade` when it sends it (http/serializer.hpp, serialize_upgrade).
Response accept_response(std::string_view accept_key, std::string_view subprotocol = {},
                         std::string_view extensions = {});

}  // namespace gannet::ws
