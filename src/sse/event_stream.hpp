// EventStream's state and the SSE route's driver.
//
// Threading: a stream, its subscriptions and the worker-local follower lists live on the
// connection's worker and are touched only there; channel events arrive through the worker's
// mailbox (deliver_local). Nothing here is locked except the channel's ring.
//
// The service coroutine: one per open stream, it writes queued channel events in order, sends
// heartbeats, and notices a client that left (polling the exchange's hang-up flag, which the
// poller sets without anyone reading) to wake wait_closed(). It suspends only on its own timer or
// in an exchange write; the stream never destroys it inside a write (see finish()).
#pragma once

#include "http/exchange.hpp"
#include "io/prefetch.hpp"
#include "io/waiters.hpp"
#include "sse/channel.hpp"

#include <gannet/detail/timer_node.hpp>
#include <gannet/response_stream.hpp>
#include <gannet/sse.hpp>

#include <coroutine>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace gannet::detail {

class SseStreamCore;

/// One stream following one channel.
struct SseSubscription {
    std::shared_ptr<SseChannelCore> channel;
    SseStreamCore* stream = nullptr;
    std::uint64_t last_seq = 0;  ///< the highest sequence queued (or skipped as replayed)
    bool lagging = false;        ///< events were dropped: catch up from the ring when drained
};

class SseStreamCore {
    // What a channel delivery reads of each follower's stream (offer(), write_direct(),
    // closed()) comes first, on the first two cache lines: a fan-out touches every stream, and
    // its cost is mostly these misses (deliver_local() prefetches them).
    http::Exchange* exchange_;         // req.exchange(), fixed for the stream's life
    std::coroutine_handle<> sleeper_;  // the service, parked on timer_
    std::size_t queued_bytes_ = 0;
    bool stopping_ = false;
    bool notified_ = false;
    bool direct_ready_ = false;   // the head is out: write_direct() may
    bool flush_pending_ = false;  // the exchange holds the unsent end of a direct write
    std::deque<std::shared_ptr<const std::string>> queue_;

  public:
    bool overflowed = false;

    SseStreamCore(Request& req, const SseOptions& options);
    ~SseStreamCore();

    bool closed() const noexcept;
    Task<bool> write(std::string bytes);
    void ensure_started();
    void subscribe(std::shared_ptr<SseChannelCore> channel);
    /// Hints the cache to load what offer() reads of this stream, or of its connection (which
    /// needs this stream's line loaded first).
    void prefetch() const noexcept { io::prefetch_two_lines(this); }
    void prefetch_exchange() const noexcept {
        if (exchange_) exchange_->prefetch_write();
    }
    /// A live event of a followed channel, on this worker.
    void offer(SseSubscription& sub, std::uint64_t seq,
               const std::shared_ptr<const std::string>& msg);
    /// Stops the service and leaves every channel; the stream's end (the handler returned).
    Task<void> finish();

    Request& req;
    SseOptions options;
    ResponseStream out;
    int reject_status = 0;
    std::uint64_t dropped = 0;
    io::WaitList close_waiters;

  private:
    friend struct ServiceSleep;
    friend Task<void> service_loop(SseStreamCore* s);
    void kick() noexcept;
    /// Writes `msg` straight to the socket (framed by the exchange) when the service is parked
    /// and nothing waits before it (no coroutine, no copy into the connection's buffer). What
    /// the socket does not take waits in the exchange for the service's flush. False: use the
    /// queue.
    bool write_direct(std::string_view msg);
    void enqueue(std::shared_ptr<const std::string> msg);
    void catch_up();
    void notify_closed();
    void unsubscribe_all() noexcept;
    void stop_service() noexcept;
    static void on_timer(TimerNode* n) noexcept;

    struct Timer : TimerNode {
        explicit Timer(SseStreamCore* s) noexcept : TimerNode(&SseStreamCore::on_timer), owner(s) {}
        SseStreamCore* owner;
    };

    std::vector<std::unique_ptr<SseSubscription>> subs_;
    Task<void>::Handle service_;
    Timer timer_{this};
    std::uint64_t last_write_ms_ = 0;
};

/// Delivers a published event to this worker's followers of `channel`.
void deliver_local(SseChannelCore& channel, std::uint64_t seq,
                   const std::shared_ptr<const std::string>& msg);

/// The body of an SSE route: runs `handler` with an EventStream, then ends the stream.
Task<Response> run_sse(const SseHandler& handler, const SseOptions& options, Request& req);

}  // namespace gannet::detail
