// The reference app's routes (docs/architecture.md, "The reference app"), shared by examples/hello and the demo:
// keep them stable, benchmarks and tests depend on them. `GET /` is left to the caller: hello
// answers "Hello, World!", the demo serves its page to browsers and that text to everyone else.
#pragma once

#include <gannet/gannet.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

inline void add_reference_routes(gannet::App& app) {
    using namespace gannet;
    using namespace std::chrono_literals;
    app.get("/json", [](Request&) { return Response::json(R"({"message":"Hello, World!"})"); });
    app.get("/users/{id:int}", [](Request& req) {
        return Response::json("{\"id\":" + std::to_string(req.param<std::int64_t>("id")) + "}");
    });
    // The body streamed back as it arrives: chunked unless the request declared its length.
    app.post(
        "/echo",
        [](Request& req, ResponseStream& out) -> Task<> {
            if (req.head().body_kind == http::BodyKind::length) {
                out.content_length(req.head().content_length);
            }
            if (auto type = req.header("Content-Type")) out.content_type(*type);
            while (auto chunk = co_await req.body().read()) {
                bool sent = co_await out.write(*chunk);
                if (!sent) co_return;  // the client has gone
            }
            if (req.body().error() != 0) throw HttpError(req.body().error());
        },
        RouteOptions{.max_body = std::uint64_t{1} << 34});  // streamed: 16 GiB
    // For tests of async handlers and graceful drain: answers after `ms` milliseconds.
    app.get("/delay/{ms:int}", [](Request& req) -> Task<Response> {
        auto ms = req.param<std::int64_t>("ms");
        co_await sleep_for(std::chrono::milliseconds(std::min<std::int64_t>(ms, 60'000)));
        co_return Response::text("waited " + std::to_string(ms) + "ms\n");
    });

    // Every WebSocket message echoed back with the same opcode.
    app.ws("/ws/echo", [](Request&, WebSocket& ws) -> Task<> {
        while (auto msg = co_await ws.receive()) {
            bool sent = co_await ws.send(msg->data, msg->binary);
            if (!sent) co_return;
        }
    });
    // Test/demo routes for pub/sub: a WebSocket that receives what is published to the topic
    // {name}, and a POST that publishes its body there (to every worker's subscribers). A
    // subscriber that falls behind loses messages (the route default), except on the topic
    // "strict", which closes it with 1013 instead.
    set_topic_policy(app, "strict", {.on_slow = SlowSubscriber::close, .close_code = 1013});
    app.ws("/ws/topic/{name}", [](Request& req, WebSocket& ws) -> Task<> {
        ws.subscribe(req.param("name"));
        // Not `while (co_await ws.receive()) {}`: GCC 12 miscompiles that shape.
        std::optional<Message> msg = co_await ws.receive();
        while (msg) msg = co_await ws.receive();
    });
    app.post("/publish/{name}", [&app](Request& req) -> Task<Response> {
        std::string body;
        while (auto chunk = co_await req.body().read()) body.append(*chunk);
        if (req.body().error() != 0) throw HttpError(req.body().error());
        app.publish(req.param("name"), body);
        co_return Response::status_only(204);
    });

    // Server-Sent Events: an event every 100 ms with an increasing id, resuming after
    // Last-Event-ID.
    // For reconnection tests, `?drop_after=N` ends the stream after N events (the client then
    // reconnects with Last-Event-ID, told to wait 100 ms by the first event's retry field).
    app.sse("/events", [](Request& req, EventStream& es) -> Task<> {
        std::uint64_t id = 0;
        if (auto last = es.last_event_id()) {
            auto [p, ec] = std::from_chars(last->data(), last->data() + last->size(), id);
            if (ec != std::errc() || p != last->data() + last->size()) id = 0;
        }
        std::uint64_t drop_after = 0;
        if (auto q = req.query("drop_after")) {
            std::from_chars(q->data(), q->data() + q->size(), drop_after);
        }
        std::uint64_t sent = 0;
        while (!es.closed() && (drop_after == 0 || sent < drop_after)) {
            std::string n = std::to_string(++id);
            Event ev{.event = "tick", .data = n, .id = n};
            if (drop_after != 0 && sent == 0) ev.retry = std::chrono::milliseconds(100);
            bool ok = co_await es.send(ev);
            if (!ok) break;
            ++sent;
            co_await sleep_for(100ms);
        }
    });
    // A channel relayed to every follower (on every worker), with replay after Last-Event-ID;
    // POST /events/publish sends its body to it.
    app.channel("demo").set_replay(100);
    app.sse("/events/channel", [&app](Request&, EventStream& es) -> Task<> {
        co_await es.follow(app.channel("demo"));
    });
    app.post("/events/publish", [&app](Request& req) -> Task<Response> {
        std::string body = co_await req.text();
        auto seq = app.channel("demo").publish({.event = "message", .data = body});
        co_return Response::text(std::to_string(seq) + "\n");
    });
}
