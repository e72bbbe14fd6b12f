// A worker: one thread, one event loop over its backend (io/backend.hpp: epoll today), its own
// timers, sessions and mailbox (docs/architecture.md, "Runtime"). Nothing mutable is shared between
// workers; the mailbox is the only way in from another thread.
#pragma once

#include "io/backend.hpp"
#include "io/fd_state.hpp"
#include "io/timer_wheel.hpp"

#include <coroutine>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace gannet::io {

/// Something a worker owns and must be able to stop: a connection, a listener.
class Session {
  public:
    virtual ~Session() = default;
    /// Graceful drain: finish what is in flight, then end. Idle sessions end now.
    virtual void drain() = 0;
    /// The drain deadline passed: end now.
    virtual void abort() = 0;
    /// True once the session has finished; the worker then destroys it at a safe point.
    bool finished() const noexcept { return finished_; }

  protected:
    /// Marks the session finished; its worker destroys it at the end of the loop iteration
    /// (never while the backend's current batch of events may still refer to it).
    void set_finished() noexcept;

  private:
    bool finished_ = false;
    friend class Worker;
    std::size_t index_ = 0;  // position in the worker's session table
};

class Worker {
  public:
    /// A worker on the default backend (epoll).
    explicit Worker(unsigned index);
    /// A worker on `backend` (another kernel interface, or a test's).
    Worker(unsigned index, std::unique_ptr<Backend> backend);
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;
    ~Worker();

    /// The worker running on this thread, or null off the workers.
    static Worker* current() noexcept;

    /// Runs the loop on the calling thread until stop() (or drain completion).
    void run();

    /// Runs `fn` on this worker's thread. Safe from any thread.
    void post(std::function<void()> fn);

    /// Resumes `h` on this worker once the current batch of events is handled, before the loop
    /// waits again: "soon, but not inside my caller" (a delivery loop that must not be
    /// re-entered). No syscall, no timer tick. Worker thread only.
    void defer(std::coroutine_handle<> h) {
        GANNET_ASSERT(current() == this, "Worker::defer called off the worker's thread");
        deferred_.push_back(h);
    }
    /// Forgets a deferred `h` (its coroutine is about to be destroyed). Worker thread only.
    void cancel_deferred(std::coroutine_handle<> h) noexcept {
        GANNET_ASSERT(current() == this, "Worker::cancel_deferred called off the worker's thread");
        for (auto& d : deferred_) {
            if (d == h) d = {};
        }
        for (auto& d : deferred_run_) {
            if (d == h) d = {};
        }
    }

    /// Registers `s.fd` with the backend (edge-triggered, in and out). `s` must stay alive
    /// until unwatch() or close(). Throws std::system_error. Worker thread only.
    void watch(FdState& s);
    /// Stops watching `s.fd`, which stays open, and forgets its waiters. Worker thread only.
    void unwatch(FdState& s) noexcept;
    /// Forgets the waiters of `s`, stops watching it and closes its fd, as cheaply as the
    /// backend can (epoll: close(2) alone). Leaves `s.fd` at -1. Worker thread only.
    void close(FdState& s) noexcept;
    /// Forgets the waiters of `s` before its fd is closed. With epoll, closing the fd is enough
    /// to leave the backend; close() above does both for any backend.
    static void forget(FdState& s) noexcept {
        s.reader = {};
        s.writer = {};
        s.closer = {};
    }

    /// Takes ownership of a session; it is destroyed after it reports finished(). Worker thread
    /// only (post() from elsewhere).
    void adopt(std::unique_ptr<Session> s);
    /// Sessions alive on this worker.
    std::size_t sessions() const noexcept { return sessions_.size(); }

    /// Begins a graceful drain of every session; the loop ends when none is left.
    void drain();
    /// Aborts every session that is still alive.
    void abort_all();
    /// Ends the loop at the next iteration.
    void stop() noexcept { stopping_ = true; }

    /// This worker's own instance of T, made with T(Worker&) on first use on the worker and
    /// destroyed with the worker, after its sessions (which may still hand things back to it)
    /// and while the worker is current. For per-worker services: the DNS resolver and its
    /// cache, an HTTP client's connection pools. Worker thread only.
    template <class T>
    T& local() {
        GANNET_ASSERT(current() == this, "Worker::local called off the worker's thread");
        for (auto& l : locals_) {
            if (l.key == &LocalKey<T>::key) return *static_cast<T*>(l.object.get());
        }
        auto made = std::make_unique<T>(*this);
        T& ref = *made;
        locals_.push_back({&LocalKey<T>::key, Erased(made.release(), &erase<T>)});
        return ref;
    }

    /// Destroys `obj` at the end of this loop iteration instead of now. For an object holding an
    /// FdState whose fd was closed while the backend's current batch may still carry a report
    /// for it (a connection attempt that lost a race, a client stream dropped by a coroutine
    /// that another fd's event resumed): that report must find the FdState alive. Worker thread
    /// only.
    template <class T>
    void destroy_after_batch(std::unique_ptr<T> obj) {
        if (obj) graveyard_.emplace_back(obj.release(), &erase<T>);
    }

    TimerWheel& timers() noexcept { return timers_; }
    /// Monotonic milliseconds, sampled once per loop iteration.
    std::uint64_t now_ms() const noexcept { return now_ms_; }
    unsigned index() const noexcept { return index_; }
    bool draining() const noexcept { return draining_; }

    /// Called when a session finishes, so that listeners can resume accepting.
    std::function<void()> on_session_end;

  private:
    friend class Session;
    using Erased = std::unique_ptr<void, void (*)(void*)>;
    template <class T>
    struct LocalKey {
        static constexpr char key = 0;  // its address tells the types apart
    };
    template <class T>
    static void erase(void* p) noexcept {
        delete static_cast<T*>(p);
    }
    struct Local {
        const char* key;
        Erased object;
    };
    void bury() noexcept;
    void run_mailbox();
    void reap();
    void update_clock() noexcept;

    unsigned index_;
    std::unique_ptr<Backend> backend_;
    TimerWheel timers_;
    std::uint64_t now_ms_ = 0;
    bool stopping_ = false;
    bool draining_ = false;

    std::vector<std::coroutine_handle<>> deferred_;
    std::vector<std::coroutine_handle<>> deferred_run_;
    void run_deferred();
    std::vector<std::unique_ptr<Session>> sessions_;
    std::vector<Session*> finished_sessions_;
    std::vector<Local> locals_;
    std::vector<Erased> graveyard_;

    std::mutex mailbox_mutex_;
    std::vector<std::function<void()>> mailbox_;
    std::vector<std::function<void()>> mailbox_run_;
    bool wake_pending_ = false;  // guarded by mailbox_mutex_
};

}  // namespace gannet::io
