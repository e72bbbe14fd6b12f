#include <gannet/gannet.hpp>

#include <chrono>
using namespace gannet;
using namespace std::chrono_literals;

int main() {
    App app;
    app.post(
        "/import",
        [](Request& req) -> Task<Response> { co_return Response::text(co_await req.text()); },
        RouteOptions{.max_body = 32 * 1024 * 1024});  // this route buffers up to 32 MiB

    Config config;
    config.host = "127.0.0.1";            // behind a proxy: loopback only
    config.port = 8080;                   // GANNET_PORT overrides it
    config.threads = 0;                   // one worker per core; GANNET_THREADS overrides it
    config.max_body = 1024 * 1024;        // 413 beyond (buffered bodies)
    config.max_header_bytes = 16 * 1024;  // 431 beyond
    config.header_timeout = 10s;          // 408 when a request head takes longer
    config.idle_timeout = 60s;            // keep-alive connections with nothing to do
    config.body_timeout = 30s;            // between two reads of a body
    config.write_timeout = 30s;           // a client that reads slower is cut off
    config.shutdown_timeout = 10s;        // SIGTERM: drain for this long, then close
    config.max_connections = 10'000;      // per worker; accepting pauses beyond
    app.listen(config);                   // binds now: a port in use throws here, naming it
    return app.run();
}
