// The resolver against a real DNS server on 127.0.0.1 (dns_server.hpp), /etc/hosts and the
// RFC 6761 localhost names.
#include "net/resolver.hpp"

#include "dns_server.hpp"
#include "net/address.hpp"
#include "net/connect.hpp"
#include "net_harness.hpp"

#include <gannet/net.hpp>
#include <gannet/runtime.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using namespace std::chrono_literals;
using gannet::Task;
using gannet::net::ConnectError;
using gannet::net::Resolution;
using gannet::net::Resolver;
using gannet::test::DnsServer;
using gannet::test::Listener;
using gannet::test::open_fds;
using gannet::test::ResolverOptionsGuard;
using gannet::test::WorkerThread;
using Cause = ConnectError::Cause;
using Status = Resolution::Status;

namespace {

struct Found {
    Status status = Status::failed;
    std::vector<std::string> addresses;  // "127.0.0.1:0", "[::1]:0"
    Cause cause = Cause::other;
    std::string detail;
    long ms = 0;
};

Task<Found> look_up(std::string name, std::uint64_t timeout_ms) {
    auto start = std::chrono::steady_clock::now();
    Resolution r = co_await Resolver::current().lookup(name, timeout_ms);
    Found f;
    f.status = r.status;
    for (auto& a : r.addresses) f.addresses.push_back(gannet::net::to_string(a));
    std::sort(f.addresses.begin(), f.addresses.end());
    f.cause = r.cause;
    f.detail = r.detail;
    f.ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start)
               .count();
    co_return f;
}

Found lookup_on(WorkerThread& wt, std::string name, std::uint64_t timeout_ms = 0) {
    return wt.run([=] { return look_up(name, timeout_ms); });
}

gannet::net::ResolverOptions pointing_at(const DnsServer& dns) {
    gannet::net::ResolverOptions o;
    o.servers = {dns.address()};
    o.query_timeout = 300ms;
    o.tries = 2;
    return o;
}

Task<std::string> connect_peer(std::string host, std::uint16_t port) {
    auto s = co_await gannet::net::connect_stream(host, port);
    co_return std::string(s->peer_address());
}

Task<std::string> connect_error(std::string host, std::uint16_t port,
                                gannet::net::ConnectOptions o) {
    try {
        co_await gannet::net::connect_stream(host, port, o);
    } catch (const ConnectError& e) {
        co_return std::string(e.what());
    }
    co_return std::string("connected");
}

Task<void> look_up_into(std::string name, std::size_t& found, bool& done) {
    Resolution r = co_await Resolver::current().lookup(name, 0);
    found = r.addresses.size();
    done = true;
}

// Two lookups of `name` at once, one in a spawned coroutine: the addresses both found.
Task<std::size_t> both(std::string name) {
    std::size_t first = 0;
    bool done = false;
    gannet::spawn(look_up_into(name, first, done));  // runs until it waits for the answer
    Resolution second = co_await Resolver::current().lookup(name, 0);
    while (!done) co_await gannet::sleep_for(10ms);
    co_return first + second.addresses.size();
}

Task<std::size_t> pending_lookups() {
    co_return Resolver::current().pending() + Resolver::current().sockets();
}

}  // namespace

TEST(Resolver, FindsANameOnTheDnsServerAndConnectsToIt) {
    DnsServer dns;
    dns.add("svc.gannet.test", {"127.0.0.1"}, 60);
    ResolverOptionsGuard guard(pointing_at(dns));
    Listener l("127.0.0.1");
    int before = open_fds();
    {
        WorkerThread wt;
        Found f = lookup_on(wt, "svc.gannet.test");
        ASSERT_EQ(f.status, Status::found) << f.detail;
        EXPECT_EQ(f.addresses, std::vector<std::string>{"127.0.0.1:0"});
        std::string peer = wt.run([&] { return connect_peer("SVC.gannet.test", l.port()); });
        EXPECT_EQ(peer, "127.0.0.1:" + std::to_string(l.port()));
        // The answer is cached: the name's questions (A and AAAA) went out once.
        EXPECT_EQ(dns.questions("svc.gannet.test"), 2);
        // c-ares closes its sockets once no query is left.
        EXPECT_EQ(wt.run([] { return pending_lookups(); }), 0u);
    }
    EXPECT_EQ(open_fds(), before);
}

