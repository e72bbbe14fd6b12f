// A REST API with JSON CRUD on an in-memory store: the Express "todos" service in Gannet.
//
//   rest_api [--port N]
//
//   curl localhost:8080/api/todos
//   curl localhost:8080/api/todos -H 'Content-Type: application/json' -d '{"title":"docs"}'
//   curl -X PATCH localhost:8080/api/todos/1 -H 'Content-Type: application/json' -d '{"done":true}'
//   curl -X DELETE localhost:8080/api/todos/1
//
// Errors are RFC 9457 problem documents (application/problem+json): 400 for a body that is not
// JSON or does not validate, 404 for an unknown id, 415 for a body that is not JSON at all.
#include "../common/cli.hpp"

#include <gannet/gannet.hpp>
#include <gannet/json.hpp>  // optional: nlohmann::json helpers (read_json, json, problem)

#include <cstdint>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

using namespace gannet;

namespace {

struct Todo {
    std::int64_t id = 0;
    std::string title;
    bool done = false;
};

nlohmann::json to_json(const Todo& t) {
    return {{"id", t.id}, {"title", t.title}, {"done", t.done}};
}

// Workers are threads: state shared by every request needs a lock (or a database). Handlers
// hold it briefly and never across a co_await.
class TodoStore {
  public:
    nlohmann::json list() {
        std::lock_guard lock(mu_);
        auto out = nlohmann::json::array();
        for (const auto& [id, t] : todos_) out.push_back(to_json(t));
        return out;
    }
    std::optional<Todo> find(std::int64_t id) {
        std::lock_guard lock(mu_);
        auto it = todos_.find(id);
        if (it == todos_.end()) return std::nullopt;
        return it->second;
    }
    Todo add(std::string title) {
        std::lock_guard lock(mu_);
        Todo t{++last_id_, std::move(title), false};
        todos_[t.id] = t;
        return t;
    }
    std::optional<Todo> update(std::int64_t id, const std::optional<std::string>& title,
                               std::optional<bool> done) {
        std::lock_guard lock(mu_);
        auto it = todos_.find(id);
        if (it == todos_.end()) return std::nullopt;
        if (title) it->second.title = *title;
        if (done) it->second.done = *done;
        return it->second;
    }
    bool remove(std::int64_t id) {
        std::lock_guard lock(mu_);
        return todos_.erase(id) > 0;
    }

  private:
    std::mutex mu_;
    std::map<std::int64_t, Todo> todos_;
    std::int64_t last_id_ = 0;
};

// Validation: the error message names the field, as a client developer wants.
std::optional<std::string> check_title(const nlohmann::json& body, bool required) {
    if (!body.contains("title")) {
        return required ? std::optional<std::string>("title is required") : std::nullopt;
    }
    if (!body["title"].is_string()) return "title must be a string";
    auto n = body["title"].get_ref<const std::string&>().size();
    if (n == 0 || n > 200) return "title must be 1 to 200 characters";
    return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) try {
    ExampleCli args = parse_example_cli(argc, argv, "rest_api [--port N]");

    TodoStore store;
    App app;
    app.on_error(json_errors());  // thrown HttpErrors become problem+json too
    app.on_not_found([](Request&) { return problem(404, "no such route"); });

    auto api = app.group("/api");

    api.get("/todos", [&store](Request&) { return json(store.list()); });

    api.get("/todos/{id:int}", [&store](Request& req) {
        auto todo = store.find(req.param<std::int64_t>("id"));
        if (!todo) return problem(404, "no todo with that id");
        return json(to_json(*todo));
    });

    api.post("/todos", [&store](Request& req) -> Task<Response> {
        nlohmann::json body = co_await read_json(req);  // 400/415 on bad input
        if (!body.is_object()) co_return problem(400, "expected a JSON object");
        if (auto error = check_title(body, true)) co_return problem(400, *error);
        Todo t = store.add(body["title"]);
        Response res = json(to_json(t), 201);
        res.header("Location", "/api/todos/" + std::to_string(t.id));
        co_return res;
    });

    api.patch("/todos/{id:int}", [&store](Request& req) -> Task<Response> {
        nlohmann::json body = co_await read_json(req);
        if (!body.is_object()) co_return problem(400, "expected a JSON object");
        if (auto error = check_title(body, false)) co_return problem(400, *error);
        if (body.contains("done") && !body["done"].is_boolean()) {
            co_return problem(400, "done must be true or false");
        }
        std::optional<std::string> title;
        std::optional<bool> done;
        if (body.contains("title")) title = body["title"].get<std::string>();
        if (body.contains("done")) done = body["done"].get<bool>();
        auto todo = store.update(req.param<std::int64_t>("id"), title, done);
        if (!todo) co_return problem(404, "no todo with that id");
        co_return json(to_json(*todo));
    });

    api.del("/todos/{id:int}", [&store](Request& req) {
        if (!store.remove(req.param<std::int64_t>("id"))) {
            return problem(404, "no todo with that id");
        }
        return Response::status_only(204);
    });

    return listen_announce_run(app, {.port = args.port});
} catch (const std::exception& e) {
    std::fprintf(stderr, "rest_api: %s\n", e.what());
    return 2;
}
