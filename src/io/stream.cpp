#include "io/stream.hpp"

#include <gannet/detail/assert.hpp>

#include <utility>

namespace gannet::io {

Stream::Slot::Slot(Stream* s) noexcept : TimerNode(&Stream::on_timeout), owner(s) {}

Stream::Stream() noexcept : read_slot_(this), write_slot_(this), hangup_slot_(this) {}

Stream::~Stream() = default;

IoResult Stream::sendfile(int, std::uint64_t&, std::size_t) noexcept {
    return {0, IoError::file};  // only streams that say can_sendfile() are asked
}

void Stream::cork(bool) noexcept {}

void Stream::abandon(Wait::Kind k, std::coroutine_handle<> h) noexcept {
    Slot& slot = slot_for(k);
    if (slot.waiter == h) {
        (void)take(slot, WaitResult::cancelled);
        slot.waiter = {};
    }
}

void Stream::Wait::await_suspend(std::coroutine_handle<> h) noexcept {
    Slot& slot = s_.slot_for(kind_);
    std::coroutine_handle<>* poller_slot = &s_.state_.closer;
    if (kind_ != Kind::hangup) {
        Direction d = kind_ == Kind::read ? s_.read_needs_ : s_.write_needs_;
        slot.parked_in = d;
        poller_slot = &s_.parked(d);
    }
    GANNET_ASSERT(!slot.waiter, "a second coroutine waits on one direction of a stream");
    slot.result = WaitResult::ready;
    slot.waiter = h;
    h_ = h;
    park(*poller_slot, h);
    if (ms_ > 0) slot.arm(ms_);
}

std::coroutine_handle<> Stream::take(Slot& slot, WaitResult why) noexcept {
    const std::coroutine_handle<> h = slot.waiter;
    if (!h) return {};
    auto& poller_slot = &slot == &hangup_slot_ ? state_.closer : parked(slot.parked_in);
    // Not in the poller's slot: the poller took it already and is about to resume it.
    if (poller_slot != h) return {};
    poller_slot = {};
    slot.cancel();
    slot.result = why;
    return h;  // slot.waiter stays set until await_resume() clears it
}

void Stream::on_timeout(detail::TimerNode* n) noexcept {
    auto* slot = static_cast<Slot*>(n);
    if (auto h = slot->owner->take(*slot, WaitResult::timed_out)) h.resume();
}

void Stream::cancel_read_waits() noexcept {
    // Take every handle first: each resumed coroutine runs until it suspends again, possibly
    // parking anew, and must not be resumed a second time by this call.
    auto r = take(read_slot_, WaitResult::cancelled);
    auto c = take(hangup_slot_, WaitResult::cancelled);
    if (r) r.resume();
    if (c) c.resume();
}

void Stream::cancel_waits() noexcept {
    auto r = take(read_slot_, WaitResult::cancelled);
    auto w = take(write_slot_, WaitResult::cancelled);
    auto c = take(hangup_slot_, WaitResult::cancelled);
    if (r) r.resume();
    if (w) w.resume();
    if (c) c.resume();
}

}  // namespace gannet::io
