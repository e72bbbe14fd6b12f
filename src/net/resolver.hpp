// A worker's name resolver (docs/architecture.md, "Outbound connections"): one c-ares channel
// per worker, its sockets on the worker's poller and its timeouts on the worker's timer wheel,
// with a per-worker cache in front. No thread, no blocking call, no getaddrinfo.
//
// c-ares does the DNS work (/etc/hosts first, then the servers, with search domains, retries
// and the answers' TTLs); this class only gives it a socket layer (ares_set_socket_functions)
// that registers each of its sockets with the worker, and runs ares_process_fd when one is
// ready or a timeout is due. Answers reach the waiting coroutines through Worker::defer, never
// from inside a c-ares call, so a resumed coroutine may start the next lookup at once.
#pragma once

#include "io/fd_state.hpp"
#include "io/waiters.hpp"
#include "io/worker.hpp"
#include "net/dns_cache.hpp"
#include "net/resolver_config.hpp"

#include <gannet/cancel.hpp>
#include <gannet/detail/timer_node.hpp>
#include <gannet/net.hpp>
#include <gannet/task.hpp>

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <coroutine>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct ares_channeldata;
struct ares_addrinfo;

namespace gannet::net {

struct PendingLookup;

/// What a lookup found.
struct Resolution {
    enum class Status : std::uint8_t {
        found,      ///< `addresses` holds at least one address (ports are 0)
        failed,     ///< `cause` and `detail` say why
        timed_out,  ///< the lookup's own timeout passed first
        cancelled,  ///< the awaiting task was cancelled
    };
    Status status = Status::failed;
    std::vector<sockaddr_storage> addresses;
    ConnectError::Cause cause = ConnectError::Cause::resolver_failed;
    std::string detail;
};

class Resolver {
  public:
    explicit Resolver(io::Worker& worker);
    Resolver(const Resolver&) = delete;
    Resolver& operator=(const Resolver&) = delete;
    ~Resolver();

    /// The current worker's resolver (made on first use).
    static Resolver& current() { return io::Worker::current()->local<Resolver>(); }

    class Lookup;
    /// Awaitable resolving to the Resolution of `name`: from the cache, from RFC 6761's fixed
    /// answer for "localhost", or from c-ares. `timeout_ms` bounds the wait (0: only the
    /// resolver's own bound); the awaiting task's cancellation ends it.
    Lookup lookup(std::string_view name, std::uint64_t timeout_ms);

    DnsCache& cache() noexcept { return cache_; }
    /// Names being looked up now, and c-ares sockets open now (tests check both drain to 0).
    std::size_t pending() const noexcept { return pending_.size(); }
    std::size_t sockets() const noexcept { return sockets_.size(); }

    class Lookup {
      public:
        Lookup(const Lookup&) = delete;
        Lookup& operator=(const Lookup&) = delete;
        ~Lookup();
        /// Answers from the cache (or localhost, or a resolver that could not start) here, at
        /// the co_await: an answer that arrived since the lookup was made counts.
        bool await_ready() {
            if (!done_) r_.prepare(*this);
            return done_;
        }
        template <class P>
        bool await_suspend(std::coroutine_handle<P> h) {
            return suspend(h, detail::scope_of(h));
        }
        Resolution await_resume() noexcept;

      private:
        friend class Resolver;
        Lookup(Resolver& r, std::string name, std::uint64_t timeout_ms);
        bool suspend(std::coroutine_handle<> h, detail::CancelScope* scope);
        void finish(const Resolution& r);
        void end_early(Resolution::Status why) noexcept;

        struct Timer : detail::TimerNode {
            Lookup* self;
        };
        struct Hook : detail::CancelHook {
            Lookup* self;
        };
        Resolver& r_;
        std::string name_;
        std::uint64_t timeout_ms_;
        PendingLookup* pending_ = nullptr;  // registered there while the query runs
        std::coroutine_handle<> h_;         // while suspended
        bool deferred_ = false;             // h_ sits in the worker's deferred list
        bool done_ = false;
        Resolution result_;
        Timer timer_;
        Hook hook_;
    };

  private:
    struct Socket;
    friend class Lookup;

    void configure();
    void prepare(Lookup& l);
    void begin(Lookup& l);
    void forget(Lookup& l) noexcept;
    Resolution resolution_of(int status, ares_addrinfo* res, std::uint64_t& ttl_ms) const;
    void after_ares_call();
    void rearm_timer() noexcept;
    Task<void> read_pump(Socket& s);
    Task<void> write_pump(Socket& s);
    Socket* find(int fd) noexcept;

    static void on_answer(void* arg, int status, int timeouts, ares_addrinfo* res);
    static void on_timer(detail::TimerNode* n);
    static void on_sock_state(void* data, int fd, int readable, int writable);
    static int sock_open(int domain, int type, int protocol, void* self);
    static int sock_close(int fd, void* self);
    static int sock_connect(int fd, const sockaddr* addr, socklen_t len, void* self);
    static ssize_t sock_recvfrom(int fd, void* buf, std::size_t len, int flags, sockaddr* from,
                                 socklen_t* from_len, void* self);
    static ssize_t sock_sendv(int fd, const struct iovec* iov, int count, void* self);

    io::Worker& worker_;
    ares_channeldata* channel_ = nullptr;
    ResolverConfig config_;
    std::string init_error_;  // set when the channel could not be made: every lookup fails
    std::string servers_;     // "127.0.0.1:5353, [::1]:53", for error messages
    DnsCache cache_;
    std::unordered_map<std::string, std::unique_ptr<PendingLookup>> pending_;
    std::unordered_map<int, std::unique_ptr<Socket>> sockets_;
    struct Timer : detail::TimerNode {
        Resolver* self;
    } timer_;
};

}  // namespace gannet::net
