// The integration test bed: a Gannet app with the routes that only tests need (throwing
// handlers, middleware order, typed context, parameters, bodies with a small limit, streamed
// responses, offloaded work). The Python tests in this directory start it on port 0.
//
//   gannet_testbed [--port N] [--threads N] [--host ADDR]
//                  [--header-timeout MS] [--idle-timeout MS] [--body-timeout MS]
//                  [--write-timeout MS] [--shutdown-timeout MS] [--max-body BYTES]
//                  [--max-connections N] [--access-log]
//
// Like examples/hello it prints "gannet: listening on http://127.0.0.1:PORT (N workers)" once
// it accepts connections; the tests read the port from that line.
//
// Coroutine bodies here are kept straight-line on purpose: GCC 12 has miscompiled loops that
// mix an early co_return with a co_await in this project.
#include <gannet/cookie.hpp>
#include "../../examples/common/cli.hpp"

#include <gannet/gannet.hpp>
#include <gannet/url.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

using namespace gannet;
using namespace std::chrono_literals;

namespace {

// --- command line: the same flags as examples/hello (examples/common/cli.hpp) ---------------

// --- helpers -----------------------------------------------------------------------------------

/// A JSON string literal for `s` (quotes included); enough for the ASCII the tests send, and
/// escapes control bytes so a surprise never produces invalid JSON.
std::string json_string(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", u);
            out += buf;
        } else {
            out += c;
        }
    }
    out += '"';
    return out;
}

std::string json_optional(std::optional<std::string_view> v) {
    return v ? json_string(*v) : std::string("null");
}

/// The trail of the middleware onion for one request; each layer appends to it.
struct Trace {
    std::string steps;
    void add(std::string_view step) {
        if (!steps.empty()) steps += ',';
        steps += step;
    }
};

/// Set by middleware from the X-User header, read by handlers: proves req.context<T>().
struct User {
    std::string name;
    bool set = false;
};

/// A type nobody sets: find_context<T>() must return null for it.
struct Unset {
    int value = 0;
};

// --- middleware ----------------------------------------------------------------------------------

// Outermost: records its steps and, last of all on the way out, publishes the whole trail as
// the X-Order header, so the test sees the order of every "before" and "after".
Task<Response> mw1(Request& req, Next next) {
    req.context<Trace>().add("mw1-before");
    Response res = co_await next(req);
    req.context<Trace>().add("mw1-after");
    res.header("X-Order", req.context<Trace>().steps);
    co_return res;
}

// Second app middleware: records its steps and fills the typed User context.
Task<Response> mw2(Request& req, Next next) {
    req.context<Trace>().add("mw2-before");
    if (auto u = req.header("X-User")) {
        User& user = req.context<User>();
        user.name = std::string(*u);
        user.set = true;
    }
    Response res = co_await next(req);
    req.context<Trace>().add("mw2-after");
    co_return res;
}

// The /g group's own middleware; "X-Deny: 1" short-circuits without calling next.
Task<Response> group_mw(Request& req, Next next) {
    req.context<Trace>().add("group-before");
    if (req.header("X-Deny") == std::optional<std::string_view>("1")) {
        req.context<Trace>().add("group-denied");
        co_return Response::text("denied by group middleware\n", 403);
    }
    Response res = co_await next(req);
    req.context<Trace>().add("group-after");
    co_return res;
}

// --- routes ------------------------------------------------------------------------------------

void add_error_routes(App& app) {
    // The message holds "internals" that must never reach the client.
    app.get("/throw", [](Request&) -> Response {
        throw std::runtime_error("SECRET-INTERNAL-DETAIL db=postgres://admin:hunter2@db");
    });
    app.get("/throw-http", [](Request&) -> Response { throw HttpError(418, "teapot"); });
    app.get("/async-throw", [](Request&) -> Task<Response> {
        co_await sleep_for(20ms);
        throw std::runtime_error("SECRET-ASYNC-DETAIL stack=0xdeadbeef");
    });
    app.get("/async-throw-http", [](Request&) -> Task<Response> {
        co_await sleep_for(20ms);
        throw HttpError(409, "conflict after await");
    });
    // A stream that fails after its head went out: the connection must be cut.
    app.get("/stream-throw", [](Request&, ResponseStream& out) -> Task<> {
        co_await out.write("partial\n");
        throw std::runtime_error("SECRET-STREAM-DETAIL");
    });
    // A stream that fails before writing anything: still an ordinary 500.
    app.get("/stream-throw-early", [](Request&, ResponseStream&) -> Task<> {
        co_await sleep_for(5ms);
        throw std::runtime_error("SECRET-STREAM-EARLY");
    });
}

