// Middleware, the onion: each layer runs code before and after `co_await next(req)`.
//
//   middleware [--port N]
//
//   curl -i localhost:8080/public/hello
//   curl -i localhost:8080/api/me                              # 401
//   curl -i localhost:8080/api/me -H 'Authorization: Bearer s3cret'
//   curl -i -X OPTIONS localhost:8080/api/me -H 'Origin: http://localhost:3000'
//        -H 'Access-Control-Request-Method: GET'   # the CORS preflight (one line), 204
//
// Layers here, outermost first: request id, timing, CORS (app-wide), then bearer auth on the
// /api group only. A layer may answer by itself (CORS preflight, 401) without calling next.
#include "../common/cli.hpp"

#include <gannet/gannet.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

using namespace gannet;

namespace {

// What the auth layer hands to handlers, through req.context<T>().
struct User {
    std::string name;
};

// The request id: the client's X-Request-Id when it sent a sane one, else a fresh one. Stored
// for handlers and logs, and echoed in the response.
struct RequestId {
    std::string value;
};

bool sane_id(std::string_view id) {
    if (id.empty() || id.size() > 64) return false;
    for (char c : id) {
        bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  c == '-' || c == '_';
        if (!ok) return false;
    }
    return true;
}

std::atomic<std::uint64_t> g_ids{0};

Middleware request_id() {
    return [](Request& req, Next next) -> Task<Response> {
        auto& id = req.context<RequestId>();
        auto sent = req.header("X-Request-Id");
        id.value = sent && sane_id(*sent) ? std::string(*sent) : "req-" + std::to_string(++g_ids);
        Response res = co_await next(req);
        res.header("X-Request-Id", id.value);
        co_return res;
    };
}

// Server-Timing is shown by browsers' developer tools next to the request.
Middleware timing() {
    return [](Request& req, Next next) -> Task<Response> {
        auto start = std::chrono::steady_clock::now();
        Response res = co_await next(req);
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
        res.header("Server-Timing", "app;dur=" + std::to_string(us / 1000.0));
        co_return res;
    };
}

// CORS for one allowed origin. A preflight (OPTIONS with Access-Control-Request-Method) is
// answered here, before routing, so no route needs an OPTIONS handler.
Middleware cors(std::string allowed_origin) {
    return [allowed_origin](Request& req, Next next) -> Task<Response> {
        auto origin = req.header("Origin");
        bool allowed = origin && *origin == allowed_origin;
        if (req.method() == "OPTIONS" && req.header("Access-Control-Request-Method")) {
            Response pre = Response::status_only(204);
            if (allowed) {
                pre.header("Access-Control-Allow-Origin", *origin)
                    .header("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE")
                    .header("Access-Control-Allow-Headers", "Authorization, Content-Type")
                    .header("Access-Control-Max-Age", "600");
            }
            pre.header("Vary", "Origin");
            co_return pre;
        }
        Response res = co_await next(req);
        if (allowed) res.header("Access-Control-Allow-Origin", *origin);
        res.header("Vary", "Origin");
        co_return res;
    };
}

// Bearer-token auth: 401 with WWW-Authenticate unless the token is known. (A real service
// checks a signed token or asks a session store; the shape is the same.)
Middleware bearer_auth(std::string token) {
    return [token](Request& req, Next next) -> Task<Response> {
        auto auth = req.header("Authorization");
        constexpr std::string_view kScheme = "Bearer ";
        if (!auth || auth->substr(0, kScheme.size()) != kScheme ||
            auth->substr(kScheme.size()) != token) {
            Response denied = Response::text("missing or wrong bearer token\n", 401);
            denied.header("WWW-Authenticate", R"(Bearer realm="api")");
            co_return denied;
        }
        req.context<User>().name = "alice";
        co_return co_await next(req);
    };
}

}  // namespace

int main(int argc, char** argv) try {
    ExampleCli args = parse_example_cli(argc, argv, "middleware [--port N]");

    App app;
    app.use(request_id());
    app.use(timing());
    app.use(cors("http://localhost:3000"));
    app.use(middleware::access_log());  // ready-made: one line per request on stderr

    app.get("/public/hello", [](Request& req) {
        return Response::text("hello, request " + req.context<RequestId>().value + "\n");
    });

    auto api = app.group("/api");
    api.use(bearer_auth("s3cret"));
    api.get("/me", [](Request& req) {
        return Response::json(R"({"user":")" + req.context<User>().name + R"("})");
    });

    return listen_announce_run(app, {.port = args.port});
} catch (const std::exception& e) {
    std::fprintf(stderr, "middleware: %s\n", e.what());
    return 2;
}
