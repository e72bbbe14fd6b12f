#include <gannet/gannet.hpp>
#include <gannet/json.hpp>  // nlohmann::json helpers; not part of gannet.hpp
using namespace gannet;

int main() {
    App app;
    app.on_error(json_errors());  // HttpErrors answered as application/problem+json

    app.post("/users", [](Request& req) -> Task<Response> {
        nlohmann::json body = co_await read_json(req);  // 400, 413 or 415 on bad input
        if (!body.is_object() || !body["name"].is_string()) {
            co_return problem(400, "name must be a string");
        }
        std::string name = body["name"];
        int age = body.value("age", 0);  // a default when absent
        co_return json({{"id", 1}, {"name", name}, {"age", age}}, 201);
    });

    // Hot path, fixed shape: no DOM, one buffer.
    app.get("/json",
            [](Request&) { return JsonWriter().field("message", "Hello, World!").response(); });
    return app.listen({.port = 8080}).run();
}
