#include <gannet/gannet.hpp>
using namespace gannet;

int main() {
    App app;
    app.get("/search", [](Request& req) {
        // Query parameters and headers are optional<string_view>: test, then use.
        std::string q(req.query("q").value_or(""));
        std::string agent(req.header("User-Agent").value_or("unknown"));
        if (q.empty()) throw HttpError(400, "q is required");  // 400 with this message

        Response res = Response::text("results for " + q + " (" + agent + ")\n");
        res.header("Cache-Control", "no-store");
        return res;
    });
    app.post("/notes", [](Request& req) -> Task<Response> {
        std::string body = co_await req.text();  // buffered, up to Config::max_body (413)
        co_return Response::json("{\"length\":" + std::to_string(body.size()) + "}", 201);
    });
    app.get("/old", [](Request&) { return Response::redirect("/new", 301); });
    app.get("/whoami", [](Request& req) {
        std::string session(req.cookie("session").value_or("none"));
        return Response::text(std::string(req.remote_address()) + " session=" + session);
    });
    return app.listen({.port = 8080}).run();
}
