#include <gannet/gannet.hpp>
using namespace gannet;

int main() {
    App app;
    // Echo: the handler runs for the life of the connection.
    app.ws("/echo", [](Request&, WebSocket& ws) -> Task<> {
        while (auto msg = co_await ws.receive()) {
            bool sent = co_await ws.send(msg->data, msg->binary);
            if (!sent) co_return;
        }
    });

    // Pub/sub: publish() reaches every subscriber on every worker, in order.
    WebSocketOptions options;
    options.max_message = 64 * 1024;
    options.accept = [](Request& req) { return req.header("Origin") == "https://example.com"; };
    app.ws(
        "/rooms/{room}",
        [&app](Request& req, WebSocket& ws) -> Task<> {
            std::string topic = "room:" + std::string(req.param("room"));
            ws.subscribe(topic);
            while (auto msg = co_await ws.receive()) app.publish(topic, *msg);
        },
        options);
    return app.listen({.port = 8080}).run();
}
