// HttpClient: an HTTP/1.1 client for handlers (docs/http-client.md).
//
//   HttpClient client;                                   // one per app: it pools connections
//   app.get("/weather", [&](Request&) -> Task<Response> {
//       ClientResponse r = co_await client.get("http://10.0.0.7:8080/now");
//       std::string body = co_await r.text();
//       co_return Response::json(body, r.status());
//   });
//
// One HttpClient may be used from every worker at once: each worker keeps its own pools of
// keep-alive connections, one per origin (scheme, host, port), and a request runs on the worker
// that awaits it. The client must outlive the requests and responses it made.
#pragma once

#include <gannet/cancel.hpp>
#include <gannet/fields.hpp>
#include <gannet/task.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace gannet {

namespace detail {
struct ClientShared;
class ClientExchange;
}  // namespace detail

/// Which step of an exchange failed.
enum class ClientErrorKind : std::uint8_t {
    invalid_request,     ///< a malformed URL or header, an unsupported scheme (https), a bad body
    connect,             ///< no connection: refused, no such host, unreachable
    connect_timeout,     ///< ClientOptions::connect_timeout passed while connecting
    pool_timeout,        ///< every connection to the origin stayed busy for queue_timeout
    pool_full,           ///< max_waiters_per_origin requests already wait for a connection
    closed,              ///< the server closed (or reset) the connection before the response
                         ///< head was complete
    closed_mid_body,     ///< ... after the head, before the end of the body
    bad_response,        ///< a malformed response head or body framing (the parser's reason)
    head_too_large,      ///< the response head is over max_header_bytes or max_headers
    body_too_large,      ///< text() met a body over max_text_bytes
    head_timeout,        ///< head_timeout passed between the request's end and the head's end
    io_timeout,          ///< a body read or a write made no progress for io_timeout
    total_timeout,       ///< the whole exchange took longer than total_timeout
    too_many_redirects,  ///< more than max_redirects redirects
    shutting_down,       ///< the worker is shutting down (its pools are closed)
};

/// "connect", "head timeout", ...: the kind as ClientError's messages say it.
const char* to_string(ClientErrorKind kind) noexcept;

/// Thrown by HttpClient and ClientResponse. what() names the request, its origin and the cause:
/// "GET http://10.0.0.7:8080/now: connect failed: connect to 10.0.0.7:8080: connection refused".
/// The connection involved is closed, never reused.
class ClientError : public std::runtime_error {
  public:
    ClientError(ClientErrorKind kind, const std::string& what)
        : std::runtime_error(what), kind_(kind) {}
    ClientErrorKind kind() const noexcept { return kind_; }
    /// True for the timeouts (connect, pool, head, io, total).
    bool timed_out() const noexcept {
        return kind_ == ClientErrorKind::connect_timeout ||
               kind_ == ClientErrorKind::pool_timeout || kind_ == ClientErrorKind::head_timeout ||
               kind_ == ClientErrorKind::io_timeout || kind_ == ClientErrorKind::total_timeout;
    }

  private:
    ClientErrorKind kind_;
};

/// Thrown when the work awaiting a request is cancelled (the handler's client left, the server
/// drains, a with_timeout or when_any sibling ended it). A gannet::Cancelled, so cancellation
/// unwinds as everywhere else; what() names the request. Its connection is closed.
class ClientCancelled : public Cancelled {
  public:
    explicit ClientCancelled(std::string what) : what_(std::move(what)) {}
    const char* what() const noexcept override { return what_.c_str(); }

  private:
    std::string what_;
};

