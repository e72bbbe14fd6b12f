// Connection pools of the HTTP client (docs/architecture.md, "The HTTP client").
//
// Ownership, per worker:
//   WorkerPools (an io::Session the worker owns)          one per worker, found by a
//     └ ClientPools, one per HttpClient used here          thread_local pointer
//         └ OriginPool, one per origin (refcounted)
//             ├ idle ClientConns (owned while idle)
//             └ PoolWaits: requests waiting for a connection
// A busy ClientConn is owned by its request (the exchange) and holds a reference on its
// OriginPool, so a pool outlives the WorkerPools that made it while a request still uses it;
// once the pool is shut (the worker drains, the HttpClient is destroyed), released connections
// are closed instead of kept.
//
// Why a Session: pooled streams are registered with the worker's poller and must be closed on
// that worker while it exists. The worker destroys its sessions on its own terms (at the end
// of a drain, or in ~Worker with the worker current), which is exactly that.
//
// Threading: everything here runs on the worker that owns it, except ClientShared's registry
// (its mutex), which HttpClient::stats() and ~HttpClient use from any thread.
#pragma once

#include "clients/client_url.hpp"
#include "clients/connector.hpp"
#include "io/stream.hpp"
#include "io/worker.hpp"

#include <gannet/cancel.hpp>
#include <gannet/client.hpp>
#include <gannet/detail/timer_node.hpp>
#include <gannet/task.hpp>

#include <atomic>
#include <coroutine>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace gannet::clients {

class ClientPools;

/// A counter one worker bumps and any thread may read (no read-modify-write).
class Counter {
  public:
    void bump() noexcept {
        v_.store(v_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }
    std::uint64_t get() const noexcept { return v_.load(std::memory_order_relaxed); }

  private:
    std::atomic<std::uint64_t> v_{0};
};

/// What one client counts on one worker (summed by HttpClient::stats()).
struct Counters {
    Counter requests, connects, reuses, discarded, retries, idle_closed;
};

}  // namespace gannet::clients

namespace gannet::detail {

/// What an HttpClient shares with the pools its requests made on the workers.
struct ClientShared {
    ClientOptions options;
    std::uint64_t id = 0;          ///< unique per client, never reused
    clients::Connector connector;  ///< null: net::connect_stream
    std::mutex mutex;              ///< guards `pools`
    /// Where this client has pools: the worker and its ClientPools. An entry leaves before its
    /// ClientPools is destroyed (under the mutex), so a reader holding the mutex may use it.
    std::vector<std::pair<io::Worker*, clients::ClientPools*>> pools;
};

}  // namespace gannet::detail

namespace gannet::clients {

class OriginPool;

/// One connection to an origin: its stream and its read buffer.
class ClientConn {
  public:
    ClientConn(std::unique_ptr<io::Stream> stream, OriginPool& pool);
    ~ClientConn();
    ClientConn(const ClientConn&) = delete;
    ClientConn& operator=(const ClientConn&) = delete;

    io::Stream& stream() noexcept { return *stream_; }
    OriginPool& pool() noexcept { return *pool_; }
    /// Hands the stream over (an upgrade); this connection then only ends its pool slot.
    std::unique_ptr<io::Stream> take_stream() noexcept { return std::move(stream_); }

    /// The read buffer: [pos, len) is received and not consumed. Taken from a per-worker cache
    /// while a request runs; an idle connection holds none.
    void ensure_buffer();
    void drop_buffer() noexcept;
    /// Moves [pos, len) to the front of the buffer.
    void compact() noexcept;
    char* buf = nullptr;
    std::size_t cap = 0;
    std::size_t pos = 0;
    std::size_t len = 0;

    std::string out;               ///< the request head being written (capacity kept)
    std::uint64_t idle_since = 0;  ///< when it was last put back in the pool
    std::uint64_t uses = 0;        ///< requests sent on it

  private:
    std::unique_ptr<io::Stream> stream_;
    OriginPool* pool_;
};

/// A connection lent to a request.
struct Lease {
    std::unique_ptr<ClientConn> conn;
    bool reused = false;  ///< it came from the pool (it served a request before)
};

/// How a request's wait for a connection or a stream ends when it is not ready: which timeout
/// bound it, for the error message.
struct AcquireContext {
    std::string_view request;  ///< "GET http://host/path", for messages
    std::uint64_t connect_timeout_ms = 0;
    std::uint64_t total_deadline_ms = 0;  ///< worker clock; 0: none
    bool fresh_only = false;              ///< skip idle connections (a retry)
};

/// The connections of one client to one origin on one worker.
class OriginPool {
  public:
    OriginPool(std::shared_ptr<detail::ClientShared> shared, Origin origin, ClientPools* owner);
    OriginPool(const OriginPool&) = delete;
    OriginPool& operator=(const OriginPool&) = delete;

