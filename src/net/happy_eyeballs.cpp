#include "net/happy_eyeballs.hpp"

#include "io/socket.hpp"
#include "io/worker.hpp"
#include "net/address.hpp"

#include <gannet/cancel.hpp>
#include <gannet/detail/timer_node.hpp>
#include <gannet/net.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace gannet::net {

namespace {

using Cause = ConnectError::Cause;

// Starts a non-blocking connect to `addr`. Returns the socket, or -1 with `err` set when it
// failed at once (no route, no local address of that family).
int start_connect(const sockaddr_storage& addr, int& err) noexcept {
    int fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        err = errno;
        return -1;
    }
    socklen_t len = addr.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
    int rc;
    do {
        rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), len);
    } while (rc != 0 && errno == EINTR);
    if (rc == 0 || errno == EINPROGRESS) {
        err = 0;
        return fd;
    }
    err = errno;
    io::close_fd(fd);
    return -1;
}

int socket_error(int fd) noexcept {
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
    return err;
}

// The race's shared state: the attempts, and the one coroutine (the race itself) that waits
// for any of them, for the next attempt's start, for the deadline or for cancellation.
class Race {
  public:
    struct Attempt {
        sockaddr_storage addr{};
        std::unique_ptr<io::TcpStream> stream;
        Task<void> watcher;  // declared after the stream: destroyed first
        bool ready = false;  // the socket became writable: the handshake ended, either way
        bool over = false;   // checked and failed, or closed
        int error = 0;       // errno of a failed attempt
    };

    explicit Race(io::Worker& w) : w_(w) {
        timer_.self = this;
        timer_.fire = [](detail::TimerNode* n) { static_cast<Timer*>(n)->self->wake_now(); };
        hook_.self = this;
        hook_.fire = [](detail::CancelHook* h) noexcept {
            Race& r = *static_cast<Hook*>(h)->self;
            r.cancelled_ = true;
            r.wake_now();
        };
    }
    Race(const Race&) = delete;
    Race& operator=(const Race&) = delete;
    ~Race() {
        for (Attempt& a : attempts_) close(a);
        if (deferred_ && h_) w_.cancel_deferred(h_);
    }

    std::vector<Attempt>& attempts() noexcept { return attempts_; }
    bool cancelled() const noexcept { return cancelled_; }

    /// Opens an attempt to `addr` and starts watching it; false (with `a.error`) when the
    /// connect failed at once.
    bool start(Attempt& a) {
        int fd = start_connect(a.addr, a.error);
        if (fd < 0) {
            a.over = true;
            return false;
        }
        a.stream = std::make_unique<io::TcpStream>(fd, a.addr);
        a.stream->attach_connecting();
        a.watcher = watch(a, *this);
        a.watcher.start();
        return true;
    }

    /// Closes an attempt that lost or failed. The stream's fd closes now; its memory lives
    /// until the end of the loop iteration (the poller's batch may still report on it).
    void close(Attempt& a) noexcept {
        a.over = true;
        if (!a.stream) return;
        // Its watcher ends now, without touching the race.
        if (!a.watcher.done()) a.stream->cancel_waits();
        a.watcher = {};
        a.stream->close();
        w_.destroy_after_batch(std::move(a.stream));
    }

    /// Awaitable: suspends the race until an attempt is ready, `delay_ms` passes or the task is
    /// cancelled.
    struct Wait {
        Race& r;
        std::uint64_t delay_ms;
        bool await_ready() const noexcept { return r.poked_ || r.cancelled_; }
        template <class P>
        bool await_suspend(std::coroutine_handle<P> h) noexcept {
            detail::CancelScope* scope = detail::scope_of(h);
            if (scope != nullptr && scope->cancelled()) {
                r.cancelled_ = true;
                return false;
            }
            r.h_ = h;
            r.timer_.arm(std::max<std::uint64_t>(delay_ms, 1));
            if (scope != nullptr) scope->link(r.hook_);
            return true;
        }
        void await_resume() noexcept {
            r.h_ = {};
            r.deferred_ = false;
            r.poked_ = false;
            r.timer_.cancel();
            r.hook_.unlink();
        }
    };
    Wait wait(std::uint64_t delay_ms) noexcept { return Wait{*this, delay_ms}; }

  private:
    // Resumes the race through the worker's deferred list: never from inside a watcher, whose
    // frame the race may be about to destroy, and after the poller's batch, so attempts that
    // lose can be closed at once.
    void poke() noexcept {
        poked_ = true;
        if (h_ && !deferred_) {
            deferred_ = true;
            w_.defer(h_);
        }
    }
    // The timer or the cancel hook: neither runs inside a watcher or the poller's batch.
    void wake_now() noexcept {
        if (!h_ || deferred_) return;  // already on its way
        auto h = h_;
        h.resume();
    }

