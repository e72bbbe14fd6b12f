// One WebSocket connection after the 101: the reader loop (frames, control frames, close
// handshake, pings), the handler beside it, and the outgoing queue shared by the handler's
// send() and pub/sub deliveries.
//
// Coroutines and who resumes whom (all on the connection's worker):
//  - run() is awaited by the route adapter. It starts the handler (a Job), runs read_loop()
//    itself, then joins the handler and the writer before returning, so that nothing refers to
//    the Request or the transport after the adapter returns.
//  - The writer (pump()) drains `outq_` through Exchange::write_body; it is started on demand and
//    resumes senders parked on backpressure.
//  - The reader wakes receive() after each batch of bytes; receive() wakes a reader paused
//    because too much was queued.
// Joining uses the promise's continuation, so a finished coroutine transfers straight to the
// joiner after its frame is at final suspend (never destroyed while it runs).
#pragma once

#include "http/exchange.hpp"
#include "io/prefetch.hpp"
#include "io/waiters.hpp"
#include "ws/deflate.hpp"
#include "ws/frame.hpp"
#include "ws/utf8.hpp"

#include <gannet/websocket.hpp>

#include <coroutine>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gannet::ws {

/// A coroutine started now, owned here, that someone may later wait for.
class Job {
  public:
    Job() noexcept = default;
    Job(const Job&) = delete;
    Job& operator=(const Job&) = delete;
    ~Job() {
        if (h_) h_.destroy();
    }
    bool running() const noexcept { return h_ && !h_.done(); }
    /// Starts `t` (runs it to its first suspension). The previous coroutine must be done.
    void start(Task<void> t) {
        if (h_) h_.destroy();
        h_ = t.release();
        h_.resume();
    }
    /// Resumes the awaiter when the coroutine ends (at once if it has).
    io::Join<Task<void>::promise_type> join() const noexcept { return {h_}; }

  private:
    Task<void>::Handle h_;
};

/// What a route's connections share: the handler, the options and the App's identity (the key
/// of the worker-local topic registry).
struct RouteState {
    WebSocketHandler handler;
    WebSocketOptions options;
    DeflateConfig deflate;
    const void* app_key = nullptr;
};

class Session : public std::enable_shared_from_this<Session> {
  public:
    Session(Request& req, std::shared_ptr<RouteState> route, std::string subprotocol,
            std::optional<DeflateAgreement> deflate);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    /// The life of the connection; returns when the handler, reader and writer have all ended.
    Task<void> run();

    // WebSocket's implementation.
    Task<std::optional<Message>> receive();
    Task<bool> send(std::string_view data, bool binary);
    Task<void> close(std::uint16_t code, std::string_view reason);
    void subscribe(std::string_view topic);
    void unsubscribe(std::string_view topic);
    std::string_view subprotocol() const noexcept { return subprotocol_; }
    Request& request() noexcept { return req_; }
    bool closed() const noexcept;
    std::uint16_t close_code() const noexcept { return close_code_; }
    std::uint64_t dropped() const noexcept { return dropped_; }
    WebSocket& socket() noexcept { return socket_; }

    /// Pub/sub delivery, phase one: queues `frame` (applying the slow-subscriber policy)
    /// without running any other coroutine. True when kick() must follow.
    bool offer(const std::shared_ptr<const std::string>& frame,
               const TopicPolicy* policy = nullptr);
    /// offer() for several frames of one topic, sent with one write when nothing is queued.
    bool offer_many(const std::vector<std::shared_ptr<const std::string>>& frames,
                    const TopicPolicy* policy = nullptr);
    /// Phase two: starts the writer if it is idle and has work.
    void kick();
    /// Hints the cache to load what offer() reads of this session, or of its connection
    /// (which needs this session's line loaded first). A broadcast calls them a few
    /// subscribers ahead.
    void prefetch() const noexcept { io::prefetch_two_lines(this); }
    void prefetch_exchange() const noexcept { exchange_->prefetch_write(); }

  private:
    Task<void> read_loop();
    std::uint64_t read_timeout() const noexcept;
    /// Handles bytes from read_raw(); true when the next read must wait for more.
    bool on_bytes(std::string_view got);
    /// After read_raw() gave nothing: pings, drain, timeouts. False ends the reader.
    bool on_read_end(std::uint64_t timeout);
    Task<void> run_handler();
    Task<void> pump();
    /// Processes received bytes; returns how many were used (all, unless the reader stops).
    std::size_t process(std::string_view in);
    void on_payload(std::string_view piece);
    void end_frame();
    void on_control();
    void deliver(std::string&& data, bool binary);
    /// Answers the client's close (once), when it sent one and we have not closed yet.
    void reply_close();
    /// Sends close (once) and stops the reader: a protocol failure.
    void fail(CloseCode code, std::string_view reason);
    /// Queues a close frame (once); true if it was queued now.
    bool queue_close(std::uint16_t code, std::string_view reason);
    enum class Direct { unavailable, sent, queued };
    /// Sends the frame `head` + `body` straight to the socket when nothing is queued before
    /// it (no allocation, no coroutine); what the socket did not take is queued without
    /// starting the writer (`queued`: kick() must follow).
    Direct send_direct(std::string_view head, std::string_view body);
    void push(std::shared_ptr<const std::string> frame);
    void enqueue(std::shared_ptr<const std::string> frame);
    void wake_senders();
    void wake_receiver();
    void unsubscribe_all();

    // What a pub/sub delivery reads (offer(), send_direct()) comes first, on one or two cache
    // lines: a broadcast touches every subscriber, and its cost is mostly these misses.
    http::Exchange* exchange_;
    const WebSocketOptions& opts_;
    std::size_t out_bytes_ = 0;
    bool write_failed_ = false;
    bool close_sent_ = false;
    bool closing_ = false;  // the session is ending: nothing more is queued
    bool finished_ = false;
    bool pumping_ = false;  // pump() is running (cheaper to test than the Job's frame)
    std::deque<std::shared_ptr<const std::string>> outq_;

    Request& req_;
    std::shared_ptr<RouteState> route_;
    std::string subprotocol_;
    WebSocket socket_;

    // Receiving.
    FrameHeaderDecoder decoder_;
    MessageAssembler assembler_;
    std::optional<Inflater> inflater_;
    Utf8Validator utf8_;
    FrameHeader header_{};
    MessageAssembler::FrameInfo info_{};
    bool in_payload_ = false;
    std::uint64_t payload_left_ = 0;
    std::size_t mask_offset_ = 0;
    std::string message_;  // the data message being assembled (inflated)
    std::string control_;  // the control frame's payload
    std::string scratch_;  // an unmasked compressed piece
    std::deque<Message> inbox_;
    std::size_t inbox_bytes_ = 0;
    bool awaiting_pong_ = false;
    bool stop_reading_ = false;  // a close was received or the connection failed
    bool close_received_ = false;
    bool reader_done_ = false;

    // Sending.
    std::optional<Compressor> compressor_;
    std::size_t compress_threshold_;
    std::uint16_t close_code_ = 0;
    std::uint64_t dropped_ = 0;

    // Waiters.
    io::Waiter receiver_;
    io::Waiter paused_reader_;
    io::WaitList senders_;
    bool handler_done_ = false;

    std::vector<std::string> topics_;

    Job handler_;
    Job pump_;
};

}  // namespace gannet::ws
