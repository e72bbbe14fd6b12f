#include <gannet/gannet.hpp>
#include <gannet/net.hpp>

#include <chrono>
using namespace gannet;
using namespace std::chrono_literals;

int main() {
    // Before the server starts: every worker's resolver uses these.
    net::ResolverOptions dns;
    dns.servers = {"10.0.0.2", "[fd00::53]:5353"};  // instead of /etc/resolv.conf's
    dns.query_timeout = 500ms;                      // then 1 s: gives up after 1.5 s
    dns.tries = 2;
    dns.negative_ttl = 2s;  // how long "no such host" is remembered
    net::set_resolver_options(dns);

    App app;
    app.get("/", [](Request&) { return Response::text("ok"); });
    return app.listen({.port = 8080}).run();
}
