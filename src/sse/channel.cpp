#include "sse/channel.hpp"

#include "sse/encoder.hpp"
#include "sse/event_stream.hpp"

#include <charconv>
#include <utility>

namespace gannet {

namespace detail {

SseChannelCore::SseChannelCore(std::string name, Broadcast broadcast)
    : name_(std::move(name)), broadcast_(std::move(broadcast)) {}

std::uint64_t SseChannelCore::publish(const Event& event) {
    sse::validate(event);
    std::lock_guard lock(mutex_);
    std::uint64_t seq = ++seq_;
    StoredEvent stored;
    stored.seq = seq;
    stored.id = event.id.empty() ? std::to_string(seq) : std::string(event.id);
    Event framed = event;
    framed.id = stored.id;
    auto wire = std::make_shared<std::string>();
    sse::append_event(framed, *wire);
    stored.wire = std::move(wire);
    auto msg = stored.wire;
    if (replay_ > 0) {
        ring_.push_back(std::move(stored));
        while (ring_.size() > replay_) ring_.pop_front();
    }
    // Posted under the lock: every worker's mailbox then receives events in sequence order,
    // which followers rely on to drop duplicates by sequence number.
    broadcast_(
        [self = shared_from_this(), seq, msg = std::move(msg)] { deliver_local(*self, seq, msg); });
    return seq;
}

void SseChannelCore::set_replay(std::size_t n) {
    std::lock_guard lock(mutex_);
    replay_ = n;
    while (ring_.size() > replay_) ring_.pop_front();
}

std::size_t SseChannelCore::replay() const noexcept {
    std::lock_guard lock(mutex_);
    return replay_;
}

std::uint64_t SseChannelCore::last_sequence() const noexcept {
    std::lock_guard lock(mutex_);
    return seq_;
}

void SseChannelCore::copy_after(std::uint64_t seq, std::vector<StoredEvent>& out) const {
    for (const auto& e : ring_) {
        if (e.seq > seq) out.push_back(e);
    }
}

std::uint64_t SseChannelCore::replay_after(std::string_view last_event_id,
                                           std::vector<StoredEvent>& out) const {
    std::lock_guard lock(mutex_);
    for (auto it = ring_.rbegin(); it != ring_.rend(); ++it) {
        if (it->id == last_event_id) {
            copy_after(it->seq, out);
            return seq_;
        }
    }
    std::uint64_t n = 0;
    auto [p, ec] =
        std::from_chars(last_event_id.data(), last_event_id.data() + last_event_id.size(), n);
    if (ec == std::errc() && p == last_event_id.data() + last_event_id.size() && n <= seq_) {
        copy_after(n, out);
    }
    return seq_;
}

std::uint64_t SseChannelCore::replay_after(std::uint64_t seq, std::vector<StoredEvent>& out) const {
    std::lock_guard lock(mutex_);
    copy_after(seq, out);
    return seq_;
}

}  // namespace detail

SseChannel::SseChannel(std::shared_ptr<detail::SseChannelCore> core) noexcept
    : core_(std::move(core)) {}
SseChannel::~SseChannel() = default;

std::uint64_t SseChannel::publish(const Event& event) {
    return core_->publish(event);
}

SseChannel& SseChannel::set_replay(std::size_t n) {
    core_->set_replay(n);
    return *this;
}

std::size_t SseChannel::replay() const noexcept {
    return core_->replay();
}

std::uint64_t SseChannel::last_sequence() const noexcept {
    return core_->last_sequence();
}

std::string_view SseChannel::name() const noexcept {
    return core_->name();
}

}  // namespace gannet
