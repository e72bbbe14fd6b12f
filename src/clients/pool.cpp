#include "clients/pool.hpp"

#include "clients/client_error.hpp"

#include <gannet/detail/assert.hpp>

#include <algorithm>
#include <cstring>

namespace gannet::clients {

namespace {

thread_local WorkerPools* t_pools = nullptr;

// Read buffers, cached per worker like the server's: an idle pooled connection holds none.
struct BufferCache {
    std::size_t size = 0;
    std::vector<char*> free;
    ~BufferCache() {
        for (char* b : free) delete[] b;
    }
    char* get(std::size_t want) {
        if (want != size) {
            for (char* b : free) delete[] b;
            free.clear();
            size = want;
        }
        if (!free.empty()) {
            char* b = free.back();
            free.pop_back();
            return b;
        }
        return new char[want];
    }
    void put(char* b, std::size_t cap) noexcept {
        if (cap == size && free.size() < 64) {
            free.push_back(b);
        } else {
            delete[] b;
        }
    }
};
thread_local BufferCache t_buffers;

// Idle connections are looked at this often for their idle timeout and for servers that
// closed them (their fds would otherwise wait in CLOSE_WAIT until the next request).
constexpr std::uint64_t kSweepMs = 1000;

std::uint64_t now_ms() noexcept {
    io::Worker* w = io::Worker::current();
    return w != nullptr ? w->now_ms() : 0;
}

}  // namespace

// --- ClientConn -----------------------------------------------------------------------------

ClientConn::ClientConn(std::unique_ptr<io::Stream> stream, OriginPool& pool)
    : stream_(std::move(stream)), pool_(&pool) {
    pool_->ref();
}

ClientConn::~ClientConn() {
    if (stream_) stream_->close();
    drop_buffer();
    OriginPool* p = pool_;
    p->conn_gone();
    p->unref();
}

void ClientConn::ensure_buffer() {
    if (buf != nullptr) return;
    const ClientOptions& o = pool_->options();
    // The head must fit whole; the body streams through the rest.
    cap = o.max_header_bytes + 16 * 1024;
    buf = t_buffers.get(cap);
    pos = len = 0;
}

void ClientConn::drop_buffer() noexcept {
    if (buf == nullptr) return;
    t_buffers.put(buf, cap);
    buf = nullptr;
    cap = pos = len = 0;
}

void ClientConn::compact() noexcept {
    if (pos == 0) return;
    if (pos < len) std::memmove(buf, buf + pos, len - pos);
    len -= pos;
    pos = 0;
}

// --- OriginPool::Wait -------------------------------------------------------------------------

// A request waiting for a connection: in the pool's FIFO, with a timer (queue_timeout) and a
// cancellation hook. Whoever ends the wait first takes it out of all three.
struct OriginPool::Wait : detail::TimerNode {
    enum class Outcome : std::uint8_t { pending, handed, slot, timed_out, cancelled, shut };
    struct Hook : detail::CancelHook {
        Wait* self = nullptr;
    };

    OriginPool& pool;
    std::uint64_t timeout_ms;
    std::coroutine_handle<> h;
    Hook hook;
    Wait* prev = nullptr;
    Wait* next = nullptr;
    bool queued = false;
    bool deferred = false;  // in the worker's deferred queue
    Outcome outcome = Outcome::pending;
    std::unique_ptr<ClientConn> conn;  // handed over

    Wait(OriginPool& p, std::uint64_t ms) noexcept
        : TimerNode(&Wait::on_timeout), pool(p), timeout_ms(ms) {
        hook.fire = &Wait::on_cancel;
        hook.self = this;
    }
    Wait(const Wait&) = delete;
    Wait& operator=(const Wait&) = delete;
    ~Wait() {
        dequeue();
        if (deferred) {
            if (io::Worker* w = io::Worker::current()) w->cancel_deferred(h);
        }
    }

    bool await_ready() const noexcept { return false; }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> handle) {
        detail::CancelScope* scope = detail::scope_of(handle);
        if (scope != nullptr && scope->cancelled()) {
            outcome = Outcome::cancelled;
            return false;
        }
        h = handle;
        enqueue();
        if (scope != nullptr) scope->link(hook);
        if (timeout_ms > 0) arm(timeout_ms);
        return true;
    }
    Outcome await_resume() noexcept {
        deferred = false;
        return outcome;
    }

