// One request and its response on one client connection (docs/architecture.md, "The HTTP
// client"): writes the request (head, then the body with Content-Length or chunked), reads the
// response head with the strict ResponseParser (interim 1xx skipped), then reads the body on
// demand through its framing. The connection goes back to its pool only once the response was
// read to its end and nothing forbids reuse; any error closes it.
//
// A response that starts before the request body is fully sent (a 413 sent early) stops the
// sending: the rest of the body is not sent, the response is read, and the connection is not
// reused (the server did not read the request to its end).
#pragma once

#include "clients/client_url.hpp"
#include "clients/pool.hpp"
#include "http/parser.hpp"

#include <gannet/client.hpp>
#include <gannet/fields.hpp>
#include <gannet/http_types.hpp>
#include <gannet/task.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace gannet::detail {

class ClientExchange {
  public:
    /// The request as the exchange writes it.
    struct Outgoing {
        std::string_view method;
        std::string_view target;     ///< origin-form, sent as given
        std::string_view authority;  ///< the Host field, unless one is among the fields
        /// Fields given by a user: checked (token names, no CR, LF or NUL in values);
        /// Content-Length and Transfer-Encoding refused.
        const FieldList* fields = nullptr;
        /// Fields forwarded from a parsed request (the proxy): already valid; Content-Length
        /// and Transfer-Encoding among them are dropped (the body's framing is ours).
        std::span<const http::Header> forwarded;
        std::string_view body;         ///< a fixed body
        BodySource* stream = nullptr;  ///< or a streamed one
    };

    /// Timeouts in milliseconds (0: none) and the total deadline on the worker's clock.
    struct Limits {
        std::uint64_t head_ms = 0;
        std::uint64_t io_ms = 0;
        std::uint64_t total_deadline_ms = 0;
        std::uint64_t max_text = 0;
    };

    ClientExchange(std::string request, clients::Url url, Limits limits,
                   const http::ParserLimits& parser_limits) noexcept;
    ~ClientExchange();
    ClientExchange(const ClientExchange&) = delete;
    ClientExchange& operator=(const ClientExchange&) = delete;

    /// Sends `out` on the lent connection and reads the response head.
    Task<void> run(clients::Lease lease, const Outgoing& out);

    // --- the response ------------------------------------------------------------------------
    int status() const noexcept { return status_; }
    std::string_view reason() const noexcept { return reason_; }
    const FieldList& headers() const noexcept { return headers_; }
    const FieldList& trailers() const noexcept { return trailers_; }
    const std::string& url() const noexcept { return url_.text; }
    const clients::Url& parsed_url() const noexcept { return url_; }
    /// The next piece of the body, or nullopt at its end (the connection is then released).
    Task<std::optional<std::string_view>> read_body();
    /// The whole body, at most `max` bytes.
    Task<std::string> text(std::uint64_t max);
    bool body_done() const noexcept { return body_done_; }
    std::uint64_t max_text() const noexcept { return limits_.max_text; }
    /// True when the body is short enough to be read and dropped rather than closing the
    /// connection (a redirect's body).
    bool body_small(std::uint64_t max) const noexcept;

    // --- retries -----------------------------------------------------------------------------
    /// The request met a connection that the server had closed: it went out on a reused
    /// connection, which ended (closed or reset) before a byte of response, and its body can be
    /// sent again. Idempotence is the caller's to check.
    bool retryable(ClientErrorKind kind) const noexcept;
    /// Back to the state before run(), for the retry on a new connection.
    void reset_for_retry() noexcept;

    // --- an upgrade (after a 101) ----------------------------------------------------------
    struct Upgraded {
        std::unique_ptr<io::Stream> stream;
        std::string buffered;  ///< bytes that came after the 101's head
    };
    Upgraded take_upgraded();

    const std::string& request() const noexcept { return request_; }

  private:
    enum class Fill : std::uint8_t { data, eof, reset };

    void write_head(const Outgoing& out);
    Task<void> send(const Outgoing& out);
    /// Writes every piece; returns false when an early response stopped it.
    Task<bool> write_all(std::span<std::string_view> pieces);
    /// True when response bytes (or the end of the stream) arrived while sending.
    bool check_early();
    Task<void> read_head();
    /// Reads more into the connection's buffer; a wait is bounded by `phase_deadline_ms`
    /// (absolute, 0: none; `phase_kind` when it passes) and by the total deadline.
    Task<Fill> fill(std::uint64_t phase_deadline_ms, ClientErrorKind phase_kind,
                    std::string_view step);
    void finish() noexcept;

    std::string request_;  // "GET http://host/path"
    clients::Url url_;
    Limits limits_;
    http::ResponseParser parser_;
    clients::Lease lease_;
    bool head_request_ = false;

    // sending
    std::uint64_t sent_ = 0;      // request bytes the stream took
    std::uint64_t pulled_ = 0;    // pieces taken from a BodySource
    bool request_done_ = false;   // the whole request went out
    bool early_ = false;          // the response began before the request was sent
    bool peer_closed_ = false;    // the end of the stream came while sending
    std::uint64_t received_ = 0;  // response bytes read

    // the response
    int status_ = 0;
    std::string reason_;
    FieldList headers_;
    FieldList trailers_;
    http::ResponseFraming framing_ = http::ResponseFraming::none;
    std::uint64_t remaining_ = 0;  // length framing: body bytes still to come
    bool keep_alive_ = false;
    bool body_done_ = false;
    bool failed_ = false;  // an error was thrown: the connection is closed, never reused
    http::ChunkedDecoder chunked_;
};

}  // namespace gannet::detail
