#include <gannet/gannet.hpp>
#include <gannet/net.hpp>

#include <chrono>
#include <string>
using namespace gannet;
using namespace std::chrono_literals;

int main() {
    App app;
    // Asks a Redis server for PONG. Resolving, connecting, writing and reading all wait on
    // this worker's loop: no thread is blocked while the other service answers.
    app.get("/cache/ping", [](Request&) -> Task<Response> {
        net::ConnectOptions options;
        options.timeout = 2s;  // resolving and connecting, together
        std::string reply;
        try {
            net::TcpConnection redis = co_await net::connect("cache.internal", 6379, options);
            redis.set_timeout(1s);  // each read or write
            co_await redis.write("PING\r\n");
            char buf[64];
            std::size_t n = co_await redis.read(buf);  // 0: the server closed the connection
            reply.assign(buf, n);
        } catch (const net::ConnectError& e) {
            // "connect to cache.internal:6379: no such host (NXDOMAIN from 10.0.0.2:53)"
            co_return Response::text(e.what(), 502);
        } catch (const net::ConnectionError& e) {
            co_return Response::text(e.what(), e.timed_out() ? 504 : 502);
        }
        co_return Response::text(reply);
    });
    return app.listen({.port = 8080}).run();
}
