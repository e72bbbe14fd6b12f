#include <gannet/gannet.hpp>

#include <chrono>
using namespace gannet;
using namespace std::chrono_literals;

int main() {
    App app;
    // One stream per client: send() is false once the client has gone.
    app.sse("/ticks", [](Request&, EventStream& es) -> Task<> {
        for (int n = 1;; ++n) {
            bool sent = co_await es.send({.event = "tick", .data = std::to_string(n)});
            if (!sent) break;
            co_await sleep_for(1s);
        }
    });

    // A channel: fan-out to every follower on every worker, replay after Last-Event-ID.
    app.channel("news").set_replay(100);
    app.sse("/news", [&app](Request&, EventStream& es) -> Task<> {
        co_await es.follow(app.channel("news"));
    });
    app.post("/news", [&app](Request& req) -> Task<Response> {
        std::string story = co_await req.text();
        auto id = app.channel("news").publish({.event = "story", .data = story});
        co_return Response::text("published as " + std::to_string(id) + "\n", 201);
    });
    return app.listen({.port = 8080}).run();
}
