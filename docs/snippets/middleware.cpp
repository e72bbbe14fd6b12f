#include <gannet/gannet.hpp>

#include <chrono>
using namespace gannet;

struct User {
    std::string name;
};

int main() {
    App app;
    app.use(middleware::access_log());  // ready-made: one line per request on stderr

    // The onion: code before next() runs on the way in, code after it on the way out.
    app.use([](Request& req, Next next) -> Task<Response> {
        auto start = std::chrono::steady_clock::now();
        Response res = co_await next(req);
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(
            std::chrono::steady_clock::now() - start);
        res.header("Server-Timing", "app;dur=" + std::to_string(us.count() / 1000.0));
        co_return res;
    });

    // Answer without calling next(), or pass a value on with req.context<T>().
    auto api = app.group("/api");
    api.use([](Request& req, Next next) -> Task<Response> {
        if (req.header("Authorization") != "Bearer s3cret") {
            co_return Response::text("unauthorized\n", 401);
        }
        req.context<User>().name = "alice";
        co_return co_await next(req);
    });
    api.get("/me", [](Request& req) { return Response::text(req.context<User>().name); });

    return app.listen({.port = 8080}).run();
}
