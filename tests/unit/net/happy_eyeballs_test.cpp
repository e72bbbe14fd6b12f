// Happy Eyeballs (RFC 8305) and cancellation of connects, with real sockets: a hanging
// listener is one whose accept queue is full (Linux drops the SYNs).
#include "net/happy_eyeballs.hpp"

#include "dns_server.hpp"
#include "net/address.hpp"
#include "net/connect.hpp"
#include "net/resolver.hpp"
#include "net_harness.hpp"

#include <gannet/net.hpp>

#include <gtest/gtest.h>

using namespace std::chrono_literals;
using gannet::Task;
using gannet::net::ConnectError;
using gannet::net::ConnectOptions;
using gannet::test::DnsServer;
using gannet::test::Listener;
using gannet::test::open_fds;
using gannet::test::ResolverOptionsGuard;
using gannet::test::WorkerThread;
using Cause = ConnectError::Cause;

namespace {

struct Outcome {
    bool connected = false;
    bool cancelled = false;
    std::string peer;
    Cause cause = Cause::other;
    std::string what;
    long ms = 0;
};

Task<Outcome> attempt(std::string host, std::uint16_t port, ConnectOptions options) {
    Outcome o;
    auto start = std::chrono::steady_clock::now();
    try {
        auto s = co_await gannet::net::connect_stream(host, port, options);
        o.connected = true;
        o.peer = std::string(s->peer_address());
    } catch (const ConnectError& e) {
        o.cause = e.cause();
        o.what = e.what();
    } catch (const gannet::Cancelled&) {
        o.cancelled = true;
    }
    o.ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start)
               .count();
    co_return o;
}

// Two listeners on one port number, [::1] and 127.0.0.1 (retrying until a port is free in both).
struct DualPort {
    std::unique_ptr<Listener> v6;
    std::unique_ptr<Listener> v4;
    DualPort(int v6_backlog, int v4_backlog) {
        for (int i = 0; i < 50 && !v4; ++i) {
            v6 = std::make_unique<Listener>("::1", v6_backlog);
            try {
                v4 = std::make_unique<Listener>("127.0.0.1", v4_backlog, v6->port());
            } catch (const std::runtime_error&) {
                v6.reset();
            }
        }
        if (!v4) throw std::runtime_error("no port free on both loopbacks");
    }
    std::uint16_t port() const { return v4->port(); }
};

gannet::net::ResolverOptions pointing_at(const DnsServer& dns) {
    gannet::net::ResolverOptions o;
    o.servers = {dns.address()};
    o.query_timeout = 300ms;
    return o;
}

sockaddr_storage addr(const char* host) {
    return *gannet::net::parse_numeric(host, 0);
}

}  // namespace

TEST(HappyEyeballs, InterleavesFamiliesStartingWithIPv6) {
    std::vector<sockaddr_storage> in = {addr("10.0.0.1"), addr("10.0.0.2"), addr("10.0.0.3"),
                                        addr("fd00::1"), addr("fd00::2")};
    std::vector<std::string> out;
    for (auto& a : gannet::net::interleave(in)) out.push_back(gannet::net::to_string(a));
    EXPECT_EQ(out, (std::vector<std::string>{"[fd00::1]:0", "10.0.0.1:0", "[fd00::2]:0",
                                             "10.0.0.2:0", "10.0.0.3:0"}));
}

TEST(HappyEyeballs, AHangingIPv6AddressFallsBackToIPv4AfterTheAttemptDelay) {
    DnsServer dns;
    dns.add("dual.gannet.test", {"::1", "127.0.0.1"}, 60);
    ResolverOptionsGuard guard(pointing_at(dns));
    DualPort ports(/*v6_backlog=*/0, /*v4_backlog=*/16);
    std::vector<int> fillers = gannet::test::fill_backlog("::1", ports.port());
    int before = open_fds();
    {
        WorkerThread wt;
        ConnectOptions o;
        o.timeout = 5s;
        Outcome out = wt.run([&] { return attempt("dual.gannet.test", ports.port(), o); });
        ASSERT_TRUE(out.connected) << out.what;
        EXPECT_EQ(out.peer, "127.0.0.1:" + std::to_string(ports.port()));
        // One attempt delay (250 ms), not the 5 s timeout.
        EXPECT_GE(out.ms, 240);
        EXPECT_LT(out.ms, 1500);
        // A shorter delay is honoured.
        o.attempt_delay = 50ms;
        Outcome quick = wt.run([&] { return attempt("dual.gannet.test", ports.port(), o); });
        ASSERT_TRUE(quick.connected) << quick.what;
        EXPECT_LT(quick.ms, 240);
    }
    EXPECT_EQ(open_fds(), before);  // the hanging IPv6 attempts were closed
    for (int fd : fillers) ::close(fd);
}

