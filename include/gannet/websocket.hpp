// WebSocket routes (RFC 6455, with permessage-deflate, RFC 7692) and pub/sub topics.
//
//   app.ws("/chat", [&](Request& req, WebSocket& ws) -> Task<> {
//       ws.subscribe("room");
//       while (auto msg = co_await ws.receive()) app.publish("room", msg->data, msg->binary);
//   });
//
// The handler runs on the connection's worker for the life of the connection. A reader runs
// beside it: it answers pings, sends pings after `ping_interval` of silence, runs the close
// handshake and queues complete messages for receive(). When the handler returns, the
// connection is closed with 1000 (1011 if it threw).
//
// Never put a co_await in an if/while/for condition or a && / || operand: GCC 12 miscompiles
// it (see <gannet/task.hpp>). `while (auto m = co_await ws.receive())` is a condition
// declaration and safe; for send(), bind first: `bool sent = co_await ws.send(m->data);
// if (!sent) co_return;`.
//
// Origin checks: set WebSocketOptions::accept to refuse an upgrade with 403 before it happens
// (e.g. `[](Request& r) { return r.header("Origin") == "https://example.com"; }`); a handler
// may also refuse later with `co_await ws.close(1008)`.
#pragma once

#include <gannet/request.hpp>
#include <gannet/task.hpp>

#include <any>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gannet {

class App;
class WebSocket;

/// A WebSocket handler: runs for the life of the connection.
using WebSocketHandler = std::function<Task<>(Request&, WebSocket&)>;

namespace ws {
class Session;
}

/// What to do with a subscriber whose outgoing buffer is over WebSocketOptions::max_buffered
/// when a published message arrives for it.
enum class SlowSubscriber : std::uint8_t {
    drop,   ///< skip this message for this subscriber (it keeps the connection)
    close,  ///< close it with TopicPolicy::close_code (1013 "try again later" by default)
};

/// What happens to subscribers that fall behind: the default of a WebSocket route's connections
/// (WebSocketOptions::topic_policy), or one topic's own (set_topic_policy()).
struct TopicPolicy {
    SlowSubscriber on_slow = SlowSubscriber::drop;
    std::uint16_t close_code = 1013;  ///< with SlowSubscriber::close: 1008 or 1013 suit
};

/// Chooses the slow-subscriber policy of `topic` on `app`, overriding the routes' own for the
/// messages published to it (say, drop for a ticker, close for a ledger feed). Safe from any
/// thread; applies to messages published afterwards.
void set_topic_policy(App& app, std::string_view topic, TopicPolicy policy);

/// Per-route WebSocket settings (docs/architecture.md, "HTTP rules and limits" gives the defaults).
struct WebSocketOptions {
    std::size_t max_message = 16 * 1024 * 1024;  ///< a bigger message closes with 1009; also
                                                 ///< bounds messages queued for receive()
    std::size_t max_frame = 16 * 1024 * 1024;    ///< a bigger frame closes with 1009
    /// Ping after this much silence from the client; close (1011) if nothing arrives within
    /// another interval. Zero disables pings.
    std::chrono::milliseconds ping_interval{30'000};
    /// How long to wait for the client's close frame after sending ours.
    std::chrono::milliseconds close_timeout{5'000};

    bool compression = true;                   ///< accept permessage-deflate offers
    std::size_t compression_threshold = 1024;  ///< shorter messages are sent uncompressed
    int compression_level = 6;                 ///< zlib level 0..9
    int compression_window_bits = 15;          ///< our LZ77 window, 8..15 (memory vs ratio)
    bool no_context_takeover = false;          ///< reset our compressor after every message

    /// Subprotocols the server speaks, in preference order; the first one the client offered
    /// is selected (see WebSocket::subprotocol()).
    std::vector<std::string> subprotocols;
    /// Outgoing bytes queued beyond this make send() wait, and apply `topic_policy` to
    /// published messages.
    std::size_t max_buffered = 1024 * 1024;
    TopicPolicy topic_policy;

    /// Runs before the upgrade; false answers 403 (Origin checks, authentication).
    std::function<bool(Request&)> accept;
};

/// One complete message received.
struct Message {
    std::string data;
    bool binary = false;  ///< false: text (valid UTF-8)
    /// The payload, so that `app.publish(topic, *msg)` reads naturally.
    operator std::string_view() const noexcept { return data; }
};

/// One WebSocket connection, as handed to a handler. Every member must be called on the
/// connection's worker (i.e. from the handler or code it runs); only one coroutine may wait in
/// receive() at a time, any number may send().
class WebSocket {
  public:
    WebSocket(const WebSocket&) = delete;
    WebSocket& operator=(const WebSocket&) = delete;

    /// The next message, or nullopt once the connection is closed (after every message that
    /// arrived before the close).
    Task<std::optional<Message>> receive();
    /// Queues a message; suspends while more than max_buffered bytes are queued. False once
    /// the connection is closing or gone.
    Task<bool> send(std::string_view data, bool binary = false);
    /// Sends a close frame (once) with `code` (1000, 1001, 1003, 1007-1014 or 3000-4999;
    /// anything else sends 1000) and waits until what was queued before it has been written.
    Task<> close(std::uint16_t code = 1000, std::string_view reason = {});

    /// Receives what is published to `topic` (App::publish) until unsubscribe() or the close.
    void subscribe(std::string_view topic);
    void unsubscribe(std::string_view topic);

    /// The subprotocol selected from WebSocketOptions::subprotocols, or empty.
    std::string_view subprotocol() const noexcept;
    /// The upgrade request (its views stay valid for the life of the handler).
    Request& request() noexcept;
    /// True once a close frame was sent or received, or the connection dropped.
    bool closed() const noexcept;
    /// The close code: the client's (1005 when it sent none), ours if we closed first, 1006
    /// when the connection dropped; 0 while open.
    std::uint16_t close_code() const noexcept;
    /// Published messages skipped for this connection by SlowSubscriber::drop.
    std::uint64_t dropped() const noexcept;

    /// Per-connection user data of type T, created on first use.
    template <class T>
    T& data() {
        for (auto& a : data_) {
            if (auto* p = std::any_cast<T>(&a)) return *p;
        }
        return std::any_cast<T&>(data_.emplace_back(std::in_place_type<T>));
    }

  private:
    friend class ws::Session;
    explicit WebSocket(ws::Session& s) noexcept : s_(&s) {}
    ws::Session* s_;
    std::vector<std::any> data_;
};

}  // namespace gannet
