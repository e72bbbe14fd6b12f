// Server-Sent Events: a live news feed with replay, and a per-client clock.
//
//   sse_feed [--port N]        then open http://localhost:8080/ and, elsewhere:
//
//   curl -N localhost:8080/feed                                  # the raw stream
//   curl -d 'Gannet 1.0 released' localhost:8080/news            # publish a story
//   curl -N localhost:8080/feed -H 'Last-Event-ID: 3'            # resume after story 3
//
// EventSource in the browser reconnects by itself and sends Last-Event-ID; the channel keeps
// the last 100 stories, so a client that was away gets what it missed, then live ones.
#include "../common/cli.hpp"

#include <gannet/gannet.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>

using namespace gannet;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view kPage = R"html(<!doctype html>
<meta charset="utf-8"><title>Gannet feed</title>
<style>body{font:15px system-ui;margin:2em;max-width:40em}li{margin:.3em 0}</style>
<h1>News <small id="clock"></small></h1>
<form id="f"><input id="story" size="50" placeholder="a headline"><button>Publish</button></form>
<ul id="news"></ul>
<script>
const feed = new EventSource('/feed');
feed.addEventListener('story', (e) => {
  const li = document.createElement('li');
  li.textContent = `#${e.lastEventId} ${e.data}`;
  document.getElementById('news').prepend(li);
});
const clock = new EventSource('/clock');
clock.addEventListener('time', (e) => { document.getElementById('clock').textContent = e.data; });
document.getElementById('f').onsubmit = async (e) => {
  e.preventDefault(); const s = document.getElementById('story');
  if (s.value) await fetch('/news', { method: 'POST', body: s.value }); s.value = '';
};
</script>
)html";

std::string now_text() {
    std::time_t t = std::time(nullptr);
    char buf[32];
    std::strftime(buf, sizeof buf, "%H:%M:%S", std::localtime(&t));
    return buf;
}

}  // namespace

int main(int argc, char** argv) try {
    ExampleCli args = parse_example_cli(argc, argv, "sse_feed [--port N]");

    App app;
    app.get("/", [](Request&) { return Response::html(kPage); });

    // The channel: created once, followed by every /feed client, on every worker.
    app.channel("news").set_replay(100);

    // One line: replay after Last-Event-ID, then live events until the client leaves.
    app.sse("/feed", [&app](Request&, EventStream& es) -> Task<> {
        co_await es.follow(app.channel("news"));
    });

    // Publishing is safe from any thread; the event id is the channel's sequence number.
    app.post("/news", [&app](Request& req) -> Task<Response> {
        std::string story = co_await req.text();
        if (story.empty() || story.size() > 1000) throw HttpError(400, "1 to 1000 bytes, please");
        auto id = app.channel("news").publish({.event = "story", .data = story});
        co_return Response::json("{\"id\":" + std::to_string(id) + "}", 201);
    });

    // A stream of its own per client: send() is false once the client has gone.
    app.sse("/clock", [](Request&, EventStream& es) -> Task<> {
        for (;;) {
            bool sent = co_await es.send({.event = "time", .data = now_text()});
            if (!sent) break;
            co_await sleep_for(1s);
        }
    });

    return listen_announce_run(app, {.port = args.port});
} catch (const std::exception& e) {
    std::fprintf(stderr, "sse_feed: %s\n", e.what());
    return 2;
}
