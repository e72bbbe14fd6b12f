#include <gannet/gannet.hpp>
using namespace gannet;

int main() {
    App app;
    // Static segments, parameters, typed parameters and a trailing wildcard.
    app.get("/users", [](Request&) { return Response::json("[]"); });
    app.get("/users/{id:int}", [](Request& req) {
        auto id = req.param<std::int64_t>("id");  // 400 if it does not fit
        return Response::json("{\"id\":" + std::to_string(id) + "}");
    });
    app.get("/users/me", [](Request&) { return Response::text("static beats {id:int}"); });
    app.get("/files/{*path}", [](Request& req) { return Response::text(req.param("path")); });

    // Every method has its helper; route() takes any token.
    app.post("/users", [](Request&) { return Response::status_only(201); });
    app.del("/users/{id:int}", [](Request&) { return Response::status_only(204); });
    app.route("PURGE", "/cache", [](Request&) { return Response::status_only(204); });

    // A group: a prefix, and middleware that applies to its routes only.
    auto admin = app.group("/admin");
    admin.use([](Request& req, Next next) -> Task<Response> {
        if (req.header("X-Admin") != "yes") co_return Response::status_only(403);
        co_return co_await next(req);
    });
    admin.get("/stats", [](Request&) { return Response::json(R"({"ok":true})"); });

    return app.listen({.port = 8080}).run();
}
