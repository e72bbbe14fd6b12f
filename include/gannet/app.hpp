// App: routes, middleware, hooks, configuration and the server's lifecycle.
//
//   App app;
//   app.use(middleware::access_log());
//   app.get("/", [](Request&) { return Response::text("Hello, World!"); });
//   return app.listen({.port = 8080}).run();
#pragma once

#include <gannet/request.hpp>
#include <gannet/response.hpp>
#include <gannet/response_stream.hpp>
#include <gannet/sse.hpp>
#include <gannet/task.hpp>
#include <gannet/websocket.hpp>

#include <chrono>
#include <concepts>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace gannet {

class Next;
class WebSocket;
struct WebSocketOptions;
class EventStream;
struct SseOptions;
class SseChannel;
struct StaticOptions;

/// Middleware: `Task<Response> mw(Request& req, Next next)`; call `co_await next(req)` to run
/// the rest of the chain (the onion), or return a Response without calling it.
using Middleware = std::function<Task<Response>(Request&, Next)>;

/// What the server counted since start() (App::stats()).
struct ServerStats {
    std::uint64_t connections = 0;      ///< accepted
    std::uint64_t requests = 0;         ///< request heads parsed
    std::uint64_t protocol_errors = 0;  ///< malformed or over a limit: answered and closed
    std::uint64_t timeouts = 0;         ///< header, idle, body and write timeouts that fired
};

/// Server configuration. Every limit and timeout of docs/architecture.md, "HTTP rules and limits"
/// is here.
struct Config {
    std::string host = "0.0.0.0";
    std::uint16_t port = 8080;  ///< 0 picks a free port (see App::port())
    unsigned threads = 0;       ///< workers; 0 means one per core
    bool env_overrides = true;  ///< GANNET_PORT and GANNET_THREADS override port and threads

    std::size_t max_target = 8 * 1024;         ///< 414 beyond
    std::size_t max_header_bytes = 16 * 1024;  ///< 431 beyond
    std::size_t max_headers = 100;             ///< 431 beyond
    std::uint64_t max_body = 1024 * 1024;      ///< buffered body, 413 beyond (per-route override)