/// The client's limits and timeouts. A zero duration means "no limit" for total_timeout only.
struct ClientOptions {
    /// Connections open at once to one origin (scheme, host, port) on one worker; a request
    /// beyond waits for one to come free.
    std::size_t max_connections_per_origin = 64;
    /// Requests that may wait for a connection to one origin on one worker; beyond: pool_full.
    std::size_t max_waiters_per_origin = 1024;
    /// How long a request waits for a connection when all are busy.
    std::chrono::milliseconds queue_timeout{10'000};
    /// A connection unused for this long is closed (servers close theirs after 5 s to 75 s:
    /// Node 5 s, nginx 75 s, Gannet 60 s; below the usual minimum, so that the client, not a
    /// racing server, decides).
    std::chrono::milliseconds idle_timeout{4'000};
    /// Name resolution and TCP connect.
    std::chrono::milliseconds connect_timeout{10'000};
    /// From the last byte of the request to the end of the response head.
    std::chrono::milliseconds head_timeout{30'000};
    /// A write, or a read of the body, that makes no progress for this long.
    std::chrono::milliseconds io_timeout{30'000};
    /// The whole exchange, from the call to the end of the body (0: none).
    std::chrono::milliseconds total_timeout{0};
    /// Response head limits, as the server's for requests (docs/architecture.md).
    std::size_t max_header_bytes = 16 * 1024;
    std::size_t max_headers = 100;
    /// What ClientResponse::text() accepts.
    std::uint64_t max_text_bytes = 8 * 1024 * 1024;
    /// Redirects followed per request (0: none, the 3xx is returned as is).
    int max_redirects = 0;
    /// Retry an idempotent request once on a new connection when a reused one turned out to
    /// be closed by the server (see docs/http-client.md, "Retries").
    bool retry_idempotent = true;
};

/// Per-request overrides of ClientOptions.
struct RequestOptions {
    std::optional<std::chrono::milliseconds> connect_timeout;
    std::optional<std::chrono::milliseconds> head_timeout;
    std::optional<std::chrono::milliseconds> io_timeout;
    std::optional<std::chrono::milliseconds> total_timeout;
    std::optional<int> max_redirects;
};

/// A request body produced piece by piece: the client calls next() for the following piece
/// only once the previous one was written (backpressure), until it returns nullopt.
struct BodySource {
    /// The next piece (valid until the following call), or nullopt at the end. An exception
    /// thrown here fails the request (and closes its connection).
    std::function<Task<std::optional<std::string_view>>()> next;
    /// The total length when known: sent as Content-Length, and a source that gives more or
    /// fewer bytes fails the request. Unknown: the body is sent chunked.
    std::optional<std::uint64_t> length;
};

/// A request. The URL is `http://host[:port][/path][?query]`; `https://` is refused for now.
struct ClientRequest {
    std::string method = "GET";
    std::string url;
    /// Sent as given, after the Host field the client derives from the URL (a Host here
    /// replaces it). Content-Length and Transfer-Encoding are the client's: refused here.
    FieldList headers;
    /// The body, sent with Content-Length (POST, PUT and PATCH send "Content-Length: 0"
    /// when it is empty).
    std::string body;
    /// A streamed body instead (when `stream.next` is set `body` must be empty).
    BodySource stream;
    RequestOptions options;
};

/// A response: the head at once, the body on demand. Move-only.
class ClientResponse {
  public:
    ClientResponse() noexcept;
    ClientResponse(ClientResponse&&) noexcept;
    ClientResponse& operator=(ClientResponse&&) noexcept;
    /// Closes the connection unless the body was read to its end (or all of it had arrived).
    ~ClientResponse();

    int status() const noexcept;
    std::string_view reason() const noexcept;
    /// Every field of the head, in order (names as the server spelled them).
    const FieldList& headers() const noexcept;
    /// The first field named `name` (case-insensitive).
    std::optional<std::string_view> header(std::string_view name) const noexcept;
    /// The URL that answered (after redirects).
    const std::string& url() const noexcept;

    /// The whole body, decoded from its framing. ClientError body_too_large beyond
    /// ClientOptions::max_text_bytes.
    Task<std::string> text();

    /// The body as a stream: bytes are read from the connection only when asked for.
    class Body {
      public:
        /// The next piece of the body (valid until the next call), or nullopt at its end.
        /// Throws ClientError when the body cannot be read to its end.
        Task<std::optional<std::string_view>> read();
        /// True once the body was read to its end (the next read() returns nullopt).
        bool done() const noexcept;

      private:
        friend class ClientResponse;
        detail::ClientExchange* x_ = nullptr;
    };
    Body& body() noexcept { return body_; }

    /// The trailer fields of a chunked body, once it was read to its end.
    const FieldList& trailers() const noexcept;

    /// Internal: the exchange behind this response (src/clients/).
    detail::ClientExchange* exchange() noexcept { return x_.get(); }
    explicit ClientResponse(std::unique_ptr<detail::ClientExchange> x) noexcept;

  private:
    std::unique_ptr<detail::ClientExchange> x_;
    Body body_;
};

/// What a client counted, summed over the workers.
struct ClientStats {
    std::uint64_t requests = 0;     ///< exchanges started (retries and redirects count)
    std::uint64_t connects = 0;     ///< connections opened
    std::uint64_t reuses = 0;       ///< requests sent on a pooled connection
    std::uint64_t discarded = 0;    ///< pooled connections found closed or dirty before reuse
    std::uint64_t retries = 0;      ///< requests retried (see ClientOptions::retry_idempotent)
    std::uint64_t idle_closed = 0;  ///< connections closed after idle_timeout
};

/// The client: pools of connections and the requests that use them.
class HttpClient {
  public:
    explicit HttpClient(ClientOptions options = {});
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    /// GET `url`. Returns once the response head has arrived.
    Task<ClientResponse> get(std::string url, RequestOptions options = {});
    /// Sends `request`. Returns once the response head has arrived.
    Task<ClientResponse> request(ClientRequest request);

    const ClientOptions& options() const noexcept;
    /// Counters summed over every worker; readable from any thread.
    ClientStats stats() const;

    /// Internal: the state the workers' pools share (src/clients/).
    const std::shared_ptr<detail::ClientShared>& shared() const noexcept { return shared_; }

  private:
    std::shared_ptr<detail::ClientShared> shared_;
};

}  // namespace gannet