    void enqueue() noexcept {
        queued = true;
        prev = pool.waiters_tail_;
        next = nullptr;
        if (prev != nullptr) {
            prev->next = this;
        } else {
            pool.waiters_ = this;
        }
        pool.waiters_tail_ = this;
        ++pool.waiting_;
    }
    // Out of the FIFO, the timer and the scope.
    void dequeue() noexcept {
        cancel();
        hook.unlink();
        if (!queued) return;
        queued = false;
        if (prev != nullptr) {
            prev->next = next;
        } else {
            pool.waiters_ = next;
        }
        if (next != nullptr) {
            next->prev = prev;
        } else {
            pool.waiters_tail_ = prev;
        }
        prev = next = nullptr;
        --pool.waiting_;
    }
    // Ends the wait from the pool: resumed from the worker's deferred queue, not inside the
    // release or close that caused it.
    void finish_later(Outcome o) noexcept {
        dequeue();
        outcome = o;
        deferred = true;
        io::Worker::current()->defer(h);
    }
    static void on_timeout(detail::TimerNode* n) noexcept {
        auto* w = static_cast<Wait*>(n);
        w->dequeue();
        w->outcome = Outcome::timed_out;
        w->h.resume();
    }
    static void on_cancel(detail::CancelHook* n) noexcept {
        Wait* w = static_cast<Hook*>(n)->self;
        w->dequeue();
        w->outcome = Outcome::cancelled;
        w->h.resume();
    }
};

// --- OriginPool -----------------------------------------------------------------------------

OriginPool::OriginPool(std::shared_ptr<detail::ClientShared> shared, Origin origin,
                       ClientPools* owner)
    : shared_(std::move(shared)), origin_(std::move(origin)), owner_(owner) {
    if (owner_ == nullptr) shut_ = true;  // a worker that drains: no pooling
}

OriginPool::~OriginPool() {
    GANNET_ASSERT(idle_.empty() && waiters_ == nullptr, "an OriginPool dies with users left");
}

Counters* OriginPool::counters() noexcept {
    return owner_ != nullptr ? &owner_->counters : nullptr;
}

bool OriginPool::healthy(ClientConn& c) noexcept {
    io::Stream& s = c.stream();
    // An idle connection has nothing to say: readable means end of stream, a reset or stray
    // bytes, none of which a new request may meet. The poller's flags tell without a system
    // call; when the flag may be stale (a read that filled the buffer leaves it set), one
    // non-blocking read settles it.
    if (s.hung_up()) return false;
    if (!s.readable()) return true;
    char probe[16];
    io::IoResult r = s.read({probe, sizeof probe});
    return r.bytes == 0 && r.error == io::IoError::would_block;
}

