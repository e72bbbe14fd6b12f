// An SSE channel's shared state: the replay ring and the sequence counter (one mutex, taken on
// publish and on subscribe only), and the fan-out of each event to every worker.
#pragma once

#include <gannet/sse.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gannet::detail {

/// One published event: its sequence number, its wire id and its encoded form (shared by every
/// worker and every follower; never modified after publish).
struct StoredEvent {
    std::uint64_t seq = 0;
    std::string id;
    std::shared_ptr<const std::string> wire;
};

class SseChannelCore : public std::enable_shared_from_this<SseChannelCore> {
  public:
    /// Runs a function on every worker (App::broadcast): how an event reaches the followers.
    using Broadcast = std::function<void(std::function<void()>)>;

    SseChannelCore(std::string name, Broadcast broadcast);

    std::uint64_t publish(const Event& event);
    void set_replay(std::size_t n);
    std::size_t replay() const noexcept;
    std::uint64_t last_sequence() const noexcept;
    const std::string& name() const noexcept { return name_; }

    /// The events kept after the one the client last saw: found by its id in the ring, or else
    /// read as a sequence number (ids given by the channel are sequence numbers). Appends them
    /// to `out` and returns the current sequence number; both under one lock, so that live
    /// events with a higher sequence are exactly those not replayed.
    std::uint64_t replay_after(std::string_view last_event_id, std::vector<StoredEvent>& out) const;
    /// The same, after a sequence number (a follower catching up after dropping events).
    std::uint64_t replay_after(std::uint64_t seq, std::vector<StoredEvent>& out) const;
    /// The current sequence number.
    std::uint64_t current() const noexcept { return last_sequence(); }

  private:
    void copy_after(std::uint64_t seq, std::vector<StoredEvent>& out) const;

    const std::string name_;
    const Broadcast broadcast_;
    mutable std::mutex mutex_;
    std::deque<StoredEvent> ring_;  // oldest first; at most replay_ events
    std::size_t replay_ = 100;
    std::uint64_t seq_ = 0;
};

}  // namespace gannet::detail