TEST(HappyEyeballs, AWorkingIPv6AddressWinsAtOnce) {
    DnsServer dns;
    dns.add("dual6.gannet.test", {"127.0.0.1", "::1"}, 60);
    ResolverOptionsGuard guard(pointing_at(dns));
    DualPort ports(16, 16);
    WorkerThread wt;
    Outcome out = wt.run([&] { return attempt("dual6.gannet.test", ports.port(), {}); });
    ASSERT_TRUE(out.connected) << out.what;
    EXPECT_EQ(out.peer, "[::1]:" + std::to_string(ports.port()));
    EXPECT_LT(out.ms, 240);
}

TEST(HappyEyeballs, ARefusedAttemptStartsTheNextAtOnce) {
    DnsServer dns;
    dns.add("half.gannet.test", {"::1", "127.0.0.1"}, 60);
    ResolverOptionsGuard guard(pointing_at(dns));
    Listener v4("127.0.0.1");  // nothing on [::1] at that port (almost surely): refused
    WorkerThread wt;
    ConnectOptions o;
    o.attempt_delay = 2s;
    Outcome out = wt.run([&] { return attempt("half.gannet.test", v4.port(), o); });
    ASSERT_TRUE(out.connected) << out.what;
    EXPECT_EQ(out.peer, "127.0.0.1:" + std::to_string(v4.port()));
    EXPECT_LT(out.ms, 1000);
}

TEST(HappyEyeballs, WhenEveryAddressFailsTheErrorListsThem) {
    DnsServer dns;
    dns.add("none.gannet.test", {"::1", "127.0.0.1"}, 60);
    ResolverOptionsGuard guard(pointing_at(dns));
    std::uint16_t port = gannet::test::closed_port("::1");
    WorkerThread wt;
    Outcome out = wt.run([&] { return attempt("none.gannet.test", port, {}); });
    ASSERT_FALSE(out.connected);
    EXPECT_EQ(out.cause, Cause::refused);
    std::string p = std::to_string(port);
    EXPECT_EQ(out.what, "connect to none.gannet.test:" + p + ": connection refused ([::1]:" + p +
                            ", 127.0.0.1:" + p + ")");
}

TEST(HappyEyeballs, EveryAddressHangingTimesOutAndClosesThemAll) {
    DnsServer dns;
    dns.add("stuck.gannet.test", {"::1", "127.0.0.1"}, 60);
    ResolverOptionsGuard guard(pointing_at(dns));
    DualPort ports(0, 0);
    auto f6 = gannet::test::fill_backlog("::1", ports.port());
    auto f4 = gannet::test::fill_backlog("127.0.0.1", ports.port());
    int before = open_fds();
    {
        WorkerThread wt;
        ConnectOptions o;
        o.timeout = 600ms;
        Outcome out = wt.run([&] { return attempt("stuck.gannet.test", ports.port(), o); });
        ASSERT_FALSE(out.connected);
        EXPECT_EQ(out.cause, Cause::timed_out);
        EXPECT_GE(out.ms, 580);
        EXPECT_LT(out.ms, 2000);
        std::string p = std::to_string(ports.port());
        EXPECT_EQ(out.what, "connect to stuck.gannet.test:" + p + ": timed out ([::1]:" + p +
                                ", 127.0.0.1:" + p + ")");
    }
    EXPECT_EQ(open_fds(), before);
    for (int fd : f6) ::close(fd);
    for (int fd : f4) ::close(fd);
}

TEST(ConnectCancel, CancellingAHangingConnectClosesItsSockets) {
    Listener l("127.0.0.1", 0);
    auto fillers = gannet::test::fill_backlog("127.0.0.1", l.port());
    int before = open_fds();
    {
        WorkerThread wt;
        gannet::detail::CancelScope scope;
        std::thread canceller([&] {
            std::this_thread::sleep_for(150ms);
            wt.worker().post([&] { scope.cancel(); });
        });
        ConnectOptions o;
        o.timeout = 5s;
        Outcome out = wt.run_in(&scope, [&] { return attempt("127.0.0.1", l.port(), o); });
        canceller.join();
        EXPECT_TRUE(out.cancelled) << out.what;
        EXPECT_GE(out.ms, 100);
        EXPECT_LT(out.ms, 1000);
    }
    EXPECT_EQ(open_fds(), before);
    for (int fd : fillers) ::close(fd);
}

TEST(ConnectCancel, CancellingAWaitForTheResolverEndsIt) {
    DnsServer silent(true);
    ResolverOptionsGuard guard(pointing_at(silent));  // gives up after 300 + 600 ms
    int before = open_fds();
    {
        WorkerThread wt;
        gannet::detail::CancelScope scope;
        std::thread canceller([&] {
            std::this_thread::sleep_for(100ms);
            wt.worker().post([&] { scope.cancel(); });
        });
        Outcome out = wt.run_in(&scope, [&] { return attempt("slow.gannet.test", 80, {}); });
        canceller.join();
        EXPECT_TRUE(out.cancelled) << out.what;
        EXPECT_LT(out.ms, 600);
        // An already cancelled scope does not even start.
        Outcome again = wt.run_in(&scope, [&] { return attempt("slow.gannet.test", 80, {}); });
        EXPECT_TRUE(again.cancelled);
    }
    EXPECT_EQ(open_fds(), before);  // the worker's resolver closed its socket with the worker
}
