// The App's implementation: route table, dispatch (the http::Service), workers and lifecycle.
#pragma once

#include "app/router.hpp"
#include "http/connection.hpp"
#include "io/worker.hpp"

#include <gannet/app.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace gannet::detail {

class AppCore final : public http::Service {
  public:
    AppCore();
    ~AppCore();

    void add(std::string_view method, std::string_view pattern, Endpoint e,
             std::vector<std::shared_ptr<std::vector<Middleware>>> layers,
             std::optional<std::uint64_t> max_body);

    // http::Service
    bool handle(Request& req, Response& res, Task<Response>& task) override;
    void on_protocol_error(int status, std::string_view reason) noexcept override;

    /// Runs layer middleware / the endpoint at flat position `index` of `route`'s chain.
    Task<Response> call(const Route& route, std::size_t index, Request& req) const;

    /// Posts `fn` to every worker; a no-op before start().
    void broadcast(std::function<void()> fn) const;
    /// The sum of every worker's counters.
    ServerStats stats() const noexcept;
    /// State owned by the ws and sse layers (topic registries, channels), kept per App.
    std::shared_ptr<void> ws_state;
    std::shared_ptr<void> sse_state;
    std::mutex extension_mutex;  ///< guards creating ws_state / sse_state

    void listen(Config config);
    void start();
    void stop() noexcept;
    void wait();
    int run();

    std::shared_ptr<std::vector<Middleware>> global = std::make_shared<std::vector<Middleware>>();
    std::function<Response(Request&, std::exception_ptr)> error_hook;
    std::function<Response(Request&)> not_found_hook;
    Config config;
    std::uint16_t bound_port = 0;
    unsigned worker_count = 0;

  private:
    Response error_response(Request& req, std::exception_ptr e) const noexcept;
    Task<Response> guarded(const Route& route, Request& req) const;
    bool prepare_body(const Route& route, Request& req, Response& res) const;

    Router router_;
    std::string all_methods_ = "OPTIONS";  // the Allow value of `OPTIONS *`
    std::vector<std::unique_ptr<Route>> routes_;
    Route not_found_;
    Route not_allowed_;
    Route not_implemented_;  // CONNECT: 501
    Route options_;
    http::ServerLimits limits_;

    std::vector<int> listen_fds_;
    std::vector<std::unique_ptr<io::Worker>> workers_;
    // One per worker, kept after the workers end so that stats() stays readable.
    std::vector<std::unique_ptr<http::ConnectionStats>> stats_;
    std::vector<std::thread> threads_;
    std::atomic<bool> stop_requested_{false};
    std::atomic<bool> started_{false};
    mutable std::mutex broadcast_mutex_;  // keeps every worker's mailbox in the same order
    std::mutex lifecycle_mutex_;
    bool stopped_ = false;
};

}  // namespace gannet::detail
