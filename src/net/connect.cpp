#include "net/connect.hpp"

#include "io/socket.hpp"
#include "io/tcp_stream.hpp"
#include "net/address.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace gannet::net {

namespace {

using Cause = ConnectError::Cause;

// Starts a non-blocking connect to `addr`. Returns the socket, or -1 with `err` set when it
// failed at once (no route, no address of that family).
int start_connect(const sockaddr_storage& addr, int& err) noexcept {
    int fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        err = errno;
        return -1;
    }
    socklen_t len = addr.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
    int rc;
    do {
        rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), len);
    } while (rc != 0 && errno == EINTR);
    if (rc == 0 || errno == EINPROGRESS) {
        err = 0;
        return fd;
    }
    err = errno;
    io::close_fd(fd);
    return -1;
}

int socket_error(int fd) noexcept {
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
    return err;
}

std::vector<sockaddr_storage> addresses_of(const std::string& host, std::uint16_t port) {
    if (auto a = parse_numeric(host, port)) return {*a};
    if (host == "localhost")
        return {*parse_numeric("127.0.0.1", port), *parse_numeric("::1", port)};
    throw ConnectError(Cause::no_such_host, host, port, "only numeric addresses and localhost yet");
}

Task<std::unique_ptr<io::Stream>> connect_impl(std::string host, std::uint16_t port,
                                               ConnectOptions options) {
    if (host.empty() || port == 0) {
        throw ConnectError(Cause::invalid_address, host, port,
                           host.empty() ? "empty host" : "port 0");
    }
    io::Worker* w = io::Worker::current();
    GANNET_ASSERT(w != nullptr, "net::connect called off a worker thread");
    const std::uint64_t deadline =
        w->now_ms() + static_cast<std::uint64_t>(std::max<long long>(options.timeout.count(), 1));
    Cause cause = Cause::other;
    std::string tried;
    for (const sockaddr_storage& addr : addresses_of(host, port)) {
        if (!tried.empty()) tried += ", ";
        tried += to_string(addr);
        int err = 0;
        int fd = start_connect(addr, err);
        if (fd < 0) {
            cause = cause_of_errno(err);
            tried += std::string(": ") + std::strerror(err);
            continue;
        }
        auto stream = std::make_unique<io::TcpStream>(fd, addr);
        stream->attach_connecting();
        std::uint64_t now = w->now_ms();
        if (now >= deadline) {
            cause = Cause::timed_out;
            break;
        }
        io::WaitResult r = co_await stream->wait_writable(deadline - now);
        if (r == io::WaitResult::timed_out) {
            cause = Cause::timed_out;
            break;
        }
        if (r == io::WaitResult::cancelled) throw Cancelled();
        err = socket_error(fd);
        if (err == 0) {
            int one = 1;
            ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            co_return std::unique_ptr<io::Stream>(std::move(stream));
        }
        cause = cause_of_errno(err);
        if (cause == Cause::other) tried += std::string(": ") + std::strerror(err);
    }
    throw ConnectError(cause, host, port, tried);
}

}  // namespace

Task<std::unique_ptr<io::Stream>> connect_stream(std::string_view host, std::uint16_t port,
                                                 const ConnectOptions& options) {
    // Copies now: the task starts later, when awaited, and the caller's view may be gone.
    return connect_impl(std::string(host), port, options);
}

}  // namespace gannet::net
