#include "net/connect.hpp"

#include "io/tcp_stream.hpp"
#include "net/address.hpp"
#include "net/happy_eyeballs.hpp"
#include "net/resolver.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

namespace gannet::net {

namespace {

using Cause = ConnectError::Cause;

void set_port(sockaddr_storage& a, std::uint16_t port) noexcept {
    if (a.ss_family == AF_INET) {
        reinterpret_cast<sockaddr_in*>(&a)->sin_port = htons(port);
    } else {
        reinterpret_cast<sockaddr_in6*>(&a)->sin6_port = htons(port);
    }
}

Task<std::unique_ptr<io::Stream>> connect_impl(std::string host, std::uint16_t port,
                                               ConnectOptions options) {
    if (host.empty() || port == 0) {
        throw ConnectError(Cause::invalid_address, host, port,
                           host.empty() ? "empty host" : "port 0");
    }
    io::Worker* w = io::Worker::current();
    if (w == nullptr) {
        throw std::logic_error("gannet: net::connect to " + host +
                               " called off a worker thread (call it from a handler)");
    }
    const auto timeout_ms =
        static_cast<std::uint64_t>(std::max<long long>(options.timeout.count(), 1));
    const std::uint64_t deadline = w->now_ms() + timeout_ms;

    std::vector<sockaddr_storage> addresses;
    if (auto numeric = parse_numeric(host, port)) {
        addresses.push_back(*numeric);
    } else {
        Resolution found = co_await Resolver::current().lookup(host, timeout_ms);
        switch (found.status) {
            case Resolution::Status::found:
                break;
            case Resolution::Status::cancelled:
                throw Cancelled();
            case Resolution::Status::timed_out:
                throw ConnectError(Cause::resolver_timed_out, host, port,
                                   "no answer within the connect timeout of " +
                                       std::to_string(timeout_ms) + " ms");
            case Resolution::Status::failed:
                throw ConnectError(found.cause, host, port, found.detail);
        }
        addresses = interleave(found.addresses);
        for (auto& a : addresses) set_port(a, port);
    }
    auto delay = static_cast<std::uint64_t>(std::max<long long>(options.attempt_delay.count(), 1));
    co_return co_await race(host, port, std::move(addresses), deadline, delay);
}

}  // namespace

Task<std::unique_ptr<io::Stream>> connect_stream(std::string_view host, std::uint16_t port,
                                                 const ConnectOptions& options) {
    // Copies now: the task starts later, when awaited, and the caller's view may be gone.
    return connect_impl(std::string(host), port, options);
}

}  // namespace gannet::net
