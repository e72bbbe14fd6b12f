// The epoll backend: one edge-triggered epoll instance per worker, and an eventfd for wake-ups
// from other threads. The only file outside the kernel headers that knows epoll's flags.
#pragma once

#include "io/backend.hpp"

#include <sys/epoll.h>

#include <array>

namespace gannet::io {

class EpollBackend final : public Backend {
  public:
    /// Creates the epoll instance and the wake-up eventfd. Throws std::system_error.
    EpollBackend();
    ~EpollBackend() override;

    const char* name() const noexcept override { return "epoll"; }
    void add(FdState& s, Interest interest) override;
    void modify(FdState& s, Interest interest) override;
    void remove(FdState& s) noexcept override;
    void release(FdState& s) noexcept override;
    int wait(int timeout_ms) noexcept override;
    bool dispatch() override;
    void wake() noexcept override;

  private:
    // One epoll_wait returns at most this many events; more wait for the next round (epoll
    // hands them out round-robin, so none starves).
    static constexpr int kMaxEvents = 256;

    int epfd_ = -1;
    int wakefd_ = -1;  // registered level-triggered with a null data pointer (no FdState)
    int gathered_ = 0;
    std::array<epoll_event, kMaxEvents> events_;
};

}  // namespace gannet::io
