#include "io/worker.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <string>
#include <utility>

namespace gannet::io {

namespace {
thread_local Worker* t_current = nullptr;

std::uint64_t monotonic_ms() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000u +
           static_cast<std::uint64_t>(ts.tv_nsec) / 1'000'000u;
}
}  // namespace

void Session::set_finished() noexcept {
    if (finished_) return;
    finished_ = true;
    if (Worker* w = Worker::current()) w->finished_sessions_.push_back(this);
}

Worker::Worker(unsigned index) : index_(index) {
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0) throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
    wakefd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wakefd_ < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
    wake_state_.fd = wakefd_;
    epoll_event ev{};
    ev.events = EPOLLIN;  // level-triggered: drained on every wake-up
    ev.data.ptr = &wake_state_;
    epoll_ctl(epfd_, EPOLL_CTL_ADD, wakefd_, &ev);
    now_ms_ = monotonic_ms();
}

Worker::~Worker() {
    // Sessions may hold timers and fds registered here: destroy them while the worker is current.
    Worker* prev = t_current;
    t_current = this;
    sessions_.clear();
    finished_sessions_.clear();
    t_current = prev;
    if (wakefd_ >= 0) ::close(wakefd_);
    if (epfd_ >= 0) ::close(epfd_);
}

Worker* Worker::current() noexcept {
    return t_current;
}

void Worker::update_clock() noexcept {
    now_ms_ = monotonic_ms();
}

void Worker::post(std::function<void()> fn) {
    bool wake = false;
    {
        std::lock_guard lock(mailbox_mutex_);
        mailbox_.push_back(std::move(fn));
        if (!wake_pending_) wake = wake_pending_ = true;
    }
    if (wake) {
        std::uint64_t one = 1;
        // A full counter (impossible in practice) still leaves the fd readable.
        [[maybe_unused]] auto n = ::write(wakefd_, &one, sizeof one);
    }
}

void Worker::run_mailbox() {
    std::uint64_t value = 0;
    [[maybe_unused]] auto n = ::read(wakefd_, &value, sizeof value);
    {
        std::lock_guard lock(mailbox_mutex_);
        mailbox_run_.swap(mailbox_);
        wake_pending_ = false;
    }
    for (auto& fn : mailbox_run_) fn();
    mailbox_run_.clear();
}

void Worker::run_deferred() {
    // Handles deferred while these run wait for the next round (the loop polls with timeout 0),
    // so a coroutine that keeps deferring itself cannot starve the sockets.
    deferred_run_.swap(deferred_);
    // By index, taking each handle out first: a resumed coroutine may cancel later entries.
    for (std::size_t i = 0; i < deferred_run_.size(); ++i) {
        if (auto h = std::exchange(deferred_run_[i], {})) h.resume();
    }
    deferred_run_.clear();
}

void Worker::watch(FdState& s) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = &s;
    if (epoll_ctl(epfd_, EPOLL_CTL_ADD, s.fd, &ev) != 0) {
        throw std::runtime_error(std::string("epoll_ctl add: ") + std::strerror(errno));
    }
}

void Worker::unwatch(FdState& s) noexcept {
    epoll_event ev{};
    epoll_ctl(epfd_, EPOLL_CTL_DEL, s.fd, &ev);
    forget(s);
}

void Worker::adopt(std::unique_ptr<Session> s) {
    s->index_ = sessions_.size();
    sessions_.push_back(std::move(s));
}

void Worker::reap() {
    // Destroying a session may finish another (a listener resuming accept), so loop.
    while (!finished_sessions_.empty()) {
        Session* s = finished_sessions_.back();
        finished_sessions_.pop_back();
        std::size_t i = s->index_;
        if (i >= sessions_.size() || sessions_[i].get() != s) continue;
        std::unique_ptr<Session> dead = std::move(sessions_[i]);
        if (i + 1 != sessions_.size()) {
            sessions_[i] = std::move(sessions_.back());
            sessions_[i]->index_ = i;
        }
        sessions_.pop_back();
        dead.reset();
        if (on_session_end) on_session_end();
    }
}

void Worker::drain() {
    draining_ = true;
    // drain() may finish sessions (idle ones) but not destroy them: iterate by index.
    for (std::size_t i = 0; i < sessions_.size(); ++i) sessions_[i]->drain();
}

void Worker::abort_all() {
    for (std::size_t i = 0; i < sessions_.size(); ++i) sessions_[i]->abort();
}

void Worker::run() {
    t_current = this;
    constexpr int kMaxEvents = 256;
    epoll_event events[kMaxEvents];
    update_clock();
    timers_.advance(now_ms_);
    while (!stopping_) {
        if (draining_ && sessions_.empty()) break;
        int timeout = !deferred_.empty()   ? 0
                      : timers_.size() > 0 ? static_cast<int>(TimerWheel::kTickMs)
                                           : -1;
        int n = epoll_wait(epfd_, events, kMaxEvents, timeout);
        if (n < 0) {
            if (errno == EINTR) continue;
            std::perror("gannet: epoll_wait");
            break;
        }
        update_clock();
        for (int i = 0; i < n; ++i) {
            auto* s = static_cast<FdState*>(events[i].data.ptr);
            if (s == &wake_state_) {
                run_mailbox();
                continue;
            }
            std::uint32_t e = events[i].events;
            if (e & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) {
                s->hangup = true;
                if (auto h = std::exchange(s->closer, {})) h.resume();
            }
            if (e & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) {
                s->readable = true;
                if (auto h = std::exchange(s->reader, {})) h.resume();
            }
            if (e & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
                s->writable = true;
                if (auto h = std::exchange(s->writer, {})) h.resume();
            }
        }
        timers_.advance(now_ms_);
        run_deferred();
        reap();
    }
    reap();
    t_current = nullptr;
}

}  // namespace gannet::io