    std::chrono::milliseconds header_timeout{10'000};    ///< 408 when a head takes longer
    std::chrono::milliseconds idle_timeout{60'000};      ///< keep-alive idle
    std::chrono::milliseconds body_timeout{30'000};      ///< between body reads
    std::chrono::milliseconds write_timeout{30'000};     ///< a slow reader is cut after this
    std::chrono::milliseconds shutdown_timeout{10'000};  ///< drain deadline on SIGTERM

    std::size_t max_connections = 10'000;  ///< per worker; accepting pauses beyond
};

/// Per-route options.
struct RouteOptions {
    std::optional<std::uint64_t> max_body;  ///< overrides Config::max_body for this route
};

namespace detail {

/// A handler after adaptation: exactly one of the two is set.
struct Endpoint {
    std::function<Response(Request&)> sync;
    std::function<Task<Response>(Request&)> async;
};

struct Route {
    std::string method;
    std::string pattern;
    Endpoint endpoint;
    /// Middleware layers, outermost first: the app's, then each enclosing group's. Shared, so
    /// use() applies to routes added before it too (configure before listen()).
    std::vector<std::shared_ptr<std::vector<Middleware>>> layers;
    std::optional<std::uint64_t> max_body;
};

template <class T>
struct IsTask : std::false_type {};
template <class T>
struct IsTask<Task<T>> : std::true_type {};

template <class H>
Task<Response> run_stream(H& h, Request& req) {
    ResponseStream out(req);
    bool failed = false;
    std::exception_ptr error;
    try {
        co_await h(req, out);
    } catch (...) {
        error = std::current_exception();
        failed = true;
    }
    if (failed) {
        if (!out.started()) std::rethrow_exception(error);
        // The head is out: a 500 can no longer be sent. Cut the connection so the client sees
        // an incomplete response rather than a truncated one that looks whole.
        out.abort();
        co_return Response::already_sent();
    }
    co_await out.end();
    co_return Response::already_sent();
}

/// Turns any supported handler shape into an Endpoint:
///   Response f(Request&)                         (sync, runs inline)
///   Task<Response> f(Request&)                   (async)
///   Task<> f(Request&, ResponseStream&)          (streamed response)
template <class H>
Endpoint adapt(H&& handler) {
    using F = std::decay_t<H>;
    Endpoint e;
    if constexpr (std::is_invocable_v<F&, Request&, ResponseStream&>) {
        static_assert(std::is_same_v<std::invoke_result_t<F&, Request&, ResponseStream&>, Task<>>,
                      "a streaming handler must return gannet::Task<>");
        e.async = [h = F(std::forward<H>(handler))](Request& req) mutable {
            return run_stream(h, req);
        };
    } else {
        static_assert(std::is_invocable_v<F&, Request&>,
                      "a handler takes (Request&) or (Request&, ResponseStream&)");
        using R = std::invoke_result_t<F&, Request&>;
        if constexpr (IsTask<R>::value) {
            static_assert(std::is_same_v<R, Task<Response>>,
                          "an async handler must return gannet::Task<gannet::Response>");
            e.async = std::function<Task<Response>(Request&)>(std::forward<H>(handler));
        } else {
            static_assert(std::is_convertible_v<R, Response>,
                          "a handler must return Response or Task<Response>");
            e.sync = [h = F(std::forward<H>(handler))](Request& req) mutable -> Response {
                return h(req);
            };
        }
    }
    return e;
}

class AppCore;

/// Logs one line at error level (gannet/log.hpp: stderr by default) naming the request and what
/// a handler threw (the client never sees it). `error` may hold anything.
void report_handler_failure(const Request& req, std::exception_ptr error) noexcept;
/// True for error statuses after which the request body may be unread or broken, so the
/// connection must not be reused (400, 408, 413).
constexpr bool error_closes_connection(int status) noexcept {
    return status == 400 || status == 408 || status == 413;
}

}  // namespace detail

/// The rest of the middleware chain, as handed to a middleware.
class Next {
  public:
    /// Runs the next middleware, or the handler when none is left.
    Task<Response> operator()(Request& req) const;

  private:
    friend class detail::AppCore;
    Next(const detail::AppCore* app, const detail::Route* route, std::size_t index) noexcept
        : app_(app), route_(route), index_(index) {}
    const detail::AppCore* app_;
    const detail::Route* route_;
    std::size_t index_;
};

class App;

/// A set of routes under a common prefix with its own middleware (`app.group("/api")`).
class Group {
  public:
    /// Adds middleware that runs, after the app's, for this group's routes only.
    Group& use(Middleware mw);
    template <class H>
    Group& route(std::string_view method, std::string_view pattern, H&& h, RouteOptions o = {}) {
        add(method, pattern, detail::adapt(std::forward<H>(h)), o);
        return *this;
    }
    template <class H>
    Group& get(std::string_view p, H&& h, RouteOptions o = {}) {
        return route("GET", p, std::forward<H>(h), o);
    }
    template <class H>
    Group& post(std::string_view p, H&& h, RouteOptions o = {}) {
        return route("POST", p, std::forward<H>(h), o);
    }
    template <class H>
    Group& put(std::string_view p, H&& h, RouteOptions o = {}) {
        return route("PUT", p, std::forward<H>(h), o);
    }
    template <class H>
    Group& patch(std::string_view p, H&& h, RouteOptions o = {}) {
        return route("PATCH", p, std::forward<H>(h), o);
    }
    template <class H>
    Group& del(std::string_view p, H&& h, RouteOptions o = {}) {
        return route("DELETE", p, std::forward<H>(h), o);
    }
    /// A nested group: prefix and middleware add up.
    Group group(std::string_view prefix);

  private:
    friend class App;
    Group(detail::AppCore* core, std::string prefix,
          std::vector<std::shared_ptr<std::vector<Middleware>>> layers)
        : core_(core), prefix_(std::move(prefix)), layers_(std::move(layers)) {}
    void add(std::string_view method, std::string_view pattern, detail::Endpoint e, RouteOptions o);

    detail::AppCore* core_;
    std::string prefix_;
    // The app's layer, the enclosing groups' and this group's own (last).
    std::vector<std::shared_ptr<std::vector<Middleware>>> layers_;
};

/// The application: routes, middleware, hooks and the server.
class App {
  public:
    App();
    ~App();
    App(const App&) = delete;
    App& operator=(const App&) = delete;

    /// Adds middleware that runs for every request, matched or not, in the order added.
    App& use(Middleware mw);

    /// Registers a handler for `method` and `pattern`. Throws std::invalid_argument naming the
    /// pattern(s) for a malformed pattern or one that shadows an earlier route.
    template <class H>
    App& route(std::string_view method, std::string_view pattern, H&& h, RouteOptions o = {}) {
        add(method, pattern, detail::adapt(std::forward<H>(h)), o);
        return *this;
    }
    template <class H>
    App& get(std::string_view p, H&& h, RouteOptions o = {}) {
        return route("GET", p, std::forward<H>(h), o);
    }
    template <class H>
    App& post(std::string_view p, H&& h, RouteOptions o = {}) {
        return route("POST", p, std::forward<H>(h), o);
    }
    template <class H>
    App& put(std::string_view p, H&& h, RouteOptions o = {}) {
        return route("PUT", p, std::forward<H>(h), o);
    }
    template <class H>
    App& patch(std::string_view p, H&& h, RouteOptions o = {}) {
        return route("PATCH", p, std::forward<H>(h), o);
    }
    template <class H>
    App& del(std::string_view p, H&& h, RouteOptions o = {}) {
        return route("DELETE", p, std::forward<H>(h), o);
    }

    /// Routes under `prefix` with their own middleware.
    Group group(std::string_view prefix);

    /// Serves the files under `dir` at `prefix` (GET and HEAD): sendfile, ETag and
    /// Last-Modified, conditional requests (304), single ranges (206/416), a MIME table, an
    /// optional index file, and no way out of `dir`. Throws at start-up when `dir` is not a
    /// readable directory. Implemented in src/app/app_static.cpp.
    App& static_files(std::string_view prefix, std::string_view dir);
    App& static_files(std::string_view prefix, std::string_view dir, const StaticOptions& options);

    /// A WebSocket route: GET with an upgrade handshake, then `handler` runs for the life of
    /// the connection. Implemented in the ws layer (src/app/app_ws.cpp).
    App& ws(std::string_view pattern, WebSocketHandler handler);
    App& ws(std::string_view pattern, WebSocketHandler handler, const WebSocketOptions& options);
    /// Sends `message` to every WebSocket subscribed to `topic`, on every worker, in publish
    /// order. Safe from any thread, including handlers.
    void publish(std::string_view topic, std::string_view message, bool binary = false);

    /// A Server-Sent Events route (GET). Implemented in the sse layer (src/app/app_sse.cpp).
    App& sse(std::string_view pattern, SseHandler handler);
    App& sse(std::string_view pattern, SseHandler handler, const SseOptions& options);
    /// The SSE channel named `name`, created on first use; publish to it from any thread.
    SseChannel& channel(std::string_view name);

    /// Runs `fn` on every worker (in call order on each). Safe from any thread; does nothing
    /// before start(). The building block of pub/sub fan-out.
    void broadcast(std::function<void()> fn) const;

    /// Turns an exception from a handler into a response. The default answers HttpError with
    /// its status and message, and anything else with a bare 500 (the details go to the log,
    /// gannet/log.hpp).
    App& on_error(std::function<Response(Request&, std::exception_ptr)> hook);
    /// Answers requests that match no route (default: 404 with a short text body).
    App& on_not_found(std::function<Response(Request&)> hook);

    /// Applies `config` and binds the listening sockets now, so that a port in use throws
    /// here (std::runtime_error naming host and port).
    App& listen(Config config = {});
    /// Serves until SIGINT or SIGTERM (or stop()), then drains gracefully: stops accepting,
    /// finishes in-flight requests, closes idle connections, force-closes what is left at
    /// the shutdown deadline. Returns 0.
    int run();
    /// Starts the workers and returns at once (for tests and embedding); stop() and wait().
    void start();
    /// Begins a graceful drain; safe from any thread and from a handler.
    void stop() noexcept;
    /// Waits until the workers have ended after stop().
    void wait();

    /// The port listened on (after listen()), useful with port 0.
    std::uint16_t port() const noexcept;
    /// The number of workers (after listen()).
    unsigned threads() const noexcept;
    /// The configuration in force (after listen()).
    const Config& config() const noexcept;
    /// Counters summed over every worker since start(): readable from any thread, at any time
    /// (a value may lag a worker by a few increments).
    ServerStats stats() const noexcept;

    /// Internal: the implementation, for the ws and sse layers.
    detail::AppCore& core() noexcept { return *core_; }

  private:
    void add(std::string_view method, std::string_view pattern, detail::Endpoint e, RouteOptions o);
    std::unique_ptr<detail::AppCore> core_;
};

}  // namespace gannet
