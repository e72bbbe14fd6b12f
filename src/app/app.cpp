#include "app/app_core.hpp"

#include "http/accept.hpp"
#include "http/serializer.hpp"
#include "io/socket.hpp"
#include "io/tcp_stream.hpp"

#include <gannet/log.hpp>

#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <stdexcept>

namespace gannet {

namespace detail {

namespace {

Task<Response> wrap_sync(const std::function<Response(Request&)>& f, Request& req) {
    co_return f(req);
}

bool has_middleware(const Route& r) noexcept {
    for (const auto& layer : r.layers) {
        if (!layer->empty()) return true;
    }
    return false;
}

unsigned parse_env_number(const char* name, unsigned max) {
    const char* v = std::getenv(name);
    unsigned out = 0;
    std::string_view s = v;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size() || out > max) {
        throw std::invalid_argument(std::string("gannet: environment variable ") + name + "=" + v +
                                    " is not a number from 0 to " + std::to_string(max));
    }
    return out;
}

}  // namespace

void report_handler_failure(const Request& req, std::exception_ptr error) noexcept {
    const char* what = "a non-exception";
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        what = e.what();
    } catch (...) {
    }
    GANNET_LOG(LogLevel::error, "%.*s %.*s: handler threw: %s",
               static_cast<int>(req.method().size()), req.method().data(),
               static_cast<int>(req.path().size()), req.path().data(), what);
}

AppCore::AppCore() {
    not_found_.layers = {global};
    not_found_.endpoint.sync = [this](Request& req) {
        if (not_found_hook) return not_found_hook(req);
        return Response::status_only(404);
    };
    not_allowed_.layers = {global};
    not_allowed_.endpoint.sync = [this](Request& req) {
        Response r = Response::status_only(405);
        r.header("Allow", router_.allowed_methods(req.path()));
        return r;
    };
    // CONNECT asks for a tunnel to the authority in its target (RFC 9110 9.3.6), not for a
    // resource of ours, and no route can take it (routes are paths; the Router refuses CONNECT).
    // So the method is one this server does not implement for any resource: 501 (RFC 9110
    // 15.6.2, and 9.1: "not implemented" SHOULD be 501). A 405 would need an Allow listing the
    // target resource's methods, and a host:port names no resource here. The connection is
    // closed after it: a client may send tunnel bytes (a TLS ClientHello) right behind the
    // request without waiting for the answer, and those must not be parsed as HTTP.
    not_implemented_.layers = {global};
    not_implemented_.endpoint.sync = [](Request&) {
        Response r = Response::status_only(501);
        r.close();
        return r;
    };
    options_.layers = {global};
    options_.endpoint.sync = [this](Request& req) {
        Response r(204);
        r.header("Allow", router_.allowed_methods(req.path()));
        return r;
    };
}

AppCore::~AppCore() {
    if (started_ && !stopped_) {
        stop();
        wait();
    }
    for (int fd : listen_fds_) io::close_fd(fd);
}

void AppCore::add(std::string_view method, std::string_view pattern, Endpoint e,
                  std::vector<std::shared_ptr<std::vector<Middleware>>> layers,
                  std::optional<std::uint64_t> max_body) {
    if (started_) throw std::logic_error("gannet: routes must be added before the server starts");
    auto id = static_cast<std::uint32_t>(routes_.size());
    try {
        router_.add(method, pattern, id);
    } catch (const RouteError& err) {
        throw std::invalid_argument(err.what());
    }
    // Keep the server-wide method list for `OPTIONS *` (sorted, GET implies HEAD).
    std::vector<std::string> methods;
    for (std::string_view m : {std::string_view(method)}) methods.emplace_back(m);
    if (method == "GET") methods.emplace_back("HEAD");
    std::vector<std::string> all;
    std::string_view rest = all_methods_;
    while (!rest.empty()) {
        auto comma = rest.find(", ");
        all.emplace_back(rest.substr(0, comma));
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 2);
    }
    for (auto& m : methods) {
        if (std::find(all.begin(), all.end(), m) == all.end()) all.push_back(m);
    }
    std::sort(all.begin(), all.end());
    all_methods_.clear();
    for (auto& m : all) all_methods_ += (all_methods_.empty() ? "" : ", ") + m;

    auto r = std::make_unique<Route>();
    r->method = std::string(method);
    r->pattern = std::string(pattern);
    r->endpoint = std::move(e);
    r->layers = std::move(layers);
    r->max_body = max_body;
    routes_.push_back(std::move(r));
}

