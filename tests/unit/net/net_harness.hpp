// What the net tests share: a worker on its own thread that runs one task at a time and hands
// back its result, plain listening sockets, and a count of the process's open descriptors.
#pragma once

#include "io/worker.hpp"

#include <gannet/cancel.hpp>
#include <gannet/net.hpp>
#include <gannet/task.hpp>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace gannet::test {
// Its own inline namespace: other harnesses have a WorkerThread too, and two classes of one
// name in one test binary would be an ODR violation.
inline namespace net_support {

template <class>
struct TaskValue;
template <class T>
struct TaskValue<Task<T>> {
    using type = T;
};

/// Open descriptors of this process (/proc/self/fd, minus the one reading it).
inline int open_fds() {
    int n = 0;
    if (DIR* d = opendir("/proc/self/fd")) {
        while (dirent* e = readdir(d)) {
            if (e->d_name[0] != '.') ++n;
        }
        closedir(d);
    }
    return n - 1;
}

/// Sets the process-wide resolver options for a test and restores the defaults after it.
struct ResolverOptionsGuard {
    explicit ResolverOptionsGuard(net::ResolverOptions o) {
        net::set_resolver_options(std::move(o));
    }
    ~ResolverOptionsGuard() { net::set_resolver_options({}); }
};

/// A worker running on its own thread for the life of the object.
class WorkerThread {
  public:
    WorkerThread() : thread_([this] { worker_.run(); }) {}
    ~WorkerThread() {
        worker_.post([this] { worker_.stop(); });
        thread_.join();
    }
    io::Worker& worker() noexcept { return worker_; }

    /// Runs the task made by `make()` on the worker and waits for its result (or rethrows its
    /// exception). Throws when it takes longer than `limit`.
    template <class F>
    auto run(F make, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
        return run_in(nullptr, std::move(make), limit);
    }
    /// run() with the task in `scope` (gannet/cancel.hpp): scope->cancel(), posted to the
    /// worker, cancels what the task awaits.
    template <class F>
    auto run_in(detail::CancelScope* scope, F make,
                std::chrono::milliseconds limit = std::chrono::seconds(20)) {
        using T = typename TaskValue<std::invoke_result_t<F&>>::type;
        // Shared: a task that outlives a timed-out wait still has somewhere to put its result.
        auto p = std::make_shared<std::promise<T>>();
        auto f = p->get_future();
        worker_.post([make, p, scope]() mutable {
            auto task = make();
            task.bind_cancel_scope(scope);
            gannet::spawn(drive<T>(std::move(task), p));
        });
        if (f.wait_for(limit) != std::future_status::ready) {
            throw std::runtime_error("the task did not finish in time");
        }
        return f.get();
    }

  private:
    template <class T>
    static Task<void> drive(Task<T> t, std::shared_ptr<std::promise<T>> p) {
        try {
            if constexpr (std::is_void_v<T>) {
                co_await std::move(t);
                p->set_value();
            } else {
                p->set_value(co_await std::move(t));
            }
        } catch (...) {
            p->set_exception(std::current_exception());
        }
    }

    io::Worker worker_{0};
    std::thread thread_;
};

/// A plain listening TCP socket on `host` (an IPv4 or IPv6 literal), port 0, that never accepts
/// unless asked: a connect completes in the kernel's backlog.
class Listener {
  public:
    explicit Listener(const std::string& host = "127.0.0.1", int backlog = 16,
                      std::uint16_t port = 0) {
        sockaddr_storage ss{};
        socklen_t len = 0;
        if (host.find(':') != std::string::npos) {
            auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
            a->sin6_family = AF_INET6;
            a->sin6_port = htons(port);
            inet_pton(AF_INET6, host.c_str(), &a->sin6_addr);
            len = sizeof *a;
        } else {
            auto* a = reinterpret_cast<sockaddr_in*>(&ss);
            a->sin_family = AF_INET;
            a->sin_port = htons(port);
            inet_pton(AF_INET, host.c_str(), &a->sin_addr);
            len = sizeof *a;
        }
        fd_ = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
            ::listen(fd_, backlog) != 0) {
            throw std::runtime_error("test listener on " + host + " failed");
        }
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len);
        port_ = ntohs(ss.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                              : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
    }
    ~Listener() { close(); }
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

    std::uint16_t port() const noexcept { return port_; }
    int fd() const noexcept { return fd_; }
    /// Accepts one connection (blocking); returns its fd.
    int accept() { return ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC); }
    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

  private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

/// Fills the accept queue of `l` (made with backlog 0) with connections nobody accepts, so that
/// Linux drops the SYNs of the next ones: a connect to it hangs. Close the returned fds after.
inline std::vector<int> fill_backlog(const std::string& host, std::uint16_t port) {
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (host.find(':') != std::string::npos) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        inet_pton(AF_INET6, host.c_str(), &a->sin6_addr);
        len = sizeof *a;
    } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&ss);
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        inet_pton(AF_INET, host.c_str(), &a->sin_addr);
        len = sizeof *a;
    }
    std::vector<int> fds;
    for (int i = 0; i < 2; ++i) {
        int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        ::connect(fd, reinterpret_cast<sockaddr*>(&ss), len);
        fds.push_back(fd);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the handshakes complete
    return fds;
}

/// A port on `host` where nothing listens (bound, then closed: the kernel answers with a reset).
inline std::uint16_t closed_port(const std::string& host = "127.0.0.1") {
    Listener l(host);
    return l.port();
}

}  // namespace net_support
}  // namespace gannet::test
