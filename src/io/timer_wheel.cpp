#include "io/timer_wheel.hpp"

#include "io/worker.hpp"

namespace gannet::io {

TimerWheel::TimerWheel() noexcept {
    for (auto& s : slots_) s.prev = s.next = &s;
}

TimerWheel::~TimerWheel() {
    // Disarm whatever is left so that a node destroyed later does not touch a dead wheel.
    for (auto& s : slots_) {
        while (s.next != &s) cancel(*s.next);
    }
}

void TimerWheel::link(detail::TimerNode& node) noexcept {
    detail::TimerNode& head = slots_[slot_of(node.expiry_ms)];
    node.prev = head.prev;
    node.next = &head;
    head.prev->next = &node;
    head.prev = &node;
    node.wheel = this;
    ++count_;
}

void TimerWheel::schedule(detail::TimerNode& node, std::uint64_t now_ms,
                          std::uint64_t delay_ms) noexcept {
    GANNET_ASSERT(on_owner_thread(), "a timer armed off the thread of the worker owning the wheel");
    GANNET_ASSERT(node.wheel == nullptr || node.wheel == this,
                  "a timer re-armed on another worker's wheel than the one it is armed on");
    cancel(node);
    if (!started_) {
        last_ms_ = now_ms;
        started_ = true;
    }
    // Never place a timer in a slot that advance() has already passed in this revolution.
    std::uint64_t expiry = now_ms + delay_ms;
    if (expiry < last_ms_ + kTickMs) expiry = last_ms_ + kTickMs;
    node.expiry_ms = expiry;
    link(node);
}

void TimerWheel::cancel(detail::TimerNode& node) noexcept {
    if (!node.wheel) return;
    auto* wheel = static_cast<TimerWheel*>(node.wheel);
    GANNET_ASSERT(wheel->on_owner_thread(),
                  "a timer cancelled off the thread of the worker whose wheel it is armed on");
    node.prev->next = node.next;
    node.next->prev = node.prev;
    node.prev = node.next = nullptr;
    node.wheel = nullptr;
    --wheel->count_;
}

void TimerWheel::advance(std::uint64_t now_ms) {
    GANNET_ASSERT(on_owner_thread(), "a timer wheel advanced off its worker's thread");
    if (!started_) {
        last_ms_ = now_ms;
        started_ = true;
        return;
    }
    // Visit each slot between the last processed tick and now, once at most per revolution.
    std::uint64_t ticks = (now_ms / kTickMs) - (last_ms_ / kTickMs);
    if (ticks > kSlots) ticks = kSlots;
    std::uint64_t tick_ms = last_ms_;
    for (std::uint64_t i = 0; i <= ticks && count_ > 0; ++i, tick_ms += kTickMs) {
        detail::TimerNode& head = slots_[slot_of(tick_ms)];
        // Move the due nodes to a local list first: callbacks may arm timers in this slot.
        detail::TimerNode due;
        due.prev = due.next = &due;
        for (detail::TimerNode* n = head.next; n != &head;) {
            detail::TimerNode* next = n->next;
            if (n->expiry_ms <= now_ms) {
                n->prev->next = n->next;
                n->next->prev = n->prev;
                n->prev = due.prev;
                n->next = &due;
                due.prev->next = n;
                due.prev = n;
            }
            n = next;
        }
        while (due.next != &due) {
            detail::TimerNode* n = due.next;
            n->prev->next = n->next;
            n->next->prev = n->prev;
            n->prev = n->next = nullptr;
            n->wheel = nullptr;
            --count_;
            if (n->fire) n->fire(n);
        }
    }
    last_ms_ = now_ms;
}

}  // namespace gannet::io

namespace gannet::detail {

void TimerNode::arm(std::uint64_t delay_ms) noexcept {
    io::Worker* w = io::Worker::current();
    GANNET_ASSERT(w != nullptr, "a timer armed off a worker thread");
    w->timers().schedule(*this, w->now_ms(), delay_ms);
}

void TimerNode::cancel() noexcept {
    io::TimerWheel::cancel(*this);
}

}  // namespace gannet::detail
