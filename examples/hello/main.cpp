// The reference app (DESIGN.md section 7): what the benchmarks, the integration tests and the
// README use. Keep these routes stable.
//
//   hello [--port N] [--threads N] [--host ADDR]
//         [--header-timeout MS] [--idle-timeout MS] [--body-timeout MS] [--write-timeout MS]
//         [--shutdown-timeout MS] [--max-body BYTES] [--max-connections N] [--access-log]
#include <gannet/gannet.hpp>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

using namespace gannet;
using namespace std::chrono_literals;

namespace {

std::uint64_t number(std::string_view flag, const char* value) {
    if (!value) throw std::invalid_argument(std::string(flag) + " needs a value");
    std::uint64_t out = 0;
    std::string_view v = value;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (v.empty() || ec != std::errc() || p != v.data() + v.size()) {
        throw std::invalid_argument(std::string(flag) + ": '" + value + "' is not a number");
    }
    return out;
}

struct Options {
    Config config;
    bool access_log = false;
    std::string files;  // --files DIR: served at /files
};

Options parse_args(int argc, char** argv) {
    Options o;
    o.config.port = 8080;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
        auto ms = [&] { return std::chrono::milliseconds(number(a, v)); };
        if (a == "--port") {
            auto p = number(a, v);
            if (p > 65535)
                throw std::invalid_argument("--port: " + std::to_string(p) + " is not a port");
            o.config.port = static_cast<std::uint16_t>(p);
        } else if (a == "--threads") {
            o.config.threads = static_cast<unsigned>(number(a, v));
        } else if (a == "--host") {
            if (!v) throw std::invalid_argument("--host needs a value");
            o.config.host = v;
        } else if (a == "--header-timeout") {
            o.config.header_timeout = ms();
        } else if (a == "--idle-timeout") {
            o.config.idle_timeout = ms();
        } else if (a == "--body-timeout") {
            o.config.body_timeout = ms();
        } else if (a == "--write-timeout") {
            o.config.write_timeout = ms();
        } else if (a == "--shutdown-timeout") {
            o.config.shutdown_timeout = ms();
        } else if (a == "--max-body") {
            o.config.max_body = number(a, v);
        } else if (a == "--max-connections") {
            o.config.max_connections = number(a, v);
        } else if (a == "--files") {
            if (!v) throw std::invalid_argument("--files needs a directory");
            o.files = v;
        } else if (a == "--access-log") {
            o.access_log = true;
            continue;
        } else if (a == "--help" || a == "-h") {
            std::puts(
                "usage: hello [--port N] [--threads N] [--host ADDR] [--header-timeout MS]\n"
                "             [--idle-timeout MS] [--body-timeout MS] [--write-timeout MS]\n"
                "             [--shutdown-timeout MS] [--max-body BYTES] [--max-connections N]\n"
                "             [--access-log]");
            std::exit(0);
        } else {
            throw std::invalid_argument("unknown option '" + std::string(a) + "' (try --help)");
        }
        ++i;
    }
    return o;
}

}  // namespace

int main(int argc, char** argv) try {
    Options opts = parse_args(argc, argv);
    App app;
    if (opts.access_log) app.use(middleware::access_log());

    app.get("/", [](Request&) { return Response::text("Hello, World!"); });
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
                if (!co_await out.write(*chunk)) co_return;
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
            if (!co_await ws.send(msg->data, msg->binary)) co_return;
        }
    });
    // Test/demo routes for pub/sub: a WebSocket that receives what is published to the topic
    // {name}, and a POST that publishes its body there (to every worker's subscribers).
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
    app.sse("/events", [](Request&, EventStream& es) -> Task<> {
        std::uint64_t id = 0;
        if (auto last = es.last_event_id()) {
            auto [p, ec] = std::from_chars(last->data(), last->data() + last->size(), id);
            if (ec != std::errc() || p != last->data() + last->size()) id = 0;
        }
        while (!es.closed()) {
            std::string n = std::to_string(++id);
            bool ok = co_await es.send({.event = "tick", .data = n, .id = n});
            if (!ok) break;
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

    if (!opts.files.empty()) app.static_files("/files", opts.files);

    app.listen(opts.config);
    std::printf("gannet: listening on http://%s:%u (%u workers)\n",
                opts.config.host == "0.0.0.0" ? "127.0.0.1" : opts.config.host.c_str(), app.port(),
                app.threads());
    std::fflush(stdout);
    int rc = app.run();
    std::printf("gannet: stopped\n");
    return rc;
} catch (const std::exception& e) {
    std::fprintf(stderr, "hello: %s\n", e.what());
    return 2;
}
