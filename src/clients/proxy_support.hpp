// What the reverse proxy (src/clients, app.proxy()) needs from the HTTP client beyond its
// public API (docs/architecture.md, "The HTTP client"). Internal: not installed.
//
// (a) forward(): sends a request whose head and body come from the server side, as they are:
//     the method and target unchanged, the fields as views (no copy; the proxy has removed the
//     hop-by-hop ones and adds its own through `added`), the body pulled from a BodySource
//     (the server-side request's read_body(), with its length when known). It returns once the
//     response head has arrived; the body then streams through ClientResponse::body().read(),
//     read from the upstream only as the proxy asks (backpressure both ways).
//     Differences from HttpClient::request(): Content-Length and Transfer-Encoding among the
//     forwarded fields are dropped (the client frames the body itself) instead of refused; a
//     Host among them is kept (else the upstream's authority is sent); no redirect is followed.
//     Retries and timeouts are the client's, as for request().
//
// (b) take_upgraded(): after a 101 answer (a WebSocket handshake forwarded with its
//     Connection: upgrade and Upgrade fields), hands over the upstream connection's stream,
//     attached to this worker, and the bytes already read past the 101's head (the first
//     frames may have come with it). The connection then leaves its pool; the response is
//     left without a body. Empty (null stream) for any other status.
//
// Errors are ClientError (502 for the proxy) with ClientError::timed_out() telling the
// timeouts (504), and ClientCancelled when the proxy's handler is cancelled.
#pragma once

#include "clients/client_url.hpp"
#include "clients/connector.hpp"
#include "io/stream.hpp"

#include <gannet/client.hpp>
#include <gannet/fields.hpp>
#include <gannet/http_types.hpp>
#include <gannet/task.hpp>

#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace gannet::clients {

/// A request relayed as received. Views must stay valid until forward() returns.
struct ForwardRequest {
    std::string_view method;
    std::string_view target;                ///< origin-form ("/path?q"), sent unchanged
    std::span<const http::Header> headers;  ///< sent in order (minus framing fields)
    const FieldList* added = nullptr;       ///< appended after them (X-Forwarded-For, Via)
    BodySource body;                        ///< `body.next` null: no body
    RequestOptions options;
};

/// Sends `request` to `upstream` (a parsed http:// URL; only its origin is used) through
/// `client`'s pools. Throws ClientError for an upstream failure.
Task<ClientResponse> forward(HttpClient& client, const Url& upstream, ForwardRequest request);

/// The upstream side of a 101, taken out of `response` (see the file comment).
struct Upgraded {
    std::unique_ptr<io::Stream> stream;  ///< null when the response was not a 101
    std::string buffered;                ///< bytes read past the 101's head
};
Upgraded take_upgraded(ClientResponse& response);

/// Replaces how `client` connects (tests: in-memory streams; later: TLS). Before any request.
void set_connector(HttpClient& client, Connector connector);

}  // namespace gannet::clients