Response AppCore::error_response(Request& req, std::exception_ptr e) const noexcept {
    try {
        if (error_hook) return error_hook(req, e);
    } catch (const std::exception& hook_error) {
        GANNET_LOG(LogLevel::error, "the error hook threw: %s", hook_error.what());
        return Response::status_only(500);
    } catch (...) {
        return Response::status_only(500);
    }
    try {
        std::rethrow_exception(e);
    } catch (const HttpError& he) {
        try {
            Response r = Response::text(std::string(he.what()) + "\n", he.status());
            if (error_closes_connection(he.status())) r.close();
            return r;
        } catch (...) {
            return Response::status_only(500);
        }
    } catch (...) {
        report_handler_failure(req, std::current_exception());
    }
    return Response::status_only(500);
}

Task<Response> AppCore::call(const Route& route, std::size_t index, Request& req) const {
    std::size_t i = index;
    for (const auto& layer : route.layers) {
        if (i < layer->size()) return (*layer)[i](req, Next(this, &route, index + 1));
        i -= layer->size();
    }
    if (route.endpoint.async) return route.endpoint.async(req);
    return wrap_sync(route.endpoint.sync, req);
}

Task<Response> AppCore::guarded(const Route& route, Request& req) const {
    std::exception_ptr error;
    try {
        co_return co_await call(route, 0, req);
    } catch (...) {
        error = std::current_exception();
    }
    co_return error_response(req, error);
}

bool AppCore::prepare_body(const Route& route, Request& req, Response& res) const {
    std::uint64_t limit = route.max_body.value_or(config.max_body);
    // The connection starts every request at config.max_body (ServerLimits::max_body).
    if (route.max_body) req.set_body_limit(limit);
    const auto& head = req.head();
    // Decided before reading a byte of the body, and before any 100 Continue.
    if (head.body_kind == http::BodyKind::length && head.content_length > limit) {
        res = Response::text(
            "Payload Too Large: the body exceeds " + std::to_string(limit) + " bytes\n", 413);
        res.close();
        return false;
    }
    return true;
}

bool AppCore::handle(Request& req, Response& res, Task<Response>& task) {
    const auto& head = req.head();
    if (head.path == "*") {
        // OPTIONS * asks about the server as a whole (RFC 9110 9.3.7); the parser allows the
        // asterisk form with OPTIONS only.
        res = Response(204);
        res.header("Allow", all_methods_);
        return true;
    }
    std::uint32_t id = 0;
    const Route* route = &not_found_;
    if (head.method == "CONNECT") {
        route = &not_implemented_;  // its target is host:port, which no route can match
    } else {
        switch (router_.match(head.method, head.path, id, req.params())) {
            case MatchKind::found:
                route = routes_[id].get();
                break;
            case MatchKind::method_not_allowed:
                route = head.method == "OPTIONS" ? &options_ : &not_allowed_;
                break;
            case MatchKind::not_found:
                break;
        }
    }
    if (!prepare_body(*route, req, res)) return true;
    if (route->endpoint.sync && !has_middleware(*route)) {
        try {
            res = route->endpoint.sync(req);
        } catch (...) {
            res = error_response(req, std::current_exception());
        }
        return true;
    }
    task = guarded(*route, req);
    return false;
}

void AppCore::on_protocol_error(int, std::string_view) noexcept {}