Task<Lease> OriginPool::acquire(AcquireContext ctx) {
    ref();  // alive across the waits below, even if shut meanwhile
    struct Unref {
        OriginPool* p;
        ~Unref() { p->unref(); }
    } unref_at_end{this};
    const ClientOptions& o = options();
    for (;;) {
        if (!ctx.fresh_only) {
            while (!idle_.empty()) {
                std::unique_ptr<ClientConn> c = std::move(idle_.back());
                idle_.pop_back();
                Counters* k = counters();
                if (now_ms() - c->idle_since >=
                    static_cast<std::uint64_t>(o.idle_timeout.count())) {
                    if (k != nullptr) k->idle_closed.bump();
                    continue;  // destroyed: closed
                }
                if (!healthy(*c)) {
                    if (k != nullptr) k->discarded.bump();
                    continue;
                }
                ++c->uses;
                if (k != nullptr) k->reuses.bump();
                co_return Lease{std::move(c), true};
            }
        } else if (open_ >= o.max_connections_per_origin && !idle_.empty()) {
            idle_.pop_front();  // a retry wants a new connection: make room for it
        }
        if (shut_ || open_ < o.max_connections_per_origin) {
            ++open_;  // the slot is ours while connecting
            bool total_binds = false;
            const std::uint64_t timeout =
                bounded_wait(static_cast<std::uint64_t>(o.connect_timeout.count()),
                             ctx.total_deadline_ms, now_ms(), ctx.request, total_binds);
            std::unique_ptr<io::Stream> stream;
            std::exception_ptr error;
            try {
                stream = co_await shared_->connector(origin_, timeout);
            } catch (...) {
                error = std::current_exception();
            }
            if (error) {
                conn_gone();  // gives the slot back (and to a waiter)
                rethrow_connect_error(error, ctx.request, total_binds);
            }
            auto conn = std::make_unique<ClientConn>(std::move(stream), *this);
            conn->uses = 1;
            if (Counters* k = counters()) k->connects.bump();
            co_return Lease{std::move(conn), false};
        }
        if (waiting_ >= o.max_waiters_per_origin) {
            fail(ClientErrorKind::pool_full, ctx.request,
                 std::to_string(open_) + " connections busy, " + std::to_string(waiting_) +
                     " requests waiting for " + origin_.key);
        }
        bool total_binds = false;
        const std::uint64_t timeout =
            bounded_wait(static_cast<std::uint64_t>(o.queue_timeout.count()), ctx.total_deadline_ms,
                         now_ms(), ctx.request, total_binds);
        Wait w(*this, timeout);
        const Wait::Outcome outcome = co_await w;
        switch (outcome) {
            case Wait::Outcome::handed: {
                std::unique_ptr<ClientConn> c = std::move(w.conn);
                ++c->uses;
                if (Counters* k = counters()) k->reuses.bump();
                co_return Lease{std::move(c), true};
            }
            case Wait::Outcome::slot:
                break;  // a connection closed: try again
            case Wait::Outcome::timed_out:
                fail(total_binds ? ClientErrorKind::total_timeout : ClientErrorKind::pool_timeout,
                     ctx.request,
                     std::to_string(open_) + " connections to " + origin_.key + " stayed busy");
            case Wait::Outcome::cancelled:
                fail_cancelled(ctx.request, "waiting for a free connection");
            case Wait::Outcome::shut:
            case Wait::Outcome::pending:
                fail(ClientErrorKind::shutting_down, ctx.request);
        }
    }
}

void OriginPool::release(std::unique_ptr<ClientConn> conn, bool reusable) {
    if (!reusable || shut_ || conn->stream().hung_up() || conn->pos != conn->len) {
        conn.reset();  // closes; gives the slot to a waiter
        return;
    }
    conn->drop_buffer();
    if (wake_first(conn)) return;
    conn->idle_since = now_ms();
    idle_.push_back(std::move(conn));
    if (t_pools != nullptr) t_pools->watch_idle();
}

bool OriginPool::wake_first(std::unique_ptr<ClientConn>& conn) noexcept {
    Wait* w = waiters_;
    if (w == nullptr) return false;
    if (conn) {
        w->conn = std::move(conn);
        w->finish_later(Wait::Outcome::handed);
    } else {
        w->finish_later(Wait::Outcome::slot);
    }
    return true;
}

void OriginPool::conn_gone() noexcept {
    GANNET_ASSERT(open_ > 0, "an OriginPool counts fewer connections than it has");
    --open_;
    std::unique_ptr<ClientConn> none;
    (void)wake_first(none);
}

bool OriginPool::sweep(std::uint64_t now) {
    const auto limit = static_cast<std::uint64_t>(options().idle_timeout.count());
    Counters* k = counters();
    for (auto it = idle_.begin(); it != idle_.end();) {
        io::Stream& s = (*it)->stream();
        const bool expired = now - (*it)->idle_since >= limit;
        if (expired || s.hung_up()) {
            if (k != nullptr) (expired ? k->idle_closed : k->discarded).bump();
            it = idle_.erase(it);
        } else {
            ++it;
        }
    }
    return !idle_.empty();
}

