// ws::Session against a scripted Exchange (tests/support/scripted_exchange.hpp): no sockets, no
// worker. read_raw() hands out one scripted chunk per call and reports a timeout when the script is
// exhausted, which drives the ping / ping-timeout logic deterministically.
#include "ws/session.hpp"

#include "io/worker.hpp"
#include "support/scripted_exchange.hpp"
#include "ws/topics.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <stdexcept>
#include <string>

namespace gannet::ws {
namespace {

std::string client_frame(Opcode op, std::string_view payload) {
    std::string out;
    FrameHeader h;
    h.opcode = op;
    h.masked = true;
    h.mask = {1, 2, 3, 4};
    h.payload_length = payload.size();
    append_frame_header(out, h);
    std::size_t at = out.size();
    out.append(payload);
    apply_mask({out.data() + at, payload.size()}, h.mask);
    return out;
}

std::string close_payload(std::uint16_t code) {
    return {static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
}

struct Harness {
    test::ScriptedExchange exchange;
    Request req;
    std::shared_ptr<RouteState> route = std::make_shared<RouteState>();

    Harness() {
        req.attach(&exchange, "test");
        route->options.ping_interval = std::chrono::milliseconds(10);
        route->app_key = this;
    }
    /// Runs a session to its end (everything here completes synchronously).
    std::shared_ptr<Session> run(WebSocketHandler h) {
        route->handler = std::move(h);
        auto s = std::make_shared<Session>(req, route, "", std::nullopt);
        Task<void> t = s->run();
        t.start();
        EXPECT_TRUE(t.done());
        return s;
    }
};

// Not `while (co_await ws.receive()) {}`: GCC 12 miscompiles that shape (the body of
// receive() never runs and the handler never finishes).
Task<> drain(Request&, WebSocket& ws) {
    std::optional<Message> m = co_await ws.receive();
    while (m) m = co_await ws.receive();
}

Task<> echo(Request&, WebSocket& ws) {
    while (auto m = co_await ws.receive()) {
        bool ok = co_await ws.send(m->data, m->binary);
        if (!ok) co_return;
    }
}

Task<> thrower(Request&, WebSocket& ws) {
    auto m = co_await ws.receive();
    if (m) throw std::runtime_error("handler failure");
}

TEST(WsSession, PingsAfterSilenceThenClosesWith1011) {
    Harness h;
    auto s = h.run(drain);
    std::string expected;
    append_ping_pong(expected, Opcode::ping, {});
    append_close_frame(expected, CloseCode::internal_error, "ping timeout");
    EXPECT_EQ(h.exchange.written, expected);
    EXPECT_EQ(s->close_code(), 1011);
}

TEST(WsSession, EchoThenCloseHandshake) {
    Harness h;
    h.exchange.script.push_back(client_frame(Opcode::text, "hi"));
    h.exchange.script.push_back(client_frame(Opcode::binary, std::string("\0\1", 2)));
    h.exchange.script.push_back(client_frame(Opcode::close, close_payload(4000)));
    auto s = h.run(echo);
    std::string expected;
    append_frame(expected, Opcode::text, "hi");
    append_frame(expected, Opcode::binary, std::string("\0\1", 2));
    append_close_frame(expected, static_cast<CloseCode>(4000));
    EXPECT_EQ(h.exchange.written, expected);
    EXPECT_EQ(s->close_code(), 4000);
}

// A socket that takes only part of a frame sent directly: the rest is queued and follows in
// order, before anything sent later.
TEST(WsSession, PartialDirectSendQueuesTheRestInOrder) {
    for (std::size_t limit : {0u, 1u, 3u, 5u}) {
        Harness h;
        h.exchange.direct_limit = limit;
        h.exchange.script.push_back(client_frame(Opcode::text, "hello"));
        h.exchange.script.push_back(client_frame(Opcode::text, "again"));
        h.exchange.script.push_back(client_frame(Opcode::close, close_payload(1000)));
        auto s = h.run(echo);
        std::string expected;
        append_frame(expected, Opcode::text, "hello");
        append_frame(expected, Opcode::text, "again");
        append_close_frame(expected, CloseCode::normal);
        EXPECT_EQ(h.exchange.written, expected) << "direct_limit " << limit;
    }
}

TEST(WsSession, PingIsAnsweredAndDataResetsTheSilence) {
    Harness h;
    h.exchange.script.push_back(client_frame(Opcode::ping, "abc"));
    h.exchange.script.push_back(client_frame(Opcode::close, {}));
    auto s = h.run(drain);
    std::string expected;
    append_ping_pong(expected, Opcode::pong, "abc");
    append_close_frame(expected, CloseCode::no_status);
    EXPECT_EQ(h.exchange.written, expected);
    EXPECT_EQ(s->close_code(), 1005);
}

TEST(WsSession, HandlerExceptionClosesWith1011) {
    Harness h;
    h.route->options.ping_interval = std::chrono::milliseconds(0);
    h.exchange.script.push_back(client_frame(Opcode::text, "boom"));
    h.exchange.script.push_back(client_frame(Opcode::close, close_payload(1000)));
    auto s = h.run(thrower);
    std::string expected;
    append_close_frame(expected, CloseCode::internal_error);
    EXPECT_EQ(h.exchange.written, expected);
    EXPECT_EQ(s->close_code(), 1011);
}

TEST(WsSession, ProtocolErrorClosesWith1002AndStopsReading) {
    Harness h;
    std::string bad = client_frame(Opcode::text, "x");
    bad[0] = static_cast<char>(bad[0] | 0x20);  // RSV2
    h.exchange.script.push_back(bad + client_frame(Opcode::text, "never"));
    auto s = h.run(echo);
    std::string expected;
    append_close_frame(expected, CloseCode::protocol_error, "");
    // The reason text is the decoder's; compare the opcode and code only.
    ASSERT_GE(h.exchange.written.size(), 4u);
    EXPECT_EQ(static_cast<unsigned char>(h.exchange.written[0]), 0x88);
    EXPECT_EQ(h.exchange.written.substr(2, 2), close_payload(1002));
    EXPECT_EQ(s->close_code(), 1002);
}

// Pub/sub delivery passes that span several slices, on a real worker loop (slices yield to it
// through the mailbox). Subscribers leave during a pass, before and after their turn; a second
// message published during the pass joins it.
struct Subscriber {
    test::ScriptedExchange exchange;
    Request req;
    std::shared_ptr<Session> session;
};

std::string published(std::string_view text) {
    std::string f;
    append_frame(f, Opcode::text, text);
    return f;
}

void run_pass_scenario(bool second_message, std::vector<std::string>& got) {
    constexpr std::size_t n = 10;
    topics_set_slice(3);
    auto route = std::make_shared<RouteState>();
    int key = 0;
    route->app_key = &key;
    std::vector<std::unique_ptr<Subscriber>> subs;
    io::Worker w(0);
    int rounds = 0;
    std::function<void()> until_done = [&] {
        ++rounds;
        // Done once the last subscriber has the last message (the pass ends there).
        bool done =
            subs.back()->exchange.written.find(second_message ? "two" : "one") != std::string::npos;
        if (done || rounds > 1000) {
            w.stop();
        } else {
            w.post(until_done);
        }
    };
    w.post([&] {
        for (std::size_t i = 0; i < n; ++i) {
            auto sub = std::make_unique<Subscriber>();
            sub->req.attach(&sub->exchange, "test");
            sub->session = std::make_shared<Session>(sub->req, route, "", std::nullopt);
            sub->session->subscribe("t");
            subs.push_back(std::move(sub));
        }
        topics_deliver(&key, "t", std::make_shared<const std::string>(published("one")));
        // The first slice (subscribers 0-2) is done; the rest wait for the loop.
        EXPECT_EQ(subs[0]->exchange.written, published("one"));
        EXPECT_EQ(subs[3]->exchange.written, "");
        subs[1]->session->unsubscribe("t");  // already served: a hole
        subs[5]->session->unsubscribe("t");  // not yet served: never gets it
        if (second_message) {
            topics_deliver(&key, "t", std::make_shared<const std::string>(published("two")));
        }
        w.post(until_done);
    });
    w.run();
    topics_set_slice(1024);
    for (auto& sub : subs) {
        sub->session->unsubscribe("t");
        got.push_back(sub->exchange.written);
    }
    EXPECT_LT(rounds, 1000);
}

TEST(WsPubSub, PassSpanningSlicesServesEveryoneOnceDespiteHoles) {
    std::vector<std::string> got;
    run_pass_scenario(false, got);
    for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i], i == 5 ? "" : published("one")) << "subscriber " << i;
    }
}

TEST(WsPubSub, MessagePublishedDuringAPassJoinsItInOrder) {
    std::vector<std::string> got;
    run_pass_scenario(true, got);
    for (std::size_t i = 0; i < got.size(); ++i) {
        std::string want = i == 5   ? ""
                           : i == 1 ? published("one")
                                    : published("one") + published("two");
        EXPECT_EQ(got[i], want) << "subscriber " << i;
    }
}

}  // namespace
}  // namespace gannet::ws