TEST(Resolver, AnUnknownNameIsNoSuchHostAndIsRememberedBriefly) {
    DnsServer dns;
    auto o = pointing_at(dns);
    o.negative_ttl = 1s;
    ResolverOptionsGuard guard(o);
    WorkerThread wt;
    Found f = lookup_on(wt, "nope.gannet.test");
    EXPECT_EQ(f.status, Status::failed);
    EXPECT_EQ(f.cause, Cause::no_such_host);
    EXPECT_EQ(f.detail, "NXDOMAIN from " + dns.address());
    int asked = dns.questions("nope.gannet.test");
    EXPECT_GE(asked, 1);
    // Within the negative TTL the server is not asked again; after it, it is.
    Found again = lookup_on(wt, "nope.gannet.test");
    EXPECT_EQ(again.cause, Cause::no_such_host);
    EXPECT_EQ(dns.questions("nope.gannet.test"), asked);
    std::this_thread::sleep_for(1100ms);
    Found later = lookup_on(wt, "nope.gannet.test");
    EXPECT_EQ(later.cause, Cause::no_such_host);
    EXPECT_GT(dns.questions("nope.gannet.test"), asked);

    std::string what = wt.run([] { return connect_error("nope.gannet.test", 443, {}); });
    EXPECT_EQ(what, "connect to nope.gannet.test:443: no such host (NXDOMAIN from " +
                        dns.address() + ")");
}

TEST(Resolver, AKnownNameWithoutAddressesIsNoSuchHost) {
    DnsServer dns;
    dns.add("empty.gannet.test", {}, 60);
    ResolverOptionsGuard guard(pointing_at(dns));
    WorkerThread wt;
    Found f = lookup_on(wt, "empty.gannet.test");
    EXPECT_EQ(f.cause, Cause::no_such_host);
    EXPECT_EQ(f.detail, "no A or AAAA record at " + dns.address());
}

TEST(Resolver, HonoursTheTtlOfTheAnswer) {
    DnsServer dns;
    dns.add("short.gannet.test", {"127.0.0.1", "::1"}, 1);
    ResolverOptionsGuard guard(pointing_at(dns));
    WorkerThread wt;
    Found f = lookup_on(wt, "short.gannet.test");
    ASSERT_EQ(f.status, Status::found) << f.detail;
    EXPECT_EQ(f.addresses, (std::vector<std::string>{"127.0.0.1:0", "[::1]:0"}));
    int asked = dns.questions("short.gannet.test");
    EXPECT_EQ(asked, 2);  // A and AAAA
    Found cached = lookup_on(wt, "short.gannet.test");
    EXPECT_EQ(cached.addresses, f.addresses);
    EXPECT_EQ(dns.questions("short.gannet.test"), asked);
    std::this_thread::sleep_for(1100ms);  // the TTL of 1 s has passed
    Found fresh = lookup_on(wt, "short.gannet.test");
    EXPECT_EQ(fresh.addresses, f.addresses);
    EXPECT_EQ(dns.questions("short.gannet.test"), 2 * asked);
}

TEST(Resolver, LookupsOfOneNameShareOneQuery) {
    DnsServer dns;
    dns.add("shared.gannet.test", {"127.0.0.1"}, 60);
    ResolverOptionsGuard guard(pointing_at(dns));
    WorkerThread wt;
    EXPECT_EQ(wt.run([&] { return both("shared.gannet.test"); }), 2u);
    EXPECT_EQ(dns.questions("shared.gannet.test"), 2);
}

