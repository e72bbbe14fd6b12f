#include <gannet/gannet.hpp>
using namespace gannet;

int main() {
    App app;
    app.get("/", [](Request&) { return Response::text("Hello, World!"); });
    app.get("/hello/{name}", [](Request& req) {
        return Response::text("Hello, " + std::string(req.param("name")) + "!");
    });
    return app.listen({.port = 8080}).run();  // Ctrl-C: graceful drain
}