void OriginPool::shut() noexcept {
    if (shut_ && owner_ == nullptr && idle_.empty() && waiters_ == nullptr) return;
    shut_ = true;
    owner_ = nullptr;
    ref();  // closing connections calls back into conn_gone()
    idle_.clear();
    while (Wait* w = waiters_) w->finish_later(Wait::Outcome::shut);
    unref();
}

// --- ClientPools ----------------------------------------------------------------------------

ClientPools::ClientPools(std::shared_ptr<detail::ClientShared> shared, io::Worker* worker)
    : shared_(std::move(shared)), worker_(worker) {
    std::lock_guard lock(shared_->mutex);
    shared_->pools.emplace_back(worker_, this);
}

ClientPools::~ClientPools() {
    {
        std::lock_guard lock(shared_->mutex);
        auto& v = shared_->pools;
        v.erase(std::remove_if(v.begin(), v.end(), [&](const auto& e) { return e.second == this; }),
                v.end());
    }
    for (auto& [key, pool] : origins_) {
        pool->shut();
        pool->unref();
    }
}

OriginPool& ClientPools::pool(const Origin& origin) {
    auto it = origins_.find(std::string_view(origin.key));
    if (it != origins_.end()) return *it->second;
    auto* p = new OriginPool(shared_, origin, this);
    p->ref();
    origins_.emplace(origin.key, p);
    return *p;
}

bool ClientPools::sweep(std::uint64_t now_ms) {
    bool idle_left = false;
    for (auto it = origins_.begin(); it != origins_.end();) {
        OriginPool* p = it->second;
        idle_left = p->sweep(now_ms) || idle_left;
        // Forget pools of origins no longer used, so that a client calling many hosts does not
        // grow without bound.
        if (p->unused()) {
            p->shut();
            p->unref();
            it = origins_.erase(it);
        } else {
            ++it;
        }
    }
    return idle_left;
}

// --- WorkerPools ----------------------------------------------------------------------------

WorkerPools::WorkerPools(io::Worker* worker) noexcept : worker_(worker) {
    sweep_.fire = &WorkerPools::on_sweep;
    sweep_.self = this;
}

WorkerPools::~WorkerPools() {
    shut_all();
    if (t_pools == this) t_pools = nullptr;
}

WorkerPools* WorkerPools::here() {
    io::Worker* w = io::Worker::current();
    GANNET_ASSERT(w != nullptr, "WorkerPools::here() off a worker");
    if (t_pools != nullptr && t_pools->worker_ == w && !t_pools->shut_) return t_pools;
    if (w->draining()) return nullptr;
    auto p = std::make_unique<WorkerPools>(w);
    t_pools = p.get();
    w->adopt(std::move(p));
    return t_pools;
}

ClientPools& WorkerPools::client(const std::shared_ptr<detail::ClientShared>& shared) {
    auto it = clients_.find(shared->id);
    if (it != clients_.end()) return *it->second;
    auto p = std::make_unique<ClientPools>(shared, worker_);
    ClientPools& ref = *p;
    clients_.emplace(shared->id, std::move(p));
    return ref;
}

void WorkerPools::drop_here(std::uint64_t id) {
    if (t_pools != nullptr) t_pools->clients_.erase(id);  // ~ClientPools shuts its origins
}

void WorkerPools::watch_idle() noexcept {
    if (!sweep_.armed() && !shut_) sweep_.arm(kSweepMs);
}

void WorkerPools::on_sweep(detail::TimerNode* n) {
    WorkerPools* self = static_cast<SweepTimer*>(n)->self;
    const std::uint64_t now = self->worker_->now_ms();
    bool idle_left = false;
    for (auto& [id, c] : self->clients_) idle_left = c->sweep(now) || idle_left;
    if (idle_left) self->sweep_.arm(kSweepMs);
}

void WorkerPools::shut_all() noexcept {
    shut_ = true;
    sweep_.cancel();
    clients_.clear();
}

void WorkerPools::drain() {
    // In-flight requests go on (a draining server still finishes its handlers); their
    // connections are closed after use instead of pooled, and new requests on this worker use
    // a connection each (here() returns null). The worker's loop may now end.
    shut_all();
    if (t_pools == this) t_pools = nullptr;
    set_finished();
}

}  // namespace gannet::clients