void AppCore::listen(Config c) {
    if (started_) throw std::logic_error("gannet: listen() after the server started");
    if (c.env_overrides) {
        if (std::getenv("GANNET_PORT"))
            c.port = static_cast<std::uint16_t>(parse_env_number("GANNET_PORT", 65535));
        if (std::getenv("GANNET_THREADS")) c.threads = parse_env_number("GANNET_THREADS", 1024);
    }
    if (c.threads == 0) c.threads = std::max(1u, std::thread::hardware_concurrency());
    if (c.max_header_bytes < 64)
        throw std::invalid_argument("gannet: max_header_bytes must be at least 64");
    if (c.max_target == 0 || c.max_headers == 0 || c.max_connections == 0) {
        throw std::invalid_argument(
            "gannet: max_target, max_headers and max_connections must be positive");
    }
    config = c;
    limits_.parser.max_target = c.max_target;
    limits_.parser.max_header_bytes = c.max_header_bytes;
    limits_.parser.max_headers = c.max_headers;
    limits_.max_body = c.max_body;
    limits_.header_timeout_ms = static_cast<std::uint64_t>(c.header_timeout.count());
    limits_.idle_timeout_ms = static_cast<std::uint64_t>(c.idle_timeout.count());
    limits_.body_timeout_ms = static_cast<std::uint64_t>(c.body_timeout.count());
    limits_.write_timeout_ms = static_cast<std::uint64_t>(c.write_timeout.count());

    for (int fd : listen_fds_) io::close_fd(fd);
    listen_fds_.clear();
    // From here on SIGINT and SIGTERM wait for run() to turn them into a graceful drain: a
    // stop request right after the port is announced must not kill the process.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    // Port 0: the first socket picks the port, the others join it with SO_REUSEPORT.
    int first = io::listen_tcp(c.host, c.port, true);
    listen_fds_.push_back(first);
    bound_port = io::local_port(first);
    for (unsigned i = 1; i < c.threads; ++i) {
        listen_fds_.push_back(io::listen_tcp(c.host, bound_port, true, true));
    }
    worker_count = c.threads;
}

void AppCore::start() {
    if (listen_fds_.empty()) listen(config);
    if (started_.exchange(true)) throw std::logic_error("gannet: the server is already running");
    ::signal(SIGPIPE, SIG_IGN);
    stats_.clear();
    for (unsigned i = 0; i < worker_count; ++i) {
        auto w = std::make_unique<io::Worker>(i);
        io::Worker* wp = w.get();
        int fd = listen_fds_[i];
        http::ConnectionStats* stats =
            stats_.emplace_back(std::make_unique<http::ConnectionStats>()).get();
        wp->post([this, wp, fd, stats] {
            auto accept = [this, stats](int cfd, const sockaddr_storage& peer) {
                http::serve_stream(std::make_unique<io::TcpStream>(cfd, peer), limits_, *this,
                                   *stats);
            };
            auto l = std::make_unique<io::Listener>(fd, config.max_connections, accept);
            io::Listener* lp = l.get();
            wp->adopt(std::move(l));
            lp->start();
        });
        workers_.push_back(std::move(w));
    }
    listen_fds_.clear();  // owned by the listeners from here on
    for (auto& w : workers_) threads_.emplace_back([wp = w.get()] { wp->run(); });
}

void AppCore::broadcast(std::function<void()> fn) const {
    if (!started_) return;
    // One broadcast at a time: two threads publishing at once would otherwise interleave
    // their posts differently in each worker's mailbox, and workers would disagree on the
    // order (pub/sub promises every worker delivers in the same, publish, order).
    std::lock_guard lock(broadcast_mutex_);
    for (const auto& w : workers_) w->post(fn);
}

void AppCore::stop() noexcept {
    if (stop_requested_.exchange(true)) return;
    try {
        for (auto& w : workers_) w->post([wp = w.get()] { wp->drain(); });
    } catch (...) {
    }
}

