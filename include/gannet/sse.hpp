// Server-Sent Events (WHATWG HTML, "Server-sent events"): EventStream for one client, and
// SseChannel for fan-out with replay.
//
//   app.sse("/events", [](Request&, EventStream& es) -> Task<> {
//       std::uint64_t id = 0;   // resume after Last-Event-ID
//       if (auto last = es.last_event_id()) std::from_chars(last->data(), ..., id);
//       for (;;) {
//           bool ok = co_await es.send({.event = "tick", .data = "1", .id = std::to_string(++id)});
//           if (!ok) break;   // the client has gone
//           co_await sleep_for(100ms);
//       }
//   });
//   app.sse("/news", [&](Request&, EventStream& es) -> Task<> {
//       co_await es.follow(app.channel("news"));   // replay after Last-Event-ID, then live
//   });
//   app.channel("news").publish({.event = "story", .data = json});   // from any thread
//
// Stopping reconnection: a client reconnects whenever the stream ends, unless the answer is 204.
// Call `es.reject()` (or `es.reject(404)` ...) before the first send and return: the client then
// receives that status with no body instead of an event stream.
#pragma once

#include <gannet/request.hpp>
#include <gannet/task.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

namespace gannet {

class EventStream;

/// A Server-Sent Events handler: runs for the life of the stream.
using SseHandler = std::function<Task<>(Request&, EventStream&)>;

/// One event. Every field may be empty. `data` may hold several lines (split on CRLF, CR or
/// LF into several `data:` lines; the client joins them with LF). `event` and `id` must not
/// contain CR or LF, nor `id` NUL: send() and publish() throw std::invalid_argument for them.
/// An Event with empty `data` and `event` but an `id` or `retry` only updates the client's last
/// event id / reconnection time; it dispatches no message.
struct Event {
    std::string_view event{};  ///< the event type ("message" on the client when empty)
    std::string_view data{};
    std::string_view id{};
    std::optional<std::chrono::milliseconds> retry{};  ///< the client's reconnection delay
};

/// Per-route options of an SSE route.
struct SseOptions {
    /// A comment is sent after this much silence, so that proxies and clients keep the stream
    /// open (0 disables it).
    std::chrono::milliseconds heartbeat{15'000};
    /// Bytes of channel events queued for one client beyond what the connection accepts; a
    /// client slower than its channels is never buffered without bound.
    std::size_t max_buffered = 256 * 1024;
    /// What happens to a client whose queue is full.
    enum class Overflow {
        drop,   ///< skip events for it; when it catches up it gets what the replay buffer still
                ///< holds, so it only loses events that the replay buffer lost too
        close,  ///< end its stream; it reconnects with Last-Event-ID and replays
    } on_slow = Overflow::drop;
    /// Sent as `retry:` at the start of every stream (the client's reconnection delay).
    std::optional<std::chrono::milliseconds> retry;
};

namespace detail {
class SseChannelCore;
class SseStreamCore;
}  // namespace detail

/// A named event channel of an App (`app.channel("news")`): events published to it reach every
/// stream that follows it, on every worker, in publish order; the last `replay()` events are kept
/// so that a client resuming with Last-Event-ID gets what it missed. Thread-safe.
class SseChannel {
  public:
    /// Made by App::channel(); users never construct one.
    explicit SseChannel(std::shared_ptr<detail::SseChannelCore> core) noexcept;
    ~SseChannel();
    SseChannel(const SseChannel&) = delete;
    SseChannel& operator=(const SseChannel&) = delete;

    /// Publishes `event` to every follower. Safe from any thread. An event without an id gets
    /// the channel's sequence number as its id (1, 2, 3 ...). Returns that sequence number.
    /// Throws std::invalid_argument for a malformed event name or id.
    std::uint64_t publish(const Event& event);
    /// Keeps the last `n` events for replay (default 100; 0 disables replay).
    SseChannel& set_replay(std::size_t n);
    std::size_t replay() const noexcept;
    /// The sequence number of the last event published (0 before the first).
    std::uint64_t last_sequence() const noexcept;
    std::string_view name() const noexcept;

    detail::SseChannelCore& core() noexcept { return *core_; }

  private:
    std::shared_ptr<detail::SseChannelCore> core_;
};

/// One client's event stream, handed to an `app.sse()` handler. The response head
/// (`Content-Type: text/event-stream`, chunked) goes out with the first send, comment, open(),
/// subscribe() or follow(). The handler runs on its connection's worker; so does every method
/// here (do not share an EventStream with another thread: publish to a channel instead).
/// The stream ends when the handler returns.
class EventStream {
  public:
    /// Made by the SSE route; users never construct one.
    EventStream(Request& req, const SseOptions& options);
    ~EventStream();
    EventStream(const EventStream&) = delete;
    EventStream& operator=(const EventStream&) = delete;

    /// Sends one event. Suspends while the connection's write buffer is full (backpressure).
    /// False once the client has gone or the server is draining: stop sending and return.
    /// Throws std::invalid_argument when `event.event` or `event.id` holds CR/LF (or NUL).
    Task<bool> send(const Event& event);
    /// Sends a comment line (`: text`), ignored by clients; useful as a keep-alive.
    Task<bool> comment(std::string_view text);
    /// Sends the response head now (clients see the stream open) without an event.
    Task<bool> open();
    /// Answers with `status` (default 204 No Content, which stops EventSource reconnecting)
    /// instead of an event stream. Only before anything was sent; the handler should return.
    void reject(int status = 204);

    /// True once the client has gone, the server is draining, or the stream was closed for
    /// being too slow (SseOptions::Overflow::close).
    bool closed() const noexcept;
    /// The Last-Event-ID request header, if the client is resuming.
    std::optional<std::string_view> last_event_id() const noexcept;
    /// Suspends until closed() becomes true. One waiter or many; detection of a client that
    /// left takes at most a quarter of a second.
    Task<> wait_closed();
    Request& request() noexcept;

    /// Follows `channel`: its events are queued for this client (bounded by max_buffered) and
    /// written in order. With a Last-Event-ID, the events after it that the replay buffer still
    /// holds come first, then live ones, with no gap and no duplicate.
    void subscribe(SseChannel& channel);
    /// subscribe(), then wait_closed(): a handler that only relays a channel is one line.
    Task<> follow(SseChannel& channel);

    /// Events of followed channels skipped because the client was too slow (policy drop).
    std::uint64_t dropped() const noexcept;

    detail::SseStreamCore& core() noexcept { return *core_; }

  private:
    std::unique_ptr<detail::SseStreamCore> core_;
};

}  // namespace gannet
