#include "io/epoll_backend.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace gannet::io {

namespace {

[[noreturn]] void fail(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
}

std::uint32_t epoll_events(Interest interest) noexcept {
    std::uint32_t e = EPOLLRDHUP | EPOLLET;
    if (static_cast<unsigned>(interest) & static_cast<unsigned>(Interest::read)) e |= EPOLLIN;
    if (static_cast<unsigned>(interest) & static_cast<unsigned>(Interest::write)) e |= EPOLLOUT;
    return e;
}

// EPOLLERR and EPOLLHUP wake every waiter: whoever reads or writes next learns the error.
// EPOLLRDHUP (the peer shut down its side) is readable (reads return 0) but not writable.
constexpr ReadyBits kEpollBits{
    .hangup = EPOLLERR | EPOLLHUP | EPOLLRDHUP,
    .readable = EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP,
    .writable = EPOLLOUT | EPOLLERR | EPOLLHUP,
};

}  // namespace

EpollBackend::EpollBackend() {
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0) fail("epoll_create1");
    wakefd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wakefd_ < 0) {
        int err = errno;
        ::close(epfd_);
        throw std::system_error(err, std::generic_category(), "eventfd");
    }
    epoll_event ev{};
    ev.events = EPOLLIN;  // level-triggered: drained on every wake-up
    ev.data.ptr = nullptr;
    if (epoll_ctl(epfd_, EPOLL_CTL_ADD, wakefd_, &ev) != 0) {
        int err = errno;
        ::close(wakefd_);
        ::close(epfd_);
        throw std::system_error(err, std::generic_category(), "epoll_ctl add (eventfd)");
    }
}

EpollBackend::~EpollBackend() {
    ::close(wakefd_);
    ::close(epfd_);
}

void EpollBackend::add(FdState& s, Interest interest) {
    epoll_event ev{};
    ev.events = epoll_events(interest);
    ev.data.ptr = &s;
    if (epoll_ctl(epfd_, EPOLL_CTL_ADD, s.fd, &ev) != 0) fail("epoll_ctl add");
}

void EpollBackend::modify(FdState& s, Interest interest) {
    epoll_event ev{};
    ev.events = epoll_events(interest);
    ev.data.ptr = &s;
    if (epoll_ctl(epfd_, EPOLL_CTL_MOD, s.fd, &ev) != 0) fail("epoll_ctl mod");
}

void EpollBackend::remove(FdState& s) noexcept {
    epoll_event ev{};
    epoll_ctl(epfd_, EPOLL_CTL_DEL, s.fd, &ev);
}

void EpollBackend::release(FdState& s) noexcept {
    // The last close of a file leaves every epoll set it was in; our fds are never shared
    // (CLOEXEC, no dup), so this is the last one.
    if (s.fd >= 0) ::close(s.fd);
}

int EpollBackend::wait(int timeout_ms) noexcept {
    int n = epoll_wait(epfd_, events_.data(), kMaxEvents, timeout_ms);
    if (n < 0) {
        gathered_ = 0;
        return errno == EINTR ? 0 : -errno;
    }
    gathered_ = n;
    return n;
}

bool EpollBackend::dispatch() {
    bool woken = false;
    int n = gathered_;
    gathered_ = 0;
    for (int i = 0; i < n; ++i) {
        void* p = events_[static_cast<std::size_t>(i)].data.ptr;
        if (p == nullptr) {
            std::uint64_t value = 0;
            [[maybe_unused]] auto r = ::read(wakefd_, &value, sizeof value);
            woken = true;
            continue;
        }
        io::dispatch<kEpollBits>(*static_cast<FdState*>(p),
                                 events_[static_cast<std::size_t>(i)].events);
    }
    return woken;
}

void EpollBackend::wake() noexcept {
    std::uint64_t one = 1;
    // A full counter (impossible in practice) still leaves the fd readable.
    [[maybe_unused]] auto n = ::write(wakefd_, &one, sizeof one);
}

std::unique_ptr<Backend> make_default_backend() {
    return std::make_unique<EpollBackend>();
}

}  // namespace gannet::io
