// What the HTTP client tests share: a worker thread, a way to run a client coroutine on it and
// wait for its result, connectors (in-memory streams the test scripts; real loopback sockets)
// and the process's open descriptor count, for leak checks.
#pragma once

#include "clients/proxy_support.hpp"
#include "io/tcp_stream.hpp"
#include "support/connection_harness.hpp"
#include "support/memory_stream.hpp"

#include <gannet/client.hpp>
#include <gannet/task.hpp>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gannet::test {
inline namespace client_support {  // see connection_harness.hpp

/// Starts the coroutine `make()` returns on the worker; the future gets its result (or what it
/// threw).
template <class F>
auto start_on(WorkerThread& wt, F make) {
    using T = decltype(make().operator co_await().await_resume());
    auto promise = std::make_shared<std::promise<T>>();
    auto fut = promise->get_future();
    wt.worker().post([make = std::move(make), promise]() mutable {
        gannet::spawn([](F make, std::shared_ptr<std::promise<T>> p) -> Task<void> {
            try {
                if constexpr (std::is_void_v<T>) {
                    co_await make();
                    p->set_value();
                } else {
                    p->set_value(co_await make());
                }
            } catch (...) {
                p->set_exception(std::current_exception());
            }
        }(std::move(make), promise));
    });
    return fut;
}

/// Waits (20 s at most) for a future of start_on().
template <class T>
T await_result(std::future<T>& fut) {
    if (fut.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
        std::fprintf(stderr, "await_result: the coroutine did not finish in 20 s\n");
        std::abort();
    }
    return fut.get();
}

/// Runs the coroutine `make()` returns on the worker and waits for its result; rethrows what
/// it threw.
template <class F>
auto run_on(WorkerThread& wt, F make) {
    auto fut = start_on(wt, std::move(make));
    return await_result(fut);
}

/// The kind of ClientError `fn` throws (fails the test when it throws nothing or else).
template <class F>
std::optional<ClientErrorKind> error_kind(F&& fn, std::string* what = nullptr) {
    try {
        fn();
    } catch (const ClientError& e) {
        if (what != nullptr) *what = e.what();
        return e.kind();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "unexpected exception: " << e.what();
        return std::nullopt;
    }
    ADD_FAILURE() << "no ClientError thrown";
    return std::nullopt;
}

/// A connector that hands out in-memory streams; the test scripts their far ends.
struct MemoryConnector {
    std::vector<std::shared_ptr<MemoryPeer>> peers;  // one per connection made, in order
    std::size_t refuse_next = 0;                     // that many connects fail first
    std::size_t output_capacity = 0;                 // for new streams (0: no limit)

    clients::Connector connector() {
        return
            [this](const clients::Origin& o, std::uint64_t) -> Task<std::unique_ptr<io::Stream>> {
                if (refuse_next > 0) {
                    --refuse_next;
                    throw std::runtime_error("connect to " + o.key + ": connection refused");
                }
                auto [stream, peer] = make_memory_stream();
                peer->set_peer_address(o.host + ":" + std::to_string(o.port));
                peer->set_output_capacity(output_capacity);
                stream->attach();
                peers.push_back(peer);
                co_return std::move(stream);
            };
    }
};

/// A connector to 127.0.0.1 over real sockets (a blocking connect: loopback answers at once).
inline clients::Connector loopback_connector() {
    return [](const clients::Origin& o, std::uint64_t) -> Task<std::unique_ptr<io::Stream>> {
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_storage ss{};
        auto* a = reinterpret_cast<sockaddr_in*>(&ss);
        a->sin_family = AF_INET;
        a->sin_port = htons(o.port);
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd, reinterpret_cast<sockaddr*>(a), sizeof *a) != 0) {
            ::close(fd);
            throw std::runtime_error("connect to " + o.key + ": connection refused");
        }
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
        auto s = std::make_unique<io::TcpStream>(fd, ss);
        s->attach();
        co_return std::move(s);
    };
}

/// Open descriptors of this process.
inline int open_fds() {
    int n = 0;
    if (DIR* d = ::opendir("/proc/self/fd")) {
        while (::readdir(d) != nullptr) ++n;
        ::closedir(d);
    }
    return n - 3;  // ".", ".." and the directory's own descriptor
}

}  // namespace client_support
}  // namespace gannet::test