TEST(Resolver, AServerThatNeverAnswersFailsWithinTheBound) {
    DnsServer silent(/*silent=*/true);
    ResolverOptionsGuard guard(pointing_at(silent));  // 300 ms, 2 tries: 300 + 600 ms
    int before = open_fds();
    {
        WorkerThread wt;
        Found f = lookup_on(wt, "slow.gannet.test");
        EXPECT_EQ(f.status, Status::failed);
        EXPECT_EQ(f.cause, Cause::resolver_timed_out) << f.detail;
        EXPECT_GE(f.ms, 800);
        EXPECT_LT(f.ms, 3000);
        EXPECT_GE(silent.questions("slow.gannet.test"), 2);
        std::string what = wt.run([] { return connect_error("slow2.gannet.test", 80, {}); });
        EXPECT_EQ(what.rfind("connect to slow2.gannet.test:80: the DNS server did not answer (" +
                                 silent.address(),
                             0),
                  0u)
            << what;
        // A connect timeout shorter than the resolver's bound ends the wait first.
        gannet::net::ConnectOptions quick;
        quick.timeout = 200ms;
        auto start = std::chrono::steady_clock::now();
        std::string early = wt.run([=] { return connect_error("slow3.gannet.test", 80, quick); });
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
        EXPECT_EQ(early,
                  "connect to slow3.gannet.test:80: the DNS server did not answer (no answer "
                  "within the connect timeout of 200 ms)");
        EXPECT_LT(ms, 700);
        // The abandoned query ends on its own bound and closes its socket.
        std::this_thread::sleep_for(1200ms);
        EXPECT_EQ(wt.run([] { return pending_lookups(); }), 0u);
    }
    EXPECT_EQ(open_fds(), before);
}

TEST(Resolver, NoDnsServerListeningIsAResolverFailure) {
    gannet::net::ResolverOptions o;
    std::uint16_t port = 0;
    {
        DnsServer gone;
        port = gone.port();
    }
    o.servers = {"127.0.0.1:" + std::to_string(port)};
    o.query_timeout = 300ms;
    ResolverOptionsGuard guard(o);
    WorkerThread wt;
    Found f = lookup_on(wt, "any.gannet.test");
    EXPECT_EQ(f.status, Status::failed);
    // ICMP port unreachable comes back as ECONNREFUSED on the connected UDP socket.
    EXPECT_TRUE(f.cause == Cause::resolver_failed || f.cause == Cause::resolver_timed_out)
        << f.detail;
    EXPECT_LT(f.ms, 3000);
}

TEST(Resolver, LocalhostIsBothLoopbackAddressesWithoutAsking) {
    DnsServer dns;
    ResolverOptionsGuard guard(pointing_at(dns));
    WorkerThread wt;
    for (std::string name : {"localhost", "LocalHost.", "app.localhost"}) {
        Found f = lookup_on(wt, name);
        ASSERT_EQ(f.status, Status::found) << name;
        EXPECT_EQ(f.addresses, (std::vector<std::string>{"127.0.0.1:0", "[::1]:0"})) << name;
    }
    EXPECT_EQ(dns.total_questions(), 0);
}

TEST(Resolver, NamesFromEtcHostsWinOverTheDnsServer) {
    // Any name /etc/hosts gives an IPv4 address, other than localhost (answered by RFC 6761
    // without reading the file). The test DNS server knows none of them: it says NXDOMAIN.
    std::ifstream hosts("/etc/hosts");
    std::string line, name, address;
    while (name.empty() && std::getline(hosts, line)) {
        std::istringstream in(line.substr(0, line.find('#')));
        std::string addr, n;
        in >> addr;
        if (addr.find('.') == std::string::npos) continue;  // IPv4 lines only
        while (in >> n) {
            if (n.find("localhost") == std::string::npos) {
                name = n;
                address = addr;
                break;
            }
        }
    }
    if (name.empty()) GTEST_SKIP() << "/etc/hosts names no host other than localhost";
    DnsServer dns;
    ResolverOptionsGuard guard(pointing_at(dns));
    WorkerThread wt;
    Found f = lookup_on(wt, name);
    ASSERT_EQ(f.status, Status::found) << name << ": " << f.detail;
    EXPECT_NE(std::find(f.addresses.begin(), f.addresses.end(), address + ":0"), f.addresses.end())
        << name;
    EXPECT_EQ(dns.questions(name), 0);
}