    static Task<void> watch(Attempt& a, Race& r) {
        io::WaitResult res = co_await a.stream->wait_writable(0);
        if (res != io::WaitResult::ready) co_return;  // closed by the race
        a.ready = true;
        r.poke();
    }

    struct Timer : detail::TimerNode {
        Race* self;
    };
    struct Hook : detail::CancelHook {
        Race* self;
    };
    io::Worker& w_;
    std::vector<Attempt> attempts_;
    std::coroutine_handle<> h_;  // the race, while it waits
    bool deferred_ = false;      // h_ is in the worker's deferred list
    bool poked_ = false;
    bool cancelled_ = false;
    Timer timer_;
    Hook hook_;
};

// RFC 8305 leaves the choice of error to report open: a refusal says most (something answered
// and nothing listens), then an unreachable network, then anything else.
int rank(Cause c) noexcept {
    switch (c) {
        case Cause::refused:
            return 3;
        case Cause::unreachable:
            return 2;
        default:
            return 1;
    }
}

[[noreturn]] void fail(const std::string& host, std::uint16_t port,
                       const std::vector<Race::Attempt>& attempts, bool timed_out) {
    Cause cause = Cause::other;
    if (timed_out) {
        cause = Cause::timed_out;
    } else {
        int best = 0;
        for (const auto& a : attempts) {
            Cause c = cause_of_errno(a.error);
            if (rank(c) > best) {
                best = rank(c);
                cause = c;
            }
        }
    }
    // Each address tried; those that failed for another reason than the one reported say why.
    std::string detail;
    for (const auto& a : attempts) {
        if (!detail.empty()) detail += ", ";
        detail += to_string(a.addr);
        if (a.error == 0) continue;  // still connecting when the time ran out
        Cause c = cause_of_errno(a.error);
        if (c == Cause::other) {
            detail += std::string(": ") + std::strerror(a.error);
        } else if (c != cause) {
            detail += std::string(": ") + to_string(c);
        }
    }
    throw ConnectError(cause, host, port, detail);
}

}  // namespace

std::vector<sockaddr_storage> interleave(const std::vector<sockaddr_storage>& addresses) {
    std::vector<sockaddr_storage> v6;
    std::vector<sockaddr_storage> v4;
    for (const auto& a : addresses) (a.ss_family == AF_INET6 ? v6 : v4).push_back(a);
    std::vector<sockaddr_storage> out;
    out.reserve(addresses.size());
    for (std::size_t i = 0; i < std::max(v6.size(), v4.size()); ++i) {
        if (i < v6.size()) out.push_back(v6[i]);
        if (i < v4.size()) out.push_back(v4[i]);
    }
    return out;
}

Task<std::unique_ptr<io::TcpStream>> race(std::string host, std::uint16_t port,
                                          std::vector<sockaddr_storage> addresses,
                                          std::uint64_t deadline_ms,
                                          std::uint64_t attempt_delay_ms) {
    io::Worker* w = io::Worker::current();
    GANNET_ASSERT(w != nullptr, "a connect runs on a worker");
    Race r(*w);
    auto& attempts = r.attempts();
    attempts.reserve(addresses.size());  // watchers hold references: no reallocation
    std::size_t next = 0;                // the next address to try
    std::uint64_t next_start = 0;        // when it may start
    for (;;) {
        if (r.cancelled()) throw Cancelled();
        const std::uint64_t now = w->now_ms();
        // Handshakes that ended: the first one that succeeded wins.
        for (auto& a : attempts) {
            if (!a.ready || a.over) continue;
            a.error = socket_error(a.stream->fd());
            if (a.error == 0) {
                int one = 1;
                ::setsockopt(a.stream->fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                std::unique_ptr<io::TcpStream> won = std::move(a.stream);
                a.watcher = {};  // finished: it saw the socket writable
                co_return won;   // ~Race closes the others
            }
            r.close(a);
            next_start = now;  // RFC 8305 §5: a failure starts the next attempt at once
        }
        // Start what is due: the first at once, then one per delay or after a failure.
        bool any_running =
            std::any_of(attempts.begin(), attempts.end(), [](const auto& a) { return !a.over; });
        while (next < addresses.size() && (!any_running || now >= next_start)) {
            attempts.push_back(Race::Attempt{});
            attempts.back().addr = addresses[next++];
            if (r.start(attempts.back())) {
                any_running = true;
                next_start = now + attempt_delay_ms;
                break;
            }
            next_start = now;  // failed at once (no route): the next one starts at once too
        }
        if (!any_running) fail(host, port, attempts, false);
        if (now >= deadline_ms) fail(host, port, attempts, true);
        std::uint64_t wake_at = deadline_ms;
        if (next < addresses.size()) wake_at = std::min(wake_at, next_start);
        co_await r.wait(wake_at > now ? wake_at - now : 1);
    }
}

}  // namespace gannet::net
