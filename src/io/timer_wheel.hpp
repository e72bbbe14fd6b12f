// A hashed timer wheel, one per worker (docs/architecture.md, "Runtime"): arming, re-arming and
// cancelling are O(1) list operations with no syscall, so every request can move its connection's
// timeout.
#pragma once

#include <gannet/detail/assert.hpp>
#include <gannet/detail/timer_node.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <thread>

namespace gannet::io {

class TimerWheel {
  public:
    static constexpr std::uint64_t kTickMs = 8;
    static constexpr std::size_t kSlots = 1024;  // 8 ms x 1024: ~8 s per revolution

    TimerWheel() noexcept;
    TimerWheel(const TimerWheel&) = delete;
    TimerWheel& operator=(const TimerWheel&) = delete;
    ~TimerWheel();

    /// Arms `node` to fire at `now_ms + delay_ms` (re-arms when already armed).
    void schedule(detail::TimerNode& node, std::uint64_t now_ms, std::uint64_t delay_ms) noexcept;
    /// Unlinks `node`; harmless when it is not armed.
    static void cancel(detail::TimerNode& node) noexcept;
    /// Fires every timer due at or before `now_ms`. A fired timer is disarmed before its callback
    /// runs, so the callback may re-arm it.
    void advance(std::uint64_t now_ms);
    /// Armed timers.
    std::size_t size() const noexcept { return count_; }

    /// From now on only the calling thread may arm, cancel or advance timers here (checked by
    /// GANNET_ASSERT). A worker binds its wheel when its loop starts, and again when it is
    /// destroyed (on whichever thread, after the loop ended). An unbound wheel (a unit test's)
    /// is not checked.
    void bind_to_this_thread() noexcept { owner_ = std::this_thread::get_id(); }
    /// True on the bound thread, or when unbound.
    bool on_owner_thread() const noexcept {
        return owner_ == std::thread::id() || owner_ == std::this_thread::get_id();
    }

  private:
    static std::size_t slot_of(std::uint64_t ms) noexcept { return (ms / kTickMs) % kSlots; }
    void link(detail::TimerNode& node) noexcept;

    // Each slot is a circular list with a sentinel head, so unlinking needs no slot index.
    std::array<detail::TimerNode, kSlots> slots_;
    std::uint64_t last_ms_ = 0;  // every tick up to here has been processed
    std::size_t count_ = 0;
    bool started_ = false;
    std::thread::id owner_;
};

}  // namespace gannet::io