    void ref() noexcept { ++refs_; }
    void unref() noexcept {
        if (--refs_ == 0) delete this;
    }

    /// A healthy idle connection, a new one, or one a finishing request hands over, in that
    /// order; waits (bounded by queue_timeout and max_waiters_per_origin) when all are busy.
    Task<Lease> acquire(AcquireContext ctx);
    /// Takes back a connection whose response was read to its end: kept when `reusable` and the
    /// pool is open, else closed. A waiting request gets it first.
    void release(std::unique_ptr<ClientConn> conn, bool reusable);
    /// Closes idle connections past idle_timeout or found closed; true when some stay idle.
    bool sweep(std::uint64_t now_ms);
    /// Stops pooling: closes the idle connections, fails the waiters (shutting_down); later
    /// releases close their connection. Idempotent.
    void shut() noexcept;
    bool is_shut() const noexcept { return shut_; }
    /// Nothing open, idle or waiting: the pool may be forgotten.
    bool unused() const noexcept { return open_ == 0 && waiters_ == nullptr; }

    const Origin& origin() const noexcept { return origin_; }
    const ClientOptions& options() const noexcept { return shared_->options; }
    detail::ClientShared& shared() noexcept { return *shared_; }
    Counters* counters() noexcept;
    std::size_t open() const noexcept { return open_; }
    std::size_t idle() const noexcept { return idle_.size(); }

  private:
    friend class ClientConn;
    struct Wait;
    ~OriginPool();
    void conn_gone() noexcept;  // a ClientConn of ours was destroyed
    /// Resumes the first waiter (soon, from the worker's deferred queue) with `conn`, or with
    /// a free slot when `conn` is null. False when nobody waits.
    bool wake_first(std::unique_ptr<ClientConn>& conn) noexcept;
    bool healthy(ClientConn& c) noexcept;

    std::shared_ptr<detail::ClientShared> shared_;
    Origin origin_;
    ClientPools* owner_;                            // null once shut
    std::deque<std::unique_ptr<ClientConn>> idle_;  // oldest first
    std::size_t open_ = 0;                          // ClientConns alive plus connects in progress
    std::size_t waiting_ = 0;                       // entries in the waiter list
    Wait* waiters_ = nullptr;                       // FIFO: first in front
    Wait* waiters_tail_ = nullptr;
    int refs_ = 0;
    bool shut_ = false;
};

/// One client's pools on one worker.
class ClientPools {
  public:
    ClientPools(std::shared_ptr<detail::ClientShared> shared, io::Worker* worker);
    ~ClientPools();
    /// The pool for `origin`, created on first use.
    OriginPool& pool(const Origin& origin);
    /// Closes every idle connection past its time; true when some stay idle.
    bool sweep(std::uint64_t now_ms);
    Counters counters;

  private:
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };
    std::shared_ptr<detail::ClientShared> shared_;
    io::Worker* worker_;
    std::unordered_map<std::string, OriginPool*, Hash, std::equal_to<>> origins_;
};

/// Every client's pools on this worker (see the file comment).
class WorkerPools final : public io::Session {
  public:
    explicit WorkerPools(io::Worker* worker) noexcept;
    ~WorkerPools() override;

    /// This worker's pools, created (and adopted) on first use; null while the worker drains
    /// (requests then use a connection each and close it). Call on a worker.
    static WorkerPools* here();

    /// `shared`'s pools here, created on first use.
    ClientPools& client(const std::shared_ptr<detail::ClientShared>& shared);
    /// Shuts and forgets the pools of client `id` (its HttpClient is gone) on this worker.
    static void drop_here(std::uint64_t id);
    /// Arms the sweep of idle connections, when it is not armed.
    void watch_idle() noexcept;

    void drain() override;
    void abort() override { drain(); }

  private:
    struct SweepTimer : detail::TimerNode {
        WorkerPools* self = nullptr;
    };
    static void on_sweep(detail::TimerNode* n);
    void shut_all() noexcept;

    io::Worker* worker_;
    std::unordered_map<std::uint64_t, std::unique_ptr<ClientPools>> clients_;
    SweepTimer sweep_;
    bool shut_ = false;
};

}  // namespace gannet::clients
