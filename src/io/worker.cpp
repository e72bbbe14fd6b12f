#include "io/worker.hpp"

#include <gannet/log.hpp>

#include <cstring>
#include <ctime>
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

Worker::Worker(unsigned index) : Worker(index, make_default_backend()) {}

Worker::Worker(unsigned index, std::unique_ptr<Backend> backend)
    : index_(index), backend_(std::move(backend)) {
    now_ms_ = monotonic_ms();
}

Worker::~Worker() {
    // Sessions may hold timers and fds registered here: destroy them while the worker is current.
    Worker* prev = t_current;
    t_current = this;
    timers_.bind_to_this_thread();  // the loop's thread, if any, has ended
    sessions_.clear();
    finished_sessions_.clear();
    // Newest first: a later service may use an earlier one (a client's pool, the resolver).
    while (!locals_.empty()) {
        Erased last = std::move(locals_.back().object);
        locals_.pop_back();
        last.reset();
    }
    bury();
    t_current = prev;
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
    if (wake) backend_->wake();
}

void Worker::run_mailbox() {
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
        if (auto h = std::exchange(deferred_run_[i], {})) {
            GANNET_ASSERT(!h.done(), "a deferred coroutine finished before its turn");
            h.resume();
        }
    }
    deferred_run_.clear();
}

void Worker::watch(FdState& s) {
    GANNET_ASSERT(current() == this, "Worker::watch called off the worker's thread");
    backend_->add(s, Interest::read_write);
}

void Worker::unwatch(FdState& s) noexcept {
    GANNET_ASSERT(current() == this, "Worker::unwatch called off the worker's thread");
    backend_->remove(s);
    forget(s);
}

void Worker::close(FdState& s) noexcept {
    GANNET_ASSERT(current() == this, "Worker::close called off the worker's thread");
    forget(s);
    backend_->release(s);
    s.fd = -1;
}

void Worker::adopt(std::unique_ptr<Session> s) {
    GANNET_ASSERT(current() == this, "Worker::adopt called off the worker's thread");
    s->index_ = sessions_.size();
    sessions_.push_back(std::move(s));
}

void Worker::bury() noexcept {
    // Destroying one may retire another (a connection owning a stream): loop until none is left.
    while (!graveyard_.empty()) {
        std::vector<Erased> dead = std::move(graveyard_);
        graveyard_.clear();
        dead.clear();
    }
}

void Worker::reap() {
    bury();
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
    GANNET_ASSERT(t_current == nullptr, "Worker::run on a thread that already runs a worker");
    t_current = this;
    timers_.bind_to_this_thread();
    update_clock();
    timers_.advance(now_ms_);
    while (!stopping_) {
        if (draining_ && sessions_.empty()) break;
        int timeout = !deferred_.empty()   ? 0
                      : timers_.size() > 0 ? static_cast<int>(TimerWheel::kTickMs)
                                           : -1;
        int n = backend_->wait(timeout);
        if (n < 0) {
            GANNET_LOG(LogLevel::error, "%s wait failed, the worker stops: %s", backend_->name(),
                       std::strerror(-n));
            break;
        }
        // Before dispatching: resumed coroutines arm timers and stamp requests with now_ms().
        update_clock();
        if (n > 0 && backend_->dispatch()) run_mailbox();
        timers_.advance(now_ms_);
        run_deferred();
        reap();
    }
    reap();
    t_current = nullptr;
}

}  // namespace gannet::io

namespace gannet::detail {

void* current_worker() noexcept {
    return io::Worker::current();
}

}  // namespace gannet::detail
