// ws::Session against a scripted Transport: no sockets, no worker. read_raw() hands out one
// scripted chunk per call and reports a timeout when the script is exhausted, which drives the
// ping / ping-timeout logic deterministically.
#include "ws/session.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <stdexcept>
#include <string>

namespace gannet::ws {
namespace {

Task<std::optional<std::string_view>> ready_view(std::optional<std::string_view> v) {
    co_return v;
}
Task<bool> ready_bool(bool b) {
    co_return b;
}
Task<void> ready_void() {
    co_return;
}

class ScriptedTransport final : public detail::Transport {
  public:
    std::deque<std::string> script;  // one chunk per read_raw()
    std::string pending;             // handed out, not consumed
    std::string written;
    bool timed = false;
    bool gone = false;

    Task<std::optional<std::string_view>> read_body() { return ready_view(std::nullopt); }
    int body_error() const noexcept { return 0; }
    void set_body_limit(std::uint64_t) noexcept {}
    Task<bool> write(std::string_view bytes) {
        written.append(bytes);
        return ready_bool(!gone);
    }
    /// Takes at most `direct_limit` bytes at once, like a socket whose buffer is nearly full.
    std::size_t write_now(std::string_view head, std::string_view body) noexcept {
        if (gone) return 0;
        std::string all = std::string(head) + std::string(body);
        std::size_t n = std::min(all.size(), direct_limit);
        written.append(all, 0, n);
        return n;
    }
    std::size_t direct_limit = static_cast<std::size_t>(-1);
    Task<bool> send_file(int, std::uint64_t, std::uint64_t) { return ready_bool(false); }
    bool closed() const noexcept { return gone; }
    bool draining() const noexcept { return false; }
    Task<std::optional<std::string_view>> read_raw(std::uint64_t, bool more) {
        timed = false;
        if (!pending.empty() && !more) return ready_view(std::string_view(pending));
        if (!script.empty()) {
            pending += script.front();
            script.pop_front();
            return ready_view(std::string_view(pending));
        }
        timed = true;
        return ready_view(std::nullopt);
    }
    void consume_raw(std::size_t n) noexcept { pending.erase(0, n); }
    bool timed_out() const noexcept { return timed; }
    Task<void> wait_closed() { return ready_void(); }
    void close_after_response() noexcept {}
    // No `override` in this class: the Transport interface is growing (close_now), and the
    // fake must build against both shapes.
    void close_now() noexcept { gone = true; }
};

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
    ScriptedTransport transport;
    Request req;
    std::shared_ptr<RouteState> route = std::make_shared<RouteState>();

    Harness() {
        req.attach(&transport, "test");
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
    EXPECT_EQ(h.transport.written, expected);
    EXPECT_EQ(s->close_code(), 1011);
}

TEST(WsSession, EchoThenCloseHandshake) {
    Harness h;
    h.transport.script.push_back(client_frame(Opcode::text, "hi"));
    h.transport.script.push_back(client_frame(Opcode::binary, std::string("\0\1", 2)));
    h.transport.script.push_back(client_frame(Opcode::close, close_payload(4000)));
    auto s = h.run(echo);
    std::string expected;
    append_frame(expected, Opcode::text, "hi");
    append_frame(expected, Opcode::binary, std::string("\0\1", 2));
    append_close_frame(expected, static_cast<CloseCode>(4000));
    EXPECT_EQ(h.transport.written, expected);
    EXPECT_EQ(s->close_code(), 4000);
}

// A socket that takes only part of a frame sent directly: the rest is queued and follows in
// order, before anything sent later.
TEST(WsSession, PartialDirectSendQueuesTheRestInOrder) {
    for (std::size_t limit : {0u, 1u, 3u, 5u}) {
        Harness h;
        h.transport.direct_limit = limit;
        h.transport.script.push_back(client_frame(Opcode::text, "hello"));
        h.transport.script.push_back(client_frame(Opcode::text, "again"));
        h.transport.script.push_back(client_frame(Opcode::close, close_payload(1000)));
        auto s = h.run(echo);
        std::string expected;
        append_frame(expected, Opcode::text, "hello");
        append_frame(expected, Opcode::text, "again");
        append_close_frame(expected, CloseCode::normal);
        EXPECT_EQ(h.transport.written, expected) << "direct_limit " << limit;
    }
}

TEST(WsSession, PingIsAnsweredAndDataResetsTheSilence) {
    Harness h;
    h.transport.script.push_back(client_frame(Opcode::ping, "abc"));
    h.transport.script.push_back(client_frame(Opcode::close, {}));
    auto s = h.run(drain);
    std::string expected;
    append_ping_pong(expected, Opcode::pong, "abc");
    append_close_frame(expected, CloseCode::no_status);
    EXPECT_EQ(h.transport.written, expected);
    EXPECT_EQ(s->close_code(), 1005);
}

TEST(WsSession, HandlerExceptionClosesWith1011) {
    Harness h;
    h.route->options.ping_interval = std::chrono::milliseconds(0);
    h.transport.script.push_back(client_frame(Opcode::text, "boom"));
    h.transport.script.push_back(client_frame(Opcode::close, close_payload(1000)));
    auto s = h.run(thrower);
    std::string expected;
    append_close_frame(expected, CloseCode::internal_error);
    EXPECT_EQ(h.transport.written, expected);
    EXPECT_EQ(s->close_code(), 1011);
}

TEST(WsSession, ProtocolErrorClosesWith1002AndStopsReading) {
    Harness h;
    std::string bad = client_frame(Opcode::text, "x");
    bad[0] = static_cast<char>(bad[0] | 0x20);  // RSV2
    h.transport.script.push_back(bad + client_frame(Opcode::text, "never"));
    auto s = h.run(echo);
    std::string expected;
    append_close_frame(expected, CloseCode::protocol_error, "");
    // The reason text is the decoder's; compare the opcode and code only.
    ASSERT_GE(h.transport.written.size(), 4u);
    EXPECT_EQ(static_cast<unsigned char>(h.transport.written[0]), 0x88);
    EXPECT_EQ(h.transport.written.substr(2, 2), close_payload(1002));
    EXPECT_EQ(s->close_code(), 1002);
}

}  // namespace
}  // namespace gannet::ws