void add_context_routes(App& app) {
    // Every handler on the app goes through mw1 and mw2; the trail so far is the body.
    app.get("/order", [](Request& req) {
        req.context<Trace>().add("handler");
        return Response::text(req.context<Trace>().steps);
    });
    auto g = app.group("/g");
    g.use(group_mw);
    g.get("/ping", [](Request& req) {
        req.context<Trace>().add("handler");
        return Response::text("pong:" + req.context<Trace>().steps);
    });
    g.get("/async", [](Request& req) -> Task<Response> {
        co_await sleep_for(5ms);
        req.context<Trace>().add("handler");
        co_return Response::text("pong:" + req.context<Trace>().steps);
    });
    // Typed context set by mw2; Unset is never set, so find_context must say so.
    app.get("/whoami", [](Request& req) {
        User* user = req.find_context<User>();
        std::string body = "{\"user\":";
        body += user && user->set ? json_string(user->name) : std::string("null");
        body += ",\"unset_found\":";
        body += req.find_context<Unset>() ? "true" : "false";
        body += '}';
        return Response::json(body);
    });
}

void add_param_routes(App& app) {
    app.get("/items/{id:int}", [](Request& req) {
        return Response::json("{\"id\":" + std::to_string(req.param<std::int64_t>("id")) + "}");
    });
    app.get("/slug/{s:[a-z0-9-]+}", [](Request& req) {
        return Response::json("{\"slug\":" + json_string(req.param("s")) + "}");
    });
    app.get("/files/{*path}", [](Request& req) {
        return Response::json("{\"path\":" + json_string(req.param("path")) + "}");
    });
    // The first values of x and y through Request::query(), and every pair in order.
    app.get("/q", [](Request& req) {
        std::string body = "{\"x\":" + json_optional(req.query("x")) +
                           ",\"y\":" + json_optional(req.query("y")) + ",\"all\":[";
        std::string_view qs = req.query_string();
        QueryParams all = QueryParams::parse(qs);
        bool first = true;
        for (auto [k, v] : all) {
            if (!first) body += ',';
            first = false;
            body += "[" + json_string(k) + "," + json_string(v) + "]";
        }
        body += "]}";
        return Response::json(body);
    });
    // Reads the "session" cookie and always sets a "visit" cookie.
    app.get("/cookies", [](Request& req) {
        Response res = Response::json("{\"session\":" + json_optional(req.cookie("session")) +
                                      ",\"theme\":" + json_optional(req.cookie("theme")) + "}");
        res.header(
            "Set-Cookie",
            SetCookie("visit", "yes").path("/").http_only().same_site(SameSite::lax).to_string());
        res.header("Set-Cookie", SetCookie("n", "1").max_age(3600s).to_string());
        return res;
    });
    // Echoes a request header (for tests that need to see what arrived).
    app.get("/header/{name}", [](Request& req) {
        return Response::json("{\"value\":" + json_optional(req.header(req.param("name"))) + "}");
    });
    // Sets X-Echo from the decoded query value `v`: a CR or LF in it must not split the
    // response (Response::header throws, which becomes a 500).
    app.get("/set-header", [](Request& req) {
        Response res = Response::text("ok\n");
        res.header("X-Echo", req.query("v").value_or(""));
        return res;
    });
    // Any status with a small body: 204 and 304 must go out without one.
    app.get("/status/{code:int}", [](Request& req) {
        return Response::text("status body\n", static_cast<int>(req.param<std::int64_t>("code")));
    });
    app.get("/redirect", [](Request&) { return Response::redirect("/order", 307); });
    app.put("/method", [](Request& req) { return Response::text(std::string(req.method())); });
    app.del("/method", [](Request& req) { return Response::text(std::string(req.method())); });
    app.get("/method", [](Request& req) { return Response::text(std::string(req.method())); });
}

void add_body_routes(App& app) {
    // A buffered body with a 1 KiB limit: 413 beyond, decided before reading when the length
    // is declared.
    app.post(
        "/text",
        [](Request& req) -> Task<Response> {
            std::string body = co_await req.text();
            co_return Response::text("got " + std::to_string(body.size()) + " bytes: " + body);
        },
        RouteOptions{.max_body = 1024});
    // Never reads the body: no 100 Continue may be sent, and an unread body must not be taken
    // for the next request.
    app.post("/no-read", [](Request&) { return Response::text("not read\n"); });
    // Counts a streamed body of any size (up to the app's max_body).
    app.post("/count", [](Request& req) -> Task<Response> {
        std::uint64_t n = 0;
        std::uint64_t sum = 0;  // a cheap checksum of the bytes
        std::optional<std::string_view> chunk = co_await req.body().read();
        while (chunk) {
            n += chunk->size();
            for (unsigned char c : *chunk) sum = (sum * 31 + c) % 1000000007ULL;
            chunk = co_await req.body().read();
        }
        if (req.body().error() != 0) throw HttpError(req.body().error(), "body error");
        co_return Response::json("{\"bytes\":" + std::to_string(n) +
                                 ",\"sum\":" + std::to_string(sum) + "}");
    });
}

