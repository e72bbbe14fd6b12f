// The intrusive node of a worker's timer wheel. Public only so that awaitables in public headers
// (sleep_for) can embed one; users never touch it.
#pragma once

#include <cstdint>

namespace gannet::detail {

/// A timer: linked into one slot of the worker's wheel while armed. Arming, re-arming and
/// cancelling are O(1) pointer updates with no syscall. `fire` runs on the worker thread.
struct TimerNode {
    TimerNode* prev = nullptr;
    TimerNode* next = nullptr;
    std::uint64_t expiry_ms = 0;
    void (*fire)(TimerNode*) = nullptr;
    void* wheel = nullptr;  ///< the wheel it is linked into; null when not armed

    TimerNode() = default;
    explicit TimerNode(void (*f)(TimerNode*)) noexcept : fire(f) {}
    TimerNode(const TimerNode&) = delete;
    TimerNode& operator=(const TimerNode&) = delete;
    ~TimerNode() { cancel(); }

    bool armed() const noexcept { return wheel != nullptr; }
    /// Arms (or re-arms) this timer on the current worker's wheel to fire after `delay_ms`.
    void arm(std::uint64_t delay_ms) noexcept;
    /// Disarms it; harmless when not armed.
    void cancel() noexcept;
};

}  // namespace gannet::detail
