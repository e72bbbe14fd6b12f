#include "ws/session.hpp"

#include "ws/topics.hpp"

#include <gannet/log.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <utility>

namespace gannet {

// WebSocket forwards to its session; none of these is itself a coroutine.
Task<std::optional<Message>> WebSocket::receive() {
    return s_->receive();
}
Task<bool> WebSocket::send(std::string_view data, bool binary) {
    return s_->send(data, binary);
}
Task<> WebSocket::close(std::uint16_t code, std::string_view reason) {
    return s_->close(code, reason);
}
void WebSocket::subscribe(std::string_view topic) {
    s_->subscribe(topic);
}
void WebSocket::unsubscribe(std::string_view topic) {
    s_->unsubscribe(topic);
}
std::string_view WebSocket::subprotocol() const noexcept {
    return s_->subprotocol();
}
Request& WebSocket::request() noexcept {
    return s_->request();
}
bool WebSocket::closed() const noexcept {
    return s_->closed();
}
std::uint16_t WebSocket::close_code() const noexcept {
    return s_->close_code();
}
std::uint64_t WebSocket::dropped() const noexcept {
    return s_->dropped();
}

namespace ws {

namespace {

std::shared_ptr<const std::string> make_frame(Opcode op, std::string_view payload) {
    auto f = std::make_shared<std::string>();
    f->reserve(payload.size() + 10);
    append_frame(*f, op, payload);
    return f;
}

}  // namespace

Session::Session(Request& req, std::shared_ptr<RouteState> route, std::string subprotocol,
                 std::optional<DeflateAgreement> deflate)
    : exchange_(req.exchange()),
      opts_(route->options),
      req_(req),
      route_(std::move(route)),
      subprotocol_(std::move(subprotocol)),
      socket_(*this),
      decoder_({.role = Role::server,
                .allow_rsv1 = deflate.has_value(),
                .max_payload = route_->options.max_frame}),
      assembler_(route_->options.max_message),
      compress_threshold_(route_->options.compression_threshold) {
    if (deflate) {
        inflater_.emplace(deflate->params, opts_.max_message);
        compressor_.emplace(deflate->params, route_->deflate);
    }
}

Session::~Session() = default;

bool Session::closed() const noexcept {
    return close_sent_ || close_received_ || reader_done_ || write_failed_ || exchange_->closed();
}

Task<void> Session::run() {
    handler_.start(run_handler());
    co_await read_loop();
    reader_done_ = true;
    if (close_code_ == 0) close_code_ = static_cast<std::uint16_t>(CloseCode::abnormal);
    wake_receiver();
    wake_senders();
    co_await handler_.join();
    reply_close();
    unsubscribe_all();
    closing_ = true;
    co_await pump_.join();
    finished_ = true;
    exchange_->close_after_response();
}

Task<void> Session::run_handler() {
    bool failed = false;
    try {
        co_await route_->handler(req_, socket_);
    } catch (const std::exception& e) {
        GANNET_LOG(LogLevel::error, "WebSocket handler for %.*s threw: %s",
                   static_cast<int>(req_.path().size()), req_.path().data(), e.what());
        failed = true;
    } catch (...) {
        GANNET_LOG(LogLevel::error, "WebSocket handler for %.*s threw a non-exception",
                   static_cast<int>(req_.path().size()), req_.path().data());
        failed = true;
    }
    handler_done_ = true;
    inbox_.clear();
    inbox_bytes_ = 0;
    if (!reader_done_) {
        queue_close(failed ? 1011 : 1000, {});
    }
    paused_reader_.wake();
}

// Kept plain on purpose (no break/continue around co_await; see Connection::send_out): the
// decisions live in the synchronous helpers below.
Task<void> Session::read_loop() {
    bool more = false;
    bool reading = true;
    while (reading && !stop_reading_) {
        std::uint64_t timeout = read_timeout();
        std::optional<std::string_view> got = co_await exchange_->read_raw(timeout, more);
        if (got) {
            more = on_bytes(*got);
            wake_receiver();
            while (!stop_reading_ && !handler_done_ && inbox_bytes_ > opts_.max_message) {
                co_await paused_reader_.wait();
            }
        } else {
            more = false;
            reading = on_read_end(timeout);
        }
    }
}

std::uint64_t Session::read_timeout() const noexcept {
    auto timeout = static_cast<std::uint64_t>(opts_.ping_interval.count());
    if (close_sent_) {
        auto ct = static_cast<std::uint64_t>(opts_.close_timeout.count());
        timeout = timeout == 0 ? ct : std::min(timeout, ct);
    }
    return timeout;
}

bool Session::on_bytes(std::string_view got) {
    awaiting_pong_ = false;  // any byte from the client shows it is alive
    std::size_t used = process(got);
    exchange_->consume_raw(used);
    return used == 0 && !stop_reading_;
}

bool Session::on_read_end(std::uint64_t timeout) {
    if (exchange_->draining() && !exchange_->closed()) {
        queue_close(static_cast<std::uint16_t>(CloseCode::going_away), "server shutdown");
        return false;
    }
    if (exchange_->timed_out() && !exchange_->closed() && !close_sent_ && timeout > 0) {
        if (awaiting_pong_) {
            queue_close(static_cast<std::uint16_t>(CloseCode::internal_error), "ping timeout");
            return false;
        }
        awaiting_pong_ = true;
        enqueue(make_frame(Opcode::ping, {}));
        return true;
    }
    return false;  // gone, or no answer to our close in time
}

std::size_t Session::process(std::string_view in) {
    std::size_t pos = 0;
    while (pos < in.size() && !stop_reading_) {
        if (!in_payload_) {
            auto r = decoder_.feed(in.substr(pos));
            pos += r.consumed;
            if (r.status == FrameHeaderDecoder::Result::Status::error) {
                fail(r.error, r.reason);
                break;
            }
            if (r.status == FrameHeaderDecoder::Result::Status::need_more) break;
            header_ = decoder_.header();
            info_ = assembler_.on_frame(header_);
            if (info_.error != CloseCode::none) {
                fail(info_.error, info_.reason);
                break;
            }
            mask_offset_ = 0;
            payload_left_ = header_.payload_length;
            if (is_control(header_.opcode)) control_.clear();
            in_payload_ = true;
        }
        std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(payload_left_, in.size() - pos));
        if (n > 0) {
            on_payload(in.substr(pos, n));
            pos += n;
            payload_left_ -= n;
        }
        if (payload_left_ == 0 && !stop_reading_) {
            in_payload_ = false;
            end_frame();
        }
    }
    return pos;
}

void Session::on_payload(std::string_view piece) {
    if (is_control(header_.opcode)) {
        std::size_t at = control_.size();
        control_.append(piece);
        mask_offset_ = apply_mask({control_.data() + at, piece.size()}, header_.mask, mask_offset_);
        return;
    }
    bool text = info_.opcode == Opcode::text;
    std::size_t at = message_.size();
    if (info_.compressed) {
        scratch_.assign(piece);
        mask_offset_ = apply_mask({scratch_.data(), scratch_.size()}, header_.mask, mask_offset_);
        auto st = inflater_->inflate(scratch_, false, message_);
        if (st != Inflater::Status::ok) {
            fail(ws::close_code(st),
                 st == Inflater::Status::too_big ? "message too big" : "invalid compressed data");
            return;
        }
    } else {
        message_.append(piece);
        mask_offset_ = apply_mask({message_.data() + at, piece.size()}, header_.mask, mask_offset_);
    }
    if (text && !utf8_.feed(std::string_view(message_).substr(at))) {
        fail(CloseCode::invalid_payload, "invalid UTF-8");
    }
}

void Session::end_frame() {
    if (is_control(header_.opcode)) {
        on_control();
        return;
    }
    if (!info_.message_end) return;
    bool text = info_.opcode == Opcode::text;
    if (info_.compressed) {
        std::size_t at = message_.size();
        auto st = inflater_->inflate({}, true, message_);
        if (st != Inflater::Status::ok) {
            fail(ws::close_code(st),
                 st == Inflater::Status::too_big ? "message too big" : "invalid compressed data");
            return;
        }
        if (text && !utf8_.feed(std::string_view(message_).substr(at))) {
            fail(CloseCode::invalid_payload, "invalid UTF-8");
            return;
        }
    }
    if (text && !utf8_.finish()) {
        fail(CloseCode::invalid_payload, "invalid UTF-8");
        return;
    }
    utf8_.reset();
    std::string data = std::move(message_);
    message_ = std::string();
    deliver(std::move(data), !text);
}

void Session::on_control() {
    switch (header_.opcode) {
        case Opcode::ping:
            if (!close_sent_) enqueue(make_frame(Opcode::pong, control_));
            break;
        case Opcode::pong:
            break;
        case Opcode::close: {
            ClosePayload cp = parse_close_payload(control_);
            if (cp.error != CloseCode::none) {
                fail(cp.error, cp.reason_error);
                return;
            }
            close_received_ = true;
            stop_reading_ = true;
            if (!close_sent_) {
                close_code_ = static_cast<std::uint16_t>(cp.code);
                // Messages that arrived before the close are still handed to the handler,
                // which may answer them; the echo follows once they are taken (receive()
                // finding nothing more) or the handler ends.
                if (inbox_.empty() || handler_done_) reply_close();
            }
            break;
        }
        default:
            break;
    }
}

void Session::reply_close() {
    // Echo the client's code (RFC 6455 section 5.5.1); an empty close gets an empty one.
    if (close_received_ && !close_sent_) queue_close(close_code_, {});
}

void Session::deliver(std::string&& data, bool binary) {
    if (handler_done_ || close_sent_) return;  // nobody will read it, or we are closing
    inbox_bytes_ += data.size();
    inbox_.push_back(Message{std::move(data), binary});
}

void Session::fail(CloseCode code, std::string_view reason) {
    stop_reading_ = true;
    queue_close(static_cast<std::uint16_t>(code), reason);
}

bool Session::queue_close(std::uint16_t code, std::string_view reason) {
    if (close_sent_ || closing_) return false;
    close_sent_ = true;
    if (close_code_ == 0) close_code_ = code;
    auto f = std::make_shared<std::string>();
    if (!append_close_frame(*f, static_cast<CloseCode>(code), reason)) {
        append_close_frame(*f, CloseCode::normal);
    }
    enqueue(std::move(f));
    wake_senders();
    return true;
}

Session::Direct Session::send_direct(std::string_view head, std::string_view body) {
    if (pumping_ || !outq_.empty() || write_failed_) return Direct::unavailable;
    switch (exchange_->write_body_now(head, body)) {
        case http::Exchange::Direct::sent:
            return Direct::sent;
        case http::Exchange::Direct::partial: {
            // The exchange keeps the unsent end; an empty write makes the writer flush it.
            static const auto flush_only = std::make_shared<const std::string>();
            push(flush_only);
            return Direct::queued;
        }
        case http::Exchange::Direct::not_sent:
            break;
    }
    // Nothing went (the socket was full or the client is gone): the writer's write_body()
    // decides between waiting and failing.
    auto frame = std::make_shared<std::string>();
    frame->reserve(head.size() + body.size());
    frame->append(head);
    frame->append(body);
    push(std::move(frame));
    return Direct::queued;
}

void Session::push(std::shared_ptr<const std::string> frame) {
    out_bytes_ += frame->size();
    outq_.push_back(std::move(frame));
}

void Session::enqueue(std::shared_ptr<const std::string> frame) {
    if (write_failed_) return;
    push(std::move(frame));
    kick();
}

void Session::kick() {
    if (finished_ || pumping_ || outq_.empty()) return;
    pumping_ = true;
    pump_.start(pump());
}

Task<void> Session::pump() {
    while (!outq_.empty()) {
        std::shared_ptr<const std::string> f = std::move(outq_.front());
        outq_.pop_front();
        bool ok = co_await exchange_->write_body(*f);
        out_bytes_ -= f->size();
        if (!ok) {
            write_failed_ = true;
            outq_.clear();
            out_bytes_ = 0;
        }
        if (out_bytes_ <= opts_.max_buffered || write_failed_) wake_senders();
    }
    pumping_ = false;
}

void Session::wake_senders() {
    senders_.wake_all();
}

void Session::wake_receiver() {
    if (!inbox_.empty() || reader_done_) receiver_.wake();
}

bool Session::offer(const std::shared_ptr<const std::string>& frame,
                    const TopicPolicy* topic_policy) {
    if (close_sent_ || closing_ || write_failed_) return false;
    const TopicPolicy& policy = topic_policy ? *topic_policy : opts_.topic_policy;
    if (out_bytes_ + frame->size() > opts_.max_buffered && out_bytes_ > 0) {
        if (policy.on_slow == SlowSubscriber::drop) {
            ++dropped_;
            return false;
        }
        // Close: the frame is queued behind what is pending, whatever the limit.
        close_sent_ = true;
        close_code_ = policy.close_code;
        auto f = std::make_shared<std::string>();
        if (!append_close_frame(*f, static_cast<CloseCode>(close_code_), "slow subscriber")) {
            append_close_frame(*f, CloseCode::try_again_later, "slow subscriber");
        }
        push(std::move(f));
        return !pumping_;
    }
    Direct d = send_direct(*frame, {});
    if (d == Direct::sent) return false;
    if (d == Direct::unavailable) push(frame);
    return !pumping_;
}

bool Session::offer_many(const std::vector<std::shared_ptr<const std::string>>& frames,
                         const TopicPolicy* policy) {
    if (close_sent_ || closing_ || write_failed_) return false;
    if (pumping_ || !outq_.empty() || frames.size() < 2) {
        // Behind already: each frame meets the slow-subscriber policy on its own.
        bool kick_needed = false;
        for (const auto& f : frames) kick_needed = offer(f, policy) || kick_needed;
        return kick_needed;
    }
    thread_local std::string joined;
    joined.clear();
    for (const auto& f : frames) joined.append(*f);
    return send_direct(joined, {}) == Direct::queued;
}

Task<std::optional<Message>> Session::receive() {
    while (inbox_.empty() && !reader_done_) {
        co_await receiver_.wait();
    }
    if (inbox_.empty()) {
        reply_close();
        co_return std::nullopt;
    }
    Message m = std::move(inbox_.front());
    inbox_.pop_front();
    inbox_bytes_ -= m.data.size();
    if (inbox_bytes_ <= opts_.max_message) paused_reader_.wake();
    co_return std::optional<Message>(std::move(m));
}

Task<bool> Session::send(std::string_view data, bool binary) {
    // Not closed(): after the client's close, answers to the messages before it still go out.
    if (close_sent_ || write_failed_ || exchange_->closed()) co_return false;
    FrameHeader h;
    h.opcode = binary ? Opcode::binary : Opcode::text;
    std::string payload;
    std::string_view body = data;
    if (compressor_ && data.size() >= compress_threshold_ && compressor_->compress(data, payload)) {
        h.rsv1 = true;
        body = payload;
    }
    h.payload_length = body.size();
    std::string head;  // at most 10 bytes: no allocation
    append_frame_header(head, h);
    Direct d = send_direct(head, body);
    if (d == Direct::queued) kick();
    if (d == Direct::unavailable) {
        auto f = std::make_shared<std::string>();
        f->reserve(head.size() + body.size());
        f->append(head).append(body);
        enqueue(std::move(f));
    }
    while (out_bytes_ > opts_.max_buffered && !write_failed_ && !reader_done_) {
        co_await senders_.wait();
    }
    co_return !write_failed_;
}

Task<void> Session::close(std::uint16_t code, std::string_view reason) {
    queue_close(code, reason);
    while (out_bytes_ > 0 && !write_failed_ && !reader_done_) {
        co_await senders_.wait();
    }
}

void Session::subscribe(std::string_view topic) {
    if (closing_) return;
    for (const auto& t : topics_) {
        if (t == topic) return;
    }
    topics_.emplace_back(topic);
    topics_subscribe(route_->app_key, topic, this);
}

void Session::unsubscribe(std::string_view topic) {
    auto it = std::find(topics_.begin(), topics_.end(), topic);
    if (it == topics_.end()) return;
    topics_unsubscribe(route_->app_key, topic, this);
    topics_.erase(it);
}

void Session::unsubscribe_all() {
    for (const auto& t : topics_) topics_unsubscribe(route_->app_key, t, this);
    topics_.clear();
}

}  // namespace ws
}  // namespace gannet
