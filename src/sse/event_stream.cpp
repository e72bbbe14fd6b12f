#include "sse/event_stream.hpp"

#include "http/exchange.hpp"
#include "io/worker.hpp"
#include "sse/encoder.hpp"

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <unordered_map>
#include <utility>

namespace gannet {

namespace detail {

namespace {

/// This worker's followers of each channel. Touched only on this worker's thread.
thread_local std::unordered_map<const SseChannelCore*, std::vector<SseSubscription*>> t_followers;

/// How often the service looks at the exchange's hang-up flag when nothing else wakes it.
constexpr std::uint64_t kPollMs = 250;

std::uint64_t now_ms() noexcept {
    io::Worker* w = io::Worker::current();
    return w ? w->now_ms() : 0;
}

}  // namespace

/// The service parks here: woken by its timer (poll or heartbeat) or by kick().
struct ServiceSleep {
    SseStreamCore& s;
    std::uint64_t ms;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) noexcept {
        s.sleeper_ = h;
        s.timer_.arm(ms);
    }
    void await_resume() const noexcept {}
};

// Plain while loop, co_await results in named variables: see the GCC 12 note in the brief of
// http/connection.cpp's send_out().
Task<void> service_loop(SseStreamCore* s) {
    const std::uint64_t heartbeat = static_cast<std::uint64_t>(s->options.heartbeat.count());
    const std::uint64_t poll = heartbeat > 0 && heartbeat < kPollMs ? heartbeat : kPollMs;
    while (!s->stopping_) {
        if (s->closed()) {
            s->queue_.clear();
            s->flush_pending_ = false;
            s->queued_bytes_ = 0;
            if (!s->notified_) {
                s->notify_closed();
                continue;
            }
        } else if (s->flush_pending_) {
            // The unsent end of a direct write waits in the exchange: it goes first.
            s->flush_pending_ = false;
            bool ok = co_await s->exchange_->flush();
            if (ok) s->last_write_ms_ = now_ms();
            continue;
        } else if (!s->queue_.empty()) {
            // Everything queued goes out as one chunk and one write: a stream that fell behind
            // (a busy worker, a burst) catches up with one system call, not one per event.
            std::shared_ptr<const std::string> one;
            std::string batch;
            std::string_view data;
            if (s->queue_.size() == 1) {
                one = std::move(s->queue_.front());
                data = *one;
            } else {
                batch.reserve(s->queued_bytes_);
                for (const auto& m : s->queue_) batch.append(*m);
                data = batch;
            }
            s->queue_.clear();
            // queued_bytes_ keeps counting the batch until it is written: the bound on what
            // waits for a slow client stays max_buffered.
            const std::size_t in_flight = data.size();
            bool ok = co_await s->out.write(data);
            s->direct_ready_ = ok && s->out.started() && !s->out.ended();
            // (An overflow may have reset the count meanwhile.)
            s->queued_bytes_ -= std::min(in_flight, s->queued_bytes_);
            if (ok) s->last_write_ms_ = now_ms();
            continue;
        } else {
            s->catch_up();
            if (!s->queue_.empty()) continue;
            if (heartbeat > 0 && now_ms() - s->last_write_ms_ >= heartbeat) {
                std::string ping;
                sse::append_comment("ping", ping);
                bool ok = co_await s->out.write(ping);
                if (ok) s->last_write_ms_ = now_ms();
                continue;
            }
        }
        co_await ServiceSleep{*s, poll};
    }
}

SseStreamCore::SseStreamCore(Request& r, const SseOptions& o)
    : exchange_(r.exchange()), req(r), options(o), out(r) {
    out.content_type("text/event-stream");
    out.header("Cache-Control", "no-cache");
    out.header("X-Accel-Buffering", "no");  // nginx: do not buffer the stream
}

SseStreamCore::~SseStreamCore() {
    // Normally finish() did all this; here the connection is being torn down mid-stream.
    stopping_ = true;
    unsubscribe_all();
    stop_service();
}

bool SseStreamCore::closed() const noexcept {
    // out.closed(), without going through the request for the exchange.
    return overflowed || exchange_ == nullptr || exchange_->closed() || exchange_->draining();
}

void SseStreamCore::ensure_started() {
    if (reject_status != 0) {
        throw std::logic_error("gannet: the EventStream was rejected; it can no longer send");
    }
    if (service_ || stopping_) return;
    last_write_ms_ = now_ms();
    // The head, and the retry preamble, go out first: the service writes them at once.
    std::string preamble;
    if (options.retry) sse::append_event({.retry = options.retry}, preamble);
    enqueue(std::make_shared<const std::string>(std::move(preamble)));
    service_ = service_loop(this).release();
    service_.resume();
}

Task<bool> SseStreamCore::write(std::string bytes) {
    ensure_started();
    if (closed()) co_return false;
    bool ok = co_await out.write(bytes);
    if (ok) last_write_ms_ = now_ms();
    co_return ok;
}

void SseStreamCore::kick() noexcept {
    // Not inline (we may be inside a channel's delivery loop over its followers) and not via a
    // 0 ms timer (that waits for the wheel's next tick, 8 ms): right after this event batch.
    if (auto h = std::exchange(sleeper_, {})) {
        timer_.cancel();
        io::Worker::current()->defer(h);
    }
}

void SseStreamCore::on_timer(TimerNode* n) noexcept {
    SseStreamCore* s = static_cast<Timer*>(n)->owner;
    if (auto h = std::exchange(s->sleeper_, {})) h.resume();
}

void SseStreamCore::enqueue(std::shared_ptr<const std::string> msg) {
    queued_bytes_ += msg->size();
    queue_.push_back(std::move(msg));
    kick();
}

void SseStreamCore::subscribe(std::shared_ptr<SseChannelCore> channel) {
    ensure_started();
    auto sub = std::make_unique<SseSubscription>();
    sub->channel = channel;
    sub->stream = this;
    // Follow first, then read the ring: an event published in between is either in the replay
    // (and its live copy is skipped by sequence) or arrives live after it.
    t_followers[channel.get()].push_back(sub.get());
    std::vector<StoredEvent> replay;
    auto last = req.header("Last-Event-ID");
    if (last && !last->empty()) {
        sub->last_seq = channel->replay_after(*last, replay);
    } else {
        sub->last_seq = channel->current();
    }
    subs_.push_back(std::move(sub));
    for (auto& e : replay) enqueue(std::move(e.wire));
}

void SseStreamCore::offer(SseSubscription& sub, std::uint64_t seq,
                          const std::shared_ptr<const std::string>& msg) {
    if (stopping_ || closed() || seq <= sub.last_seq) return;
    if (sub.lagging) {
        ++dropped;
        return;
    }
    if (!queue_.empty() && queued_bytes_ + msg->size() > options.max_buffered) {
        if (options.on_slow == SseOptions::Overflow::close) {
            overflowed = true;
            queue_.clear();
            queued_bytes_ = 0;
            if (req.exchange()) req.exchange()->close_after_response();
            kick();
            return;
        }
        sub.lagging = true;
        ++dropped;
        return;
    }
    sub.last_seq = seq;
    if (!write_direct(*msg)) enqueue(msg);
}

bool SseStreamCore::write_direct(std::string_view msg) {
    if (!direct_ready_ || !sleeper_ || !queue_.empty() || flush_pending_) return false;
    http::Exchange::Direct d = exchange_->write_body_now({}, msg);
    if (d == http::Exchange::Direct::not_sent) return false;  // the queue's path
    last_write_ms_ = now_ms();
    if (d == http::Exchange::Direct::partial) {
        flush_pending_ = true;
        kick();
    }
    return true;
}

void SseStreamCore::catch_up() {
    for (auto& sub : subs_) {
        if (!sub->lagging) continue;
        std::vector<StoredEvent> missed;
        std::uint64_t current = sub->channel->replay_after(sub->last_seq, missed);
        sub->last_seq = current;
        sub->lagging = false;
        for (auto& e : missed) {
            if (dropped > 0) --dropped;  // recovered from the ring after all
            queued_bytes_ += e.wire->size();
            queue_.push_back(std::move(e.wire));
        }
    }
}

void SseStreamCore::notify_closed() {
    notified_ = true;
    // A resumed waiter may end the stream: finish() then waits for this coroutine to return.
    close_waiters.wake_all();
}

void SseStreamCore::unsubscribe_all() noexcept {
    for (auto& sub : subs_) {
        auto it = t_followers.find(sub->channel.get());
        if (it == t_followers.end()) continue;
        auto& list = it->second;
        std::erase(list, sub.get());
        if (list.empty()) t_followers.erase(it);
    }
    subs_.clear();
}

void SseStreamCore::stop_service() noexcept {
    timer_.cancel();
    sleeper_ = {};
    // kick() may have queued it to run after this batch: it must not run once destroyed.
    if (auto* w = io::Worker::current(); w && service_) w->cancel_deferred(service_);
    if (service_) service_.destroy();
    service_ = {};
}

Task<void> SseStreamCore::finish() {
    stopping_ = true;
    unsubscribe_all();
    // Parked on its timer it can go now; inside an exchange write it must come back first
    // (the connection holds its handle until the write ends).
    if (service_ && !service_.done() && !sleeper_)
        co_await io::Join<Task<void>::promise_type>{service_};
    stop_service();
}

void deliver_local(SseChannelCore& channel, std::uint64_t seq,
                   const std::shared_ptr<const std::string>& msg) {
    auto it = t_followers.find(&channel);
    if (it == t_followers.end()) return;
    // offer() resumes no coroutine (it writes, or queues and defers), so the list cannot
    // change under us. Prefetching a few followers ahead lets the cache misses of their
    // subscription, stream and connection overlap.
    const std::vector<SseSubscription*>& subs = it->second;
    const std::size_t n = subs.size();
    for (std::size_t i = 0; i < n; ++i) {
        if (i + 12 < n) __builtin_prefetch(subs[i + 12]);
        if (i + 8 < n) subs[i + 8]->stream->prefetch();
        if (i + 4 < n) subs[i + 4]->stream->prefetch_exchange();
        subs[i]->stream->offer(*subs[i], seq, msg);
    }
}

Task<Response> run_sse(const SseHandler& handler, const SseOptions& options, Request& req) {
    EventStream es(req, options);
    SseStreamCore& s = es.core();
    if (req.method() == "HEAD") {
        // Headers as for GET, no stream.
        co_await s.out.write({});
        co_await s.out.end();
        co_return Response::already_sent();
    }
    std::exception_ptr error;
    try {
        co_await handler(req, es);
    } catch (...) {
        error = std::current_exception();
    }
    co_await s.finish();
    if (!s.out.started()) {
        if (error) std::rethrow_exception(error);
        if (s.reject_status != 0) co_return Response::status_only(s.reject_status);
        co_await s.out.write({});
    } else if (error) {
        // A handler failed mid-stream: cut the connection, as for any streamed response.
        if (req.exchange()) req.exchange()->close_after_response();
        co_return Response::already_sent();
    }
    co_await s.out.end();
    co_return Response::already_sent();
}

}  // namespace detail

