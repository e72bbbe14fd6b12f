// Request: the parsed request handed to middleware and handlers.
//
// Buffer lifetime: method(), path(), header values and raw params are views into the
// connection's read buffer, valid until the response to this request is complete. Copy what
// must outlive it.
#pragma once

#include <gannet/detail/route_param.hpp>
#include <gannet/http_types.hpp>
#include <gannet/response.hpp>
#include <gannet/task.hpp>

#include <any>
#include <charconv>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

namespace gannet {

namespace http {
class Exchange;
}

class QueryParams;

/// The request body as a stream: `while (auto chunk = co_await req.body().read()) ...`.
class BodyReader {
  public:
    explicit BodyReader(http::Exchange* t = nullptr) noexcept : t_(t) {}
    /// The next chunk as it arrives (a view valid until the next read), or nullopt at the end
    /// of the body or on an error; error() tells which. The socket is read only while the
    /// handler reads: that is the backpressure.
    Task<std::optional<std::string_view>> read();
    /// 0 when the body was read completely (or so far without error); otherwise the status
    /// that answers it: 400 malformed chunked framing, 408 timed out, 413 over the limit, 499
    /// client gone (`throw HttpError(req.body().error())` passes it on).
    int error() const noexcept { return http::status_of(failure()); }
    /// Why the body ended early, as a type (BodyError::none when it did not).
    http::BodyError failure() const noexcept;

  private:
    http::Exchange* t_;
};

/// One HTTP request.
class Request {
  public:
    Request() = default;
    Request(const Request&) = delete;
    Request& operator=(const Request&) = delete;

    std::string_view method() const noexcept { return head_.method; }
    /// The request-target as sent (path and query, still percent-encoded).
    std::string_view target() const noexcept { return head_.target; }
    /// The path, still percent-encoded (routing matches on it).
    std::string_view path() const noexcept { return head_.path; }
    /// The raw query string, without '?'.
    std::string_view query_string() const noexcept { return head_.query; }
    /// 0 for HTTP/1.0, 1 for HTTP/1.1 (also for HTTP/1.2 to 1.9, served as 1.1: RFC 9110 2.5).
    int version_minor() const noexcept { return head_.version_minor; }
    /// The authority the request was sent to: the Host field, or the target's authority when
    /// the target is an absolute URI. Empty when the client sent an empty Host (valid, RFC
    /// 9110 7.2) or none (HTTP/1.0): use the server's own default name then (RFC 9112 3.3).
    std::string_view host() const noexcept { return head_.host; }

    /// The first header named `name` (case-insensitive), or nullopt.
    std::optional<std::string_view> header(std::string_view name) const noexcept;
    /// Every header field in the order received.
    const std::vector<http::Header>& headers() const noexcept { return head_.headers; }

    /// A route parameter, percent-decoded. Throws HttpError(500) when the route has no such
    /// parameter (a programming error) and HttpError(400) when the value is malformed.
    std::string_view param(std::string_view name) const;
    /// A route parameter converted to an integer type (400 when it does not fit).
    template <class T>
    requires std::is_integral_v<T> T param(std::string_view name)
    const {
        std::string_view v = param(name);
        T out{};
        auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
        if (ec != std::errc() || p != v.data() + v.size()) bad_param(name);
        return out;
    }
    /// A query-string parameter, percent-decoded ('+' is a space), or nullopt.
    std::optional<std::string_view> query(std::string_view key) const;
    /// A cookie from the Cookie header, or nullopt.
    std::optional<std::string_view> cookie(std::string_view name) const noexcept;

    /// The body as a stream (see BodyReader).
    BodyReader& body() noexcept { return body_; }
    /// The whole body as a string, up to the buffered-body limit (413 beyond it, thrown as
    /// HttpError).
    Task<std::string> text();
    /// Overrides the buffered-body limit for this request (call before reading).
    void set_body_limit(std::uint64_t bytes) noexcept;

    /// A typed per-request value, default-constructed on first use: how middleware passes
    /// things on (`req.context<User>() = user;` then `req.context<User>()` in the handler).
    template <class T>
    T& context() {
        for (auto& a : context_) {
            if (auto* p = std::any_cast<T>(&a)) return *p;
        }
        return std::any_cast<T&>(context_.emplace_back(std::in_place_type<T>));
    }
    /// The context value of type T if one was set, or null.
    template <class T>
    T* find_context() noexcept {
        for (auto& a : context_) {
            if (auto* p = std::any_cast<T>(&a)) return p;
        }
        return nullptr;
    }

    /// The client's address ("127.0.0.1:53211").
    std::string_view remote_address() const noexcept { return remote_; }
    /// Whether the connection stays open after this response (before the app decides).
    bool keep_alive() const noexcept { return head_.keep_alive; }

    // --- used by gannet itself -----------------------------------------------------------
    http::RequestHead& head() noexcept { return head_; }
    const http::RequestHead& head() const noexcept { return head_; }
    std::vector<detail::RouteParam>& params() noexcept { return params_; }
    /// The protocol's side of this request and its response (see docs/architecture.md).
    http::Exchange* exchange() const noexcept { return exchange_; }
    void attach(http::Exchange* t, std::string_view remote) noexcept {
        exchange_ = t;
        body_ = BodyReader(t);
        remote_ = remote;
    }
    /// Resets per-request state (keeps capacities) before the next request on the connection.
    void reset() noexcept;

  private:
    [[noreturn]] static void bad_param(std::string_view name);

    http::RequestHead head_;
    std::vector<detail::RouteParam> params_;
    mutable std::deque<std::string> decoded_;  // storage for decoded params and query values
    mutable std::shared_ptr<QueryParams> query_;
    std::vector<std::any> context_;
    http::Exchange* exchange_ = nullptr;
    BodyReader body_;
    std::string_view remote_;
};

}  // namespace gannet