TEST(Resolver, BadServerAddressesAreRefusedWithTheirName) {
    gannet::net::ResolverOptions o;
    o.servers = {"dns.example:53"};
    try {
        gannet::net::set_resolver_options(o);
        FAIL() << "accepted a name as a DNS server";
    } catch (const std::invalid_argument& e) {
        EXPECT_EQ(std::string(e.what()),
                  "gannet: DNS server \"dns.example:53\": not an IPv4 or IPv6 address (with an "
                  "optional :port)");
    }
    o.servers = {"10.0.0.1:99999"};
    EXPECT_THROW(gannet::net::set_resolver_options(o), std::invalid_argument);
    o.servers = {"[::1]:5353", "10.0.0.1", "fd00::1"};
    EXPECT_NO_THROW(gannet::net::set_resolver_options(o));
    EXPECT_EQ(gannet::net::resolver_options().servers.size(), 3u);
    gannet::net::set_resolver_options({});
}

TEST(Resolver, GannetDnsServersPointsWorkersAtAnotherServer) {
    DnsServer dns;
    dns.add("env.gannet.test", {"127.0.0.1"}, 60);
    // No worker runs yet, and nothing else reads the environment meanwhile.
    ::setenv("GANNET_DNS_SERVERS", (" " + dns.address() + " ,").c_str(), 1);
    gannet::net::set_resolver_options({});  // a new generation: read again at the next lookup
    {
        WorkerThread wt;
        Found f = lookup_on(wt, "env.gannet.test");
        EXPECT_EQ(f.status, Status::found) << f.detail;
        EXPECT_EQ(dns.questions("env.gannet.test"), 2);
    }
    ::setenv("GANNET_DNS_SERVERS", "dns.example", 1);
    gannet::net::set_resolver_options({});
    {
        WorkerThread wt;
        Found f = lookup_on(wt, "env.gannet.test");
        EXPECT_EQ(f.cause, Cause::resolver_failed);
        EXPECT_EQ(f.detail,
                  "GANNET_DNS_SERVERS: gannet: DNS server \"dns.example\": not an IPv4 or IPv6 "
                  "address (with an optional :port)");
    }
    ::unsetenv("GANNET_DNS_SERVERS");
    gannet::net::set_resolver_options({});
}

TEST(Resolver, MalformedNamesFailWithoutAsking) {
    DnsServer dns;
    ResolverOptionsGuard guard(pointing_at(dns));
    WorkerThread wt;
    const std::string label64(64, 'a');  // a label holds at most 63 bytes (RFC 1035 §2.3.4)
    const std::vector<std::pair<std::string, std::string>> cases = {
        {label64 + ".gannet.test", "a label longer than 63 bytes"},
        {"two..dots.test", "an empty label"},
        {"bad name.test", "a character other than letters, digits, '-', '_' and '.'"},
        {"a/b.test", "a character other than letters, digits, '-', '_' and '.'"},
        {std::string(254, 'b'), "longer than 253 bytes"},
        {".", "an empty name"},
    };
    for (const auto& [name, why] : cases) {
        Found f = lookup_on(wt, name);
        EXPECT_EQ(f.status, Status::failed) << name;
        EXPECT_EQ(f.cause, Cause::invalid_address) << name;
        EXPECT_EQ(f.detail, "not a host name: " + why) << name;
    }
    EXPECT_EQ(dns.total_questions(), 0);
    std::string what = wt.run([] { return connect_error("bad name", 80, {}); });
    EXPECT_EQ(what,
              "connect to bad name:80: invalid address (not a host name: a character other "
              "than letters, digits, '-', '_' and '.')");
    // Underscores and a final dot are fine (and reach the server).
    dns.add("my_service.gannet.test", {"127.0.0.1"}, 60);
    EXPECT_EQ(lookup_on(wt, "my_service.gannet.test.").status, Status::found);
}