EventStream::EventStream(Request& req, const SseOptions& options)
    : core_(std::make_unique<detail::SseStreamCore>(req, options)) {}

EventStream::~EventStream() = default;

Task<bool> EventStream::send(const Event& event) {
    std::string bytes;
    sse::append_event(event, bytes);  // throws here, before anything is sent
    return core_->write(std::move(bytes));
}

Task<bool> EventStream::comment(std::string_view text) {
    std::string bytes;
    sse::append_comment(text, bytes);
    return core_->write(std::move(bytes));
}

Task<bool> EventStream::open() {
    return core_->write({});
}

void EventStream::reject(int status) {
    if (core_->out.started() || core_->reject_status != 0) {
        throw std::logic_error("gannet: EventStream::reject() after the stream started");
    }
    if (status < 200 || status > 599) {
        throw std::invalid_argument("gannet: EventStream::reject() needs a final status");
    }
    core_->reject_status = status;
}

bool EventStream::closed() const noexcept {
    return core_->closed();
}

std::optional<std::string_view> EventStream::last_event_id() const noexcept {
    auto v = core_->req.header("Last-Event-ID");
    if (v && v->empty()) return std::nullopt;
    return v;
}

Task<> EventStream::wait_closed() {
    if (core_->reject_status == 0) core_->ensure_started();
    // Woken once, by notify_closed() (the client left, the server drains or the stream ended).
    bool done = core_->closed() || core_->reject_status != 0;
    if (!done) co_await core_->close_waiters.wait();
}

Request& EventStream::request() noexcept {
    return core_->req;
}

void EventStream::subscribe(SseChannel& channel) {
    core_->subscribe(channel.core().shared_from_this());
}

Task<> EventStream::follow(SseChannel& channel) {
    subscribe(channel);
    co_await wait_closed();
}

std::uint64_t EventStream::dropped() const noexcept {
    return core_->dropped;
}

}  // namespace gannet
