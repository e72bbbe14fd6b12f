#include <gannet/gannet.hpp>
#include <gannet/json.hpp>

#include <mutex>
#include <vector>
using namespace gannet;

int main() {
    std::mutex mu;  // workers are threads: guard shared state (or use a database)
    std::vector<nlohmann::json> todos;

    App app;
    app.use(middleware::access_log());
    app.on_error(json_errors());

    app.get("/todos", [&](Request&) {
        std::lock_guard lock(mu);
        return json(todos);
    });

    app.get("/todos/{id:int}", [&](Request& req) {
        auto id = req.param<std::size_t>("id");
        std::lock_guard lock(mu);
        if (id == 0 || id > todos.size()) return problem(404, "no such todo");
        return json(todos[id - 1]);
    });

    app.post("/todos", [&](Request& req) -> Task<Response> {
        nlohmann::json body = co_await read_json(req);
        if (!body.is_object() || !body["title"].is_string()) {
            co_return problem(400, "title must be a string");
        }
        std::lock_guard lock(mu);
        nlohmann::json todo = {{"id", todos.size() + 1}, {"title", body["title"]}, {"done", false}};
        todos.push_back(todo);
        co_return json(todo, 201);
    });

    return app.listen({.port = 3000}).run();
}
