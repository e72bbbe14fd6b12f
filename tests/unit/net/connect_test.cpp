#include "net/connect.hpp"

#include "net_harness.hpp"

#include <gannet/net.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <string>

using namespace std::chrono_literals;
using gannet::Task;
using gannet::net::ConnectError;
using gannet::net::ConnectOptions;
using gannet::test::Listener;
using gannet::test::open_fds;
using gannet::test::WorkerThread;
using Cause = ConnectError::Cause;

namespace {

// What a connect ended with, taken apart on the worker (the stream must die there).
struct Outcome {
    bool connected = false;
    std::string peer;
    std::string local;
    Cause cause = Cause::other;
    std::string what;
    long ms = 0;
};

Task<Outcome> try_connect(std::string host, std::uint16_t port, ConnectOptions options) {
    Outcome o;
    auto start = std::chrono::steady_clock::now();
    try {
        auto s = co_await gannet::net::connect_stream(host, port, options);
        o.connected = true;
        o.peer = std::string(s->peer_address());
        o.local = std::string(s->local_address());
    } catch (const ConnectError& e) {
        o.cause = e.cause();
        o.what = e.what();
    }
    o.ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start)
               .count();
    co_return o;
}

Outcome connect_on(WorkerThread& wt, std::string host, std::uint16_t port,
                   ConnectOptions options = {}) {
    return wt.run([=] { return try_connect(host, port, options); });
}

}  // namespace

TEST(NetConnect, ReachesAListenerOnIPv4Loopback) {
    int before = open_fds();
    {
        WorkerThread wt;
        Listener l("127.0.0.1");
        int fds = open_fds();
        Outcome o = connect_on(wt, "127.0.0.1", l.port());
        EXPECT_TRUE(o.connected) << o.what;
        EXPECT_EQ(o.peer, "127.0.0.1:" + std::to_string(l.port()));
        EXPECT_EQ(o.local.rfind("127.0.0.1:", 0), 0u) << o.local;
        EXPECT_EQ(open_fds(), fds);  // the stream was closed when the task dropped it
    }
    EXPECT_EQ(open_fds(), before);
}

TEST(NetConnect, ReachesAListenerOnIPv6Loopback) {
    WorkerThread wt;
    Listener l("::1");
    Outcome o = connect_on(wt, "::1", l.port());
    EXPECT_TRUE(o.connected) << o.what;
    EXPECT_EQ(o.peer, "[::1]:" + std::to_string(l.port()));
    Outcome bracketed = connect_on(wt, "[::1]", l.port());
    EXPECT_TRUE(bracketed.connected) << bracketed.what;
}

TEST(NetConnect, LocalhostReachesIPv4AndIPv6Listeners) {
    WorkerThread wt;
    Listener v4("127.0.0.1");
    Outcome o = connect_on(wt, "localhost", v4.port());
    EXPECT_TRUE(o.connected) << o.what;
    EXPECT_EQ(o.peer, "127.0.0.1:" + std::to_string(v4.port()));
    // A port where only ::1 listens: localhost reaches it through its IPv6 address.
    Listener v6("::1");
    Outcome o6 = connect_on(wt, "localhost", v6.port());
    EXPECT_TRUE(o6.connected) << o6.what;
    EXPECT_EQ(o6.peer, "[::1]:" + std::to_string(v6.port()));
}

TEST(NetConnect, ARefusedPortNamesHostPortAndCause) {
    WorkerThread wt;
    int before = open_fds();
    std::uint16_t port = gannet::test::closed_port();
    Outcome o = connect_on(wt, "127.0.0.1", port);
    EXPECT_FALSE(o.connected);
    EXPECT_EQ(o.cause, Cause::refused);
    std::string p = std::to_string(port);
    EXPECT_EQ(o.what, "connect to 127.0.0.1:" + p + ": connection refused (127.0.0.1:" + p + ")");
    EXPECT_EQ(open_fds(), before);
}

TEST(NetConnect, AFullBacklogTimesOut) {
    WorkerThread wt;
    // Linux drops SYNs while the accept queue is full: with backlog 0 it holds one connection,
    // so after two that are never accepted a further connect hangs in SYN_SENT.
    Listener l("127.0.0.1", 0);
    int before = open_fds();
    std::vector<int> fillers = gannet::test::fill_backlog("127.0.0.1", l.port());
    int with_fillers = open_fds();
    ConnectOptions opt;
    opt.timeout = 300ms;
    Outcome o = connect_on(wt, "127.0.0.1", l.port(), opt);
    EXPECT_FALSE(o.connected);
    EXPECT_EQ(o.cause, Cause::timed_out) << o.what;
    EXPECT_GE(o.ms, 280);
    EXPECT_LT(o.ms, 2000);
    std::string p = std::to_string(l.port());
    EXPECT_EQ(o.what, "connect to 127.0.0.1:" + p + ": timed out (127.0.0.1:" + p + ")");
    EXPECT_EQ(open_fds(), with_fillers);
    for (int fd : fillers) ::close(fd);
    EXPECT_EQ(open_fds(), before);
}

TEST(NetConnect, BadArgumentsAreRefusedWithTheirReason) {
    WorkerThread wt;
    Outcome empty = connect_on(wt, "", 80);
    EXPECT_EQ(empty.cause, Cause::invalid_address);
    EXPECT_EQ(empty.what, "connect to :80: invalid address (empty host)");
    Outcome port0 = connect_on(wt, "127.0.0.1", 0);
    EXPECT_EQ(port0.cause, Cause::invalid_address);
    EXPECT_EQ(port0.what, "connect to 127.0.0.1:0: invalid address (port 0)");
}
