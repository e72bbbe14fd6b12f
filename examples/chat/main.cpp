// WebSocket chat rooms with pub/sub: every connection subscribes to its room's topic, and what
// one member sends is published to the topic, reaching every member on every worker.
//
//   chat [--port N]            then open http://localhost:8080/ in two tabs
//
//   npx wscat -c ws://localhost:8080/rooms/lobby       (or any WebSocket client)
#include "../common/cli.hpp"

#include <gannet/gannet.hpp>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

using namespace gannet;

namespace {

// The page, embedded: a room picker, a log and an input.
constexpr std::string_view kPage = R"html(<!doctype html>
<meta charset="utf-8"><title>Gannet chat</title>
<style>body{font:15px system-ui;margin:2em;max-width:40em}#log{height:20em;overflow:auto;
border:1px solid #ccc;padding:.5em;white-space:pre-wrap}</style>
<h1>Room <span id="room"></span></h1><div id="log"></div>
<form id="f"><input id="msg" autocomplete="off" size="50"><button>Send</button></form>
<script>
const room = location.hash.slice(1) || 'lobby';
document.getElementById('room').textContent = room;
const ws = new WebSocket(`ws://${location.host}/rooms/${encodeURIComponent(room)}`);
const log = (t) => { const d = document.getElementById('log'); d.append(t + '\n'); d.scrollTop = 1e9; };
ws.onmessage = (e) => log(e.data);
ws.onclose = () => log('* disconnected');
document.getElementById('f').onsubmit = (e) => {
  e.preventDefault(); const m = document.getElementById('msg');
  if (m.value) ws.send(m.value); m.value = '';
};
</script>
)html";

}  // namespace

int main(int argc, char** argv) try {
    ExampleCli args = parse_example_cli(argc, argv, "chat [--port N]");

    App app;
    app.get("/", [](Request&) { return Response::html(kPage); });

    WebSocketOptions options;
    options.max_message = 64 * 1024;  // chat lines, not files
    // Only pages from this server may connect (browsers always send Origin; curl does not).
    options.accept = [](Request& req) {
        auto origin = req.header("Origin");
        return !origin || *origin == "http://" + std::string(req.host());
    };

    // The handler runs for the life of the connection, on its worker. `app` outlives it.
    app.ws(
        "/rooms/{room}",
        [&app](Request& req, WebSocket& ws) -> Task<> {
            std::string topic = "room:" + std::string(req.param("room"));
            ws.subscribe(topic);
            app.publish(topic, "* someone joined");
            while (auto msg = co_await ws.receive()) {
                if (msg->binary) continue;  // text only
                app.publish(topic, "> " + msg->data);
            }
            // The connection is closing: no more sends to it, but the others hear about it.
            app.publish(topic, "* someone left");
        },
        options);

    return listen_announce_run(app, {.port = args.port});
} catch (const std::exception& e) {
    std::fprintf(stderr, "chat: %s\n", e.what());
    return 2;
}
