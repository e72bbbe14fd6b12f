// net::connect and net::TcpConnection, the public client connection, against real peers.
#include "net_harness.hpp"

#include <gannet/net.hpp>
#include <gannet/runtime.hpp>

#include <gtest/gtest.h>

#include <sys/socket.h>

#include <string>
#include <thread>

using namespace std::chrono_literals;
using gannet::Task;
using gannet::net::ConnectionError;
using gannet::net::TcpConnection;
using gannet::test::Listener;
using gannet::test::open_fds;
using gannet::test::WorkerThread;

namespace {

// Accepts one connection and echoes what it reads until the peer shuts down its side; reads
// `pause` before each read (a slow reader makes the writer wait).
std::thread echo_once(Listener& l, std::chrono::milliseconds pause = 0ms) {
    return std::thread([&l, pause] {
        int fd = l.accept();
        char buf[65536];
        for (;;) {
            if (pause.count() > 0) std::this_thread::sleep_for(pause);
            ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) break;
            for (ssize_t at = 0; at < n;) {
                ssize_t w = ::send(fd, buf + at, static_cast<std::size_t>(n - at), MSG_NOSIGNAL);
                if (w <= 0) break;
                at += w;
            }
        }
        ::shutdown(fd, SHUT_WR);
        ::close(fd);
    });
}

Task<std::size_t> drain(TcpConnection& c, std::string& into) {
    char buf[16384];
    for (;;) {
        std::size_t n = co_await c.read(buf);
        if (n == 0) co_return into.size();
        into.append(buf, n);
    }
}

Task<std::string> echo_round_trip(std::uint16_t port, std::string payload) {
    TcpConnection c = co_await gannet::net::connect("localhost", port);
    std::string peer(c.peer_address());
    // The peer echoes while we write: read concurrently so neither side's buffers fill up.
    std::string back;
    bool done = false;
    auto reader = [](TcpConnection& c, std::string& back, bool& done) -> Task<void> {
        co_await drain(c, back);
        done = true;
    };
    gannet::spawn(reader(c, back, done));
    co_await c.write(payload);
    c.shutdown_write();
    while (!done) co_await gannet::sleep_for(5ms);
    co_return peer + " " + std::to_string(back.size()) + " " +
        (back == payload ? "same" : "differs");
}

Task<std::string> read_error(std::uint16_t port, std::chrono::milliseconds timeout) {
    TcpConnection c = co_await gannet::net::connect("127.0.0.1", port);
    c.set_timeout(timeout);
    char buf[16];
    try {
        std::size_t n = co_await c.read(buf);
        co_return "read " + std::to_string(n);
    } catch (const ConnectionError& e) {
        co_return std::string(e.timed_out() ? "timed out: " : "failed: ") + e.what();
    }
}

Task<std::string> use_after_close(std::uint16_t port) {
    TcpConnection c = co_await gannet::net::connect("127.0.0.1", port);
    TcpConnection moved = std::move(c);
    std::string state =
        std::string(c.is_open() ? "open" : "closed") + "/" + (moved.is_open() ? "open" : "closed");
    moved.close();
    char buf[4];
    try {
        co_await moved.read(buf);
    } catch (const ConnectionError& e) {
        co_return state + " " + e.what();
    }
    co_return state + " read after close";
}

}  // namespace

TEST(TcpConnection, WritesAndReadsBackEverythingWithBackpressure) {
    Listener l("127.0.0.1");
    int before = open_fds();
    {
        WorkerThread wt;
        // 8 MiB through a peer that reads slowly: the write waits for room, many times.
        std::thread peer = echo_once(l, 1ms);
        std::string payload(8 << 20, '\0');
        for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 7);
        std::string r = wt.run([&] { return echo_round_trip(l.port(), payload); }, 60s);
        peer.join();
        EXPECT_EQ(r, "127.0.0.1:" + std::to_string(l.port()) + " 8388608 same");
    }
    EXPECT_EQ(open_fds(), before);
}

TEST(TcpConnection, AResetPeerIsAConnectionErrorNamingIt) {
    Listener l("127.0.0.1");
    WorkerThread wt;
    std::thread peer([&] {
        int fd = l.accept();
        linger lg{1, 0};  // close with a reset
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        ::close(fd);
    });
    std::string r = wt.run([&] { return read_error(l.port(), 0ms); });
    peer.join();
    EXPECT_EQ(r, "failed: read from 127.0.0.1:" + std::to_string(l.port()) + ": connection reset");
}

TEST(TcpConnection, ASilentPeerTimesOutTheRead) {
    Listener l("127.0.0.1");  // accepts in the kernel, never sends
    WorkerThread wt;
    auto start = std::chrono::steady_clock::now();
    std::string r = wt.run([&] { return read_error(l.port(), 150ms); });
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - start)
                  .count();
    EXPECT_EQ(r, "timed out: read from 127.0.0.1:" + std::to_string(l.port()) + ": timed out");
    EXPECT_GE(ms, 140);
    EXPECT_LT(ms, 1000);
}

TEST(TcpConnection, MovedFromAndClosedConnectionsSaySo) {
    Listener l("127.0.0.1");
    WorkerThread wt;
    std::string r = wt.run([&] { return use_after_close(l.port()); });
    EXPECT_EQ(r, "closed/open read: the connection is closed");
}