void AppCore::wait() {
    std::lock_guard lock(lifecycle_mutex_);
    if (stopped_ || !started_) return;
    // Wait for every worker to drain, up to the deadline; then force-close what is left.
    auto deadline = std::chrono::steady_clock::now() + config.shutdown_timeout;
    std::vector<std::atomic<bool>> done(threads_.size());
    std::mutex m;
    std::condition_variable cv;
    std::vector<std::thread> joiners;
    for (std::size_t i = 0; i < threads_.size(); ++i) {
        joiners.emplace_back([&, i] {
            threads_[i].join();
            {
                std::lock_guard l(m);
                done[i] = true;
            }
            cv.notify_all();
        });
    }
    auto finished = [&] {
        for (auto& d : done) {
            if (!d) return false;
        }
        return true;
    };
    {
        std::unique_lock l(m);
        if (!cv.wait_until(l, deadline, finished)) {
            for (std::size_t i = 0; i < workers_.size(); ++i) {
                if (!done[i]) workers_[i]->post([wp = workers_[i].get()] { wp->abort_all(); });
            }
            if (!cv.wait_for(l, std::chrono::seconds(1), finished)) {
                for (std::size_t i = 0; i < workers_.size(); ++i) {
                    if (!done[i]) workers_[i]->post([wp = workers_[i].get()] { wp->stop(); });
                }
            }
        }
    }
    for (auto& j : joiners) j.join();
    threads_.clear();
    workers_.clear();
    stopped_ = true;
}

int AppCore::run() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    // Blocked before the workers start, so that only this thread receives them.
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    start();
    timespec tick{0, 100'000'000};
    while (!stop_requested_) {
        int sig = sigtimedwait(&set, nullptr, &tick);
        if (sig == SIGINT || sig == SIGTERM) break;
    }
    stop();
    wait();
    return 0;
}

}  // namespace detail

Task<Response> Next::operator()(Request& req) const {
    return app_->call(*route_, index_, req);
}

Group& Group::use(Middleware mw) {
    layers_.back()->push_back(std::move(mw));
    return *this;
}

Group Group::group(std::string_view prefix) {
    auto layers = layers_;
    layers.push_back(std::make_shared<std::vector<Middleware>>());
    return Group(core_, prefix_ + std::string(prefix), std::move(layers));
}

void Group::add(std::string_view method, std::string_view pattern, detail::Endpoint e,
                RouteOptions o) {
    core_->add(method, prefix_ + std::string(pattern), std::move(e), layers_, o.max_body);
}

App::App() : core_(std::make_unique<detail::AppCore>()) {}
App::~App() = default;

App& App::use(Middleware mw) {
    core_->global->push_back(std::move(mw));
    return *this;
}

Group App::group(std::string_view prefix) {
    return Group(core_.get(), std::string(prefix),
                 {core_->global, std::make_shared<std::vector<Middleware>>()});
}

App& App::on_error(std::function<Response(Request&, std::exception_ptr)> hook) {
    core_->error_hook = std::move(hook);
    return *this;
}

App& App::on_not_found(std::function<Response(Request&)> hook) {
    core_->not_found_hook = std::move(hook);
    return *this;
}

App& App::listen(Config config) {
    core_->listen(std::move(config));
    return *this;
}

int App::run() {
    return core_->run();
}
void App::start() {
    core_->start();
}
void App::broadcast(std::function<void()> fn) const {
    core_->broadcast(std::move(fn));
}
void App::stop() noexcept {
    core_->stop();
}
void App::wait() {
    core_->wait();
}
std::uint16_t App::port() const noexcept {
    return core_->bound_port;
}
ServerStats detail::AppCore::stats() const noexcept {
    ServerStats out;
    for (const auto& s : stats_) {
        out.connections += s->connections.get();
        out.requests += s->requests.get();
        out.protocol_errors += s->protocol_errors.get();
        out.timeouts += s->timeouts.get();
    }
    return out;
}

ServerStats App::stats() const noexcept {
    return core_->stats();
}

unsigned App::threads() const noexcept {
    return core_->worker_count;
}
const Config& App::config() const noexcept {
    return core_->config;
}

void App::add(std::string_view method, std::string_view pattern, detail::Endpoint e,
              RouteOptions o) {
    core_->add(method, pattern, std::move(e), {core_->global}, o.max_body);
}

}  // namespace gannet