void add_stream_routes(App& app) {
    // Five chunks, each its own write, with a short pause so that they leave separately.
    app.get("/stream", [](Request&, ResponseStream& out) -> Task<> {
        out.content_type("text/plain");
        out.header("X-Stream", "yes");
        for (int i = 0; i < 5; ++i) {
            bool ok = co_await out.write("chunk " + std::to_string(i) + "\n");
            if (!ok) break;
            co_await sleep_for(10ms);
        }
    });
    // A declared length: Content-Length framing instead of chunks.
    app.get("/stream-len", [](Request&, ResponseStream& out) -> Task<> {
        out.content_length(10);
        co_await out.write("01234");
        co_await out.write("56789");
    });
    // Chunked with a trailer field.
    app.get("/stream-trailer", [](Request&, ResponseStream& out) -> Task<> {
        co_await out.write("body\n");
        std::vector<std::pair<std::string, std::string>> trailers;
        trailers.emplace_back("X-Checksum", "abc123");
        co_await out.end(std::move(trailers));
    });
    // Blocking work on the pool; reports whether it resumed on the same worker thread.
    app.get("/offload", [](Request&) -> Task<Response> {
        auto before = std::this_thread::get_id();
        int value = co_await offload([before] {
            std::this_thread::sleep_for(50ms);
            return std::this_thread::get_id() != before ? 42 : -1;
        });
        bool same = std::this_thread::get_id() == before;
        co_return Response::json("{\"value\":" + std::to_string(value) +
                                 ",\"same_thread\":" + (same ? "true" : "false") + "}");
    });
    // A long blocking job on the pool, to show the worker keeps serving meanwhile.
    app.get("/offload-slow", [](Request&) -> Task<Response> {
        int value = co_await offload([] {
            std::this_thread::sleep_for(800ms);
            return 7;
        });
        co_return Response::text("slow " + std::to_string(value) + "\n");
    });
    app.get("/offload-throw", [](Request&) -> Task<Response> {
        int value = co_await offload([]() -> int { throw HttpError(422, "offload failed"); });
        co_return Response::text(std::to_string(value));
    });
    // `kib` KiB of 'x' in 64 KiB writes: enough to fill the socket buffers of a client that
    // does not read (write timeout, backpressure).
    app.get("/big/{kib:int}", [](Request& req, ResponseStream& out) -> Task<> {
        auto kib = req.param<std::int64_t>("kib");
        out.content_length(static_cast<std::uint64_t>(kib) * 1024);
        const std::string piece(64 * 1024, 'x');
        std::int64_t left = kib * 1024;
        bool ok = true;
        while (ok && left > 0) {
            auto n = std::min<std::int64_t>(left, static_cast<std::int64_t>(piece.size()));
            ok = co_await out.write(std::string_view(piece).substr(0, static_cast<std::size_t>(n)));
            left -= n;
        }
    });
    // Which worker thread served the request (a hash of its id): lets tests see that
    // connections spread over the workers.
    app.get("/thread", [](Request&) {
        return Response::text(
            std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id())));
    });
    app.get("/delay/{ms:int}", [](Request& req) -> Task<Response> {
        auto ms = req.param<std::int64_t>("ms");
        co_await sleep_for(std::chrono::milliseconds(std::min<std::int64_t>(ms, 60'000)));
        co_return Response::text("waited " + std::to_string(ms) + "ms\n");
    });
}

}  // namespace

int main(int argc, char** argv) try {
    CliOptions opts = parse_cli(argc, argv, "gannet_testbed");
    App app;
    if (opts.access_log) app.use(middleware::access_log());
    app.use(mw1);
    app.use(mw2);

    app.get("/", [](Request&) { return Response::text("testbed\n"); });
    add_error_routes(app);
    add_context_routes(app);
    add_param_routes(app);
    add_body_routes(app);
    add_stream_routes(app);

    return listen_announce_run(app, opts.config);
} catch (const std::exception& e) {
    std::fprintf(stderr, "gannet_testbed: %s\n", e.what());
    return 2;
}
