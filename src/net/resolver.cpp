#include "net/resolver.hpp"

#include "io/socket.hpp"
#include "net/address.hpp"

#include <gannet/log.hpp>

#include <ares.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <utility>

namespace gannet::net {

/// One name being looked up by c-ares, and the lookups waiting for it (several connects to the
/// same host share one query).
struct PendingLookup {
    Resolver* resolver;
    std::string key;  // the name as asked, lowercased
    std::vector<Resolver::Lookup*> waiters;
};

/// One of c-ares's sockets on the worker's poller: a coroutine reads whenever it is readable,
/// another writes whenever c-ares has something to write (a DNS query over TCP) and it is
/// writable.
struct Resolver::Socket {
    io::FdState state;
    bool closed = false;
    bool want_write = false;  // c-ares's sock_state callback asked for writability
    unsigned recv_calls = 0;  // counts c-ares's reads, to see when it stops reading
    unsigned send_calls = 0;
    io::Waiter write_wanted;  // the write pump, while c-ares has nothing to write
    Task<void> reader;
    Task<void> writer;
};

namespace {

using Cause = ConnectError::Cause;

std::string lowercase(std::string_view name) {
    std::string key(name);
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return key;
}

// RFC 6761 §6.3: "localhost" and the names under it are the loopback addresses, always, and are
// never sent to a DNS server. c-ares 1.18 answers "localhost" from /etc/hosts, which often lists
// 127.0.0.1 only; both families are meant.
bool is_localhost(std::string_view key) {
    if (!key.empty() && key.back() == '.') key.remove_suffix(1);
    constexpr std::string_view kLocal = "localhost";
    return key == kLocal || (key.size() > kLocal.size() + 1 && key.ends_with(kLocal) &&
                             key[key.size() - kLocal.size() - 1] == '.');
}

std::vector<sockaddr_storage> loopback_addresses() {
    return {*parse_numeric("::1", 0), *parse_numeric("127.0.0.1", 0)};
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Lookup: the awaitable

Resolver::Lookup::Lookup(Resolver& r, std::string name, std::uint64_t timeout_ms)
    : r_(r), name_(std::move(name)), timeout_ms_(timeout_ms) {
    timer_.self = this;
    timer_.fire = [](detail::TimerNode* n) {
        static_cast<Timer*>(n)->self->end_early(Resolution::Status::timed_out);
    };
    hook_.self = this;
    hook_.fire = [](detail::CancelHook* h) noexcept {
        static_cast<Hook*>(h)->self->end_early(Resolution::Status::cancelled);
    };
}

Resolver::Lookup::~Lookup() {
    // A coroutine destroyed while it waits: leave nothing behind that could resume it.
    if (pending_ != nullptr) r_.forget(*this);
    if (deferred_ && h_) r_.worker_.cancel_deferred(h_);
}

bool Resolver::Lookup::suspend(std::coroutine_handle<> h, detail::CancelScope* scope) {
    if (scope != nullptr && scope->cancelled()) {
        result_.status = Resolution::Status::cancelled;
        return false;
    }
    r_.begin(*this);  // may answer at once (/etc/hosts, an error)
    if (done_) return false;
    h_ = h;
    if (timeout_ms_ > 0) timer_.arm(timeout_ms_);
    if (scope != nullptr) scope->link(hook_);
    return true;
}

void Resolver::Lookup::finish(const Resolution& r) {
    pending_ = nullptr;
    result_ = r;
    done_ = true;
    timer_.cancel();
    hook_.unlink();
    if (h_) {
        // Not from inside c-ares: the coroutine resumes once the current batch is handled.
        deferred_ = true;
        r_.worker_.defer(h_);
    }
}

void Resolver::Lookup::end_early(Resolution::Status why) noexcept {
    if (pending_ != nullptr) r_.forget(*this);  // the query goes on for the others and the cache
    timer_.cancel();
    hook_.unlink();
    result_.status = why;
    done_ = true;
    if (auto h = std::exchange(h_, {})) h.resume();
}

Resolution Resolver::Lookup::await_resume() noexcept {
    h_ = {};
    deferred_ = false;
    return std::move(result_);
}

// ---------------------------------------------------------------------------------------------
// Resolver

Resolver::Resolver(io::Worker& worker) : worker_(worker) {
    static std::once_flag once;
    std::call_once(once, [] { ares_library_init(ARES_LIB_INIT_ALL); });
    timer_.self = this;
    timer_.fire = &Resolver::on_timer;
    configure();
}

Resolver::~Resolver() {
    timer_.cancel();
    // Answers ARES_EDESTRUCTION to what is still pending (on_answer drops those) and closes the
    // sockets through sock_close.
    if (channel_ != nullptr) ares_destroy(channel_);
    channel_ = nullptr;
    for (auto& [key, p] : pending_) {
        for (Lookup* l : p->waiters) l->pending_ = nullptr;
    }
}

void Resolver::configure() {
    config_ = resolver_config();
    if (channel_ != nullptr) ares_destroy(channel_);
    channel_ = nullptr;
    cache_.clear();
    cache_.set_max_entries(config_.options.cache_entries);
    init_error_ = config_.error;
    servers_.clear();
    if (!init_error_.empty()) return;

    ares_options o{};
    o.timeout = static_cast<int>(config_.options.query_timeout.count());
    o.tries = config_.options.tries;
    o.sock_state_cb = &Resolver::on_sock_state;
    o.sock_state_cb_data = this;
    int rc = ares_init_options(&channel_, &o,
                               ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB);
    if (rc != ARES_SUCCESS) {
        init_error_ = std::string("c-ares could not start: ") + ares_strerror(rc);
        channel_ = nullptr;
        return;
    }
    static const ares_socket_functions functions = {
        &Resolver::sock_open,     &Resolver::sock_close, &Resolver::sock_connect,
        &Resolver::sock_recvfrom, &Resolver::sock_sendv,
    };
    ares_set_socket_functions(channel_, &functions, this);
    if (!config_.servers_csv.empty()) {
        rc = ares_set_servers_ports_csv(channel_, config_.servers_csv.c_str());
        if (rc != ARES_SUCCESS) {
            init_error_ = "DNS servers " + config_.servers_csv + ": " + ares_strerror(rc);
            ares_destroy(channel_);
            channel_ = nullptr;
            return;
        }
    }
    // The servers in force, for error messages.
    ares_addr_port_node* list = nullptr;
    if (ares_get_servers_ports(channel_, &list) == ARES_SUCCESS) {
        for (ares_addr_port_node* n = list; n != nullptr; n = n->next) {
            sockaddr_storage ss{};
            if (n->family == AF_INET) {
                auto* a = reinterpret_cast<sockaddr_in*>(&ss);
                a->sin_family = AF_INET;
                std::memcpy(&a->sin_addr, &n->addr.addr4, sizeof a->sin_addr);
                a->sin_port = htons(static_cast<std::uint16_t>(n->udp_port ? n->udp_port : 53));
            } else {
                auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
                a->sin6_family = AF_INET6;
                std::memcpy(&a->sin6_addr, &n->addr.addr6, sizeof a->sin6_addr);
                a->sin6_port = htons(static_cast<std::uint16_t>(n->udp_port ? n->udp_port : 53));
            }
            if (!servers_.empty()) servers_ += ", ";
            servers_ += to_string(ss);
        }
        ares_free_data(list);
    }
    if (servers_.empty()) servers_ = "no DNS server configured";
}

Resolver::Lookup Resolver::lookup(std::string_view name, std::uint64_t timeout_ms) {
    return Lookup(*this, std::string(name), timeout_ms);  // built in place: it cannot move
}

void Resolver::prepare(Lookup& l) {
    if (pending_.empty() && resolver_generation() != config_.generation) configure();
    std::string key = lowercase(l.name_);
    if (is_localhost(key)) {
        l.result_.status = Resolution::Status::found;
        l.result_.addresses = loopback_addresses();
        l.done_ = true;
    } else if (const DnsAnswer* a = cache_.find(key, worker_.now_ms())) {
        if (a->addresses.empty()) {
            l.result_.status = Resolution::Status::failed;
            l.result_.cause = Cause::no_such_host;
            l.result_.detail = a->detail;
        } else {
            l.result_.status = Resolution::Status::found;
            l.result_.addresses = a->addresses;
        }
        l.done_ = true;
    } else if (std::string_view why = host_name_problem(key); !why.empty()) {
        l.result_.status = Resolution::Status::failed;
        l.result_.cause = Cause::invalid_address;
        l.result_.detail = "not a host name: " + std::string(why);
        l.done_ = true;
    } else if (channel_ == nullptr) {
        l.result_.status = Resolution::Status::failed;
        l.result_.cause = Cause::resolver_failed;
        l.result_.detail = init_error_;
        l.done_ = true;
    }
}

void Resolver::begin(Lookup& l) {
    std::string key = lowercase(l.name_);
    auto it = pending_.find(key);
    if (it != pending_.end()) {
        it->second->waiters.push_back(&l);
        l.pending_ = it->second.get();
        return;
    }
    auto owned = std::make_unique<PendingLookup>(PendingLookup{this, key, {&l}});
    PendingLookup* p = owned.get();
    l.pending_ = p;
    pending_.emplace(std::move(key), std::move(owned));
    ares_addrinfo_hints hints{};
    // Our own order (RFC 8305 interleaving, in connect) instead of c-ares's RFC 6724 sort,
    // which would open and connect a UDP socket per address to learn the source addresses.
    hints.ai_flags = ARES_AI_NOSORT;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    // May call on_answer before it returns (/etc/hosts, a bad name): `p` may be gone after it.
    ares_getaddrinfo(channel_, l.name_.c_str(), nullptr, &hints, &Resolver::on_answer, p);
    after_ares_call();
}

void Resolver::forget(Lookup& l) noexcept {
    PendingLookup* p = l.pending_;
    l.pending_ = nullptr;
    if (p == nullptr) return;
    auto& w = p->waiters;
    w.erase(std::remove(w.begin(), w.end(), &l), w.end());
}

Resolution Resolver::resolution_of(int status, ares_addrinfo* res, std::uint64_t& ttl_ms) const {
    Resolution r;
    ttl_ms = 0;
    if (status == ARES_SUCCESS && res != nullptr) {
        long ttl = static_cast<long>(config_.options.max_ttl.count());
        for (ares_addrinfo_node* n = res->nodes; n != nullptr; n = n->ai_next) {
            if (n->ai_family != AF_INET && n->ai_family != AF_INET6) continue;
            sockaddr_storage ss{};
            std::memcpy(&ss, n->ai_addr, std::min<std::size_t>(n->ai_addrlen, sizeof ss));
            bool seen = std::any_of(r.addresses.begin(), r.addresses.end(),
                                    [&](auto& a) { return std::memcmp(&a, &ss, sizeof ss) == 0; });
            if (!seen) r.addresses.push_back(ss);
            ttl = std::min<long>(ttl, n->ai_ttl);
        }
        // A CNAME's TTL bounds the answer it led to.
        for (ares_addrinfo_cname* c = res->cnames; c != nullptr; c = c->next) {
            ttl = std::min<long>(ttl, c->ttl);
        }
        if (!r.addresses.empty()) {
            r.status = Resolution::Status::found;
            // /etc/hosts answers carry TTL 0: not cached, so an edit applies at once.
            ttl_ms = ttl > 0 ? static_cast<std::uint64_t>(ttl) * 1000u : 0;
            return r;
        }
        status = ARES_ENODATA;
    }
    r.status = Resolution::Status::failed;
    switch (status) {
        case ARES_ENOTFOUND:
            r.cause = Cause::no_such_host;
            r.detail = "NXDOMAIN from " + servers_;
            break;
        case ARES_ENODATA:
            r.cause = Cause::no_such_host;
            r.detail = "no A or AAAA record at " + servers_;
            break;
        case ARES_ETIMEOUT:
            r.cause = Cause::resolver_timed_out;
            r.detail = servers_ + ", " + std::to_string(config_.options.tries) + " tries of " +
                       std::to_string(config_.options.query_timeout.count()) + " ms and more";
            break;
        case ARES_ESERVFAIL:
            r.cause = Cause::resolver_failed;
            r.detail = "SERVFAIL from " + servers_;
            break;
        case ARES_EREFUSED:
            r.cause = Cause::resolver_failed;
            r.detail = "REFUSED from " + servers_;
            break;
        case ARES_ECONNREFUSED:
            r.cause = Cause::resolver_failed;
            r.detail = "no DNS server could be reached: " + servers_;
            break;
        case ARES_EBADNAME:
            r.cause = Cause::invalid_address;
            r.detail = "not a host name";
            break;
        default:
            r.cause = Cause::resolver_failed;
            r.detail = std::string(ares_strerror(status)) + " (" + servers_ + ")";
            break;
    }
    if (r.cause == Cause::no_such_host) {
        ttl_ms = static_cast<std::uint64_t>(config_.options.negative_ttl.count()) * 1000u;
    }
    return r;
}

void Resolver::on_answer(void* arg, int status, int, ares_addrinfo* res) {
    auto* p = static_cast<PendingLookup*>(arg);
    if (status == ARES_EDESTRUCTION) {  // ~Resolver: nobody is left to tell
        if (res != nullptr) ares_freeaddrinfo(res);
        return;
    }
    Resolver& r = *p->resolver;
    std::uint64_t ttl_ms = 0;
    Resolution out = r.resolution_of(status, res, ttl_ms);
    if (res != nullptr) ares_freeaddrinfo(res);
    if (ttl_ms > 0) {
        DnsAnswer a;
        if (out.status == Resolution::Status::found) {
            a.addresses = out.addresses;
        } else {
            a.detail = out.detail;
        }
        r.cache_.store(p->key, std::move(a), r.worker_.now_ms(), ttl_ms);
    }
    auto node = r.pending_.extract(p->key);  // owns `p` until this returns
    for (Lookup* l : p->waiters) l->finish(out);
}

// ---------------------------------------------------------------------------------------------
// Driving c-ares from the worker

void Resolver::rearm_timer() noexcept {
    if (channel_ == nullptr) return;
    timeval tv{};
    timeval* next = ares_timeout(channel_, nullptr, &tv);
    if (next == nullptr) {
        timer_.cancel();
        return;
    }
    auto ms = static_cast<std::uint64_t>(next->tv_sec) * 1000u +
              static_cast<std::uint64_t>(next->tv_usec + 999) / 1000u;
    timer_.arm(std::max<std::uint64_t>(ms, 1));
}

void Resolver::on_timer(detail::TimerNode* n) {
    Resolver& r = *static_cast<Timer*>(n)->self;
    if (r.channel_ != nullptr) ares_process_fd(r.channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    r.after_ares_call();
}

void Resolver::after_ares_call() {
    // Wake the write pumps of sockets c-ares now has something to write on. Not from inside
    // c-ares (sock_state runs there): a pump calls back into it.
    std::vector<int> wake;
    for (auto& [fd, s] : sockets_) {
        if (s->want_write && s->write_wanted.waiting()) wake.push_back(fd);
    }
    for (int fd : wake) {
        if (Socket* s = find(fd)) s->write_wanted.wake();
    }
    rearm_timer();
}

Resolver::Socket* Resolver::find(int fd) noexcept {
    auto it = sockets_.find(fd);
    return it == sockets_.end() ? nullptr : it->second.get();
}

Task<void> Resolver::read_pump(Socket& s) {
    while (!s.closed) {
        co_await io::Readable{s.state};
        // Edge-triggered: read until c-ares met EAGAIN (sock_recvfrom clears the flag), or
        // stops reading (a socket it no longer wants). Bounded, so one socket cannot starve
        // the worker; the flag still set brings us back here next time round.
        for (int round = 0; round < 16 && s.state.readable && !s.closed; ++round) {
            unsigned before = s.recv_calls;
            ares_process_fd(channel_, s.state.fd, ARES_SOCKET_BAD);
            if (s.closed) break;
            if (s.recv_calls == before) s.state.readable = false;
        }
        if (s.closed) co_return;  // `s` stays alive until the end of this loop iteration
        after_ares_call();
    }
}

Task<void> Resolver::write_pump(Socket& s) {
    for (;;) {
        if (s.closed) co_return;
        if (!s.want_write) {
            co_await s.write_wanted.wait();
            continue;
        }
        if (!s.state.writable) {
            co_await io::Writable{s.state};
            continue;
        }
        unsigned before = s.send_calls;
        ares_process_fd(channel_, ARES_SOCKET_BAD, s.state.fd);
        if (s.closed) co_return;
        if (s.send_calls == before) s.state.writable = false;  // nothing went: wait for an edge
        after_ares_call();
    }
}

void Resolver::on_sock_state(void* data, int fd, int, int writable) {
    auto* r = static_cast<Resolver*>(data);
    if (Socket* s = r->find(fd)) s->want_write = writable != 0;
}

int Resolver::sock_open(int domain, int type, int protocol, void* self) {
    auto* r = static_cast<Resolver*>(self);
    int fd = ::socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
    if (fd < 0) return ARES_SOCKET_BAD;
    if (type == SOCK_STREAM) {
        int one = 1;  // one query, one answer: Nagle would only delay it
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    auto s = std::make_unique<Socket>();
    s->state.fd = fd;
    try {
        r->worker_.watch(s->state);
    } catch (const std::exception& e) {
        GANNET_LOG(LogLevel::error, "resolver: cannot watch a DNS socket: %s", e.what());
        io::close_fd(fd);
        errno = ENOMEM;
        return ARES_SOCKET_BAD;
    }
    // Both pumps park at once (nothing is readable yet, nothing to write): no c-ares call
    // happens inside this one.
    s->reader = r->read_pump(*s);
    s->writer = r->write_pump(*s);
    s->reader.start();
    s->writer.start();
    r->sockets_.emplace(fd, std::move(s));
    return fd;
}

int Resolver::sock_close(int fd, void* self) {
    auto* r = static_cast<Resolver*>(self);
    auto it = r->sockets_.find(fd);
    if (it == r->sockets_.end()) {
        io::close_fd(fd);
        return 0;
    }
    std::unique_ptr<Socket> s = std::move(it->second);
    r->sockets_.erase(it);
    s->closed = true;
    r->worker_.close(s->state);  // forgets the pumps' handles, closes the fd
    // A pump may be running (this close comes from its ares_process_fd) and the poller's
    // batch may still hold a report for the fd: free the socket after the batch.
    r->worker_.destroy_after_batch(std::move(s));
    return 0;
}

int Resolver::sock_connect(int fd, const sockaddr* addr, socklen_t len, void*) {
    int rc;
    do {
        rc = ::connect(fd, addr, len);
    } while (rc != 0 && errno == EINTR);
    return rc;
}

ssize_t Resolver::sock_recvfrom(int fd, void* buf, std::size_t len, int flags, sockaddr* from,
                                socklen_t* from_len, void* self) {
    Socket* s = static_cast<Resolver*>(self)->find(fd);
    if (s != nullptr) ++s->recv_calls;
    ssize_t n;
    do {
        n = ::recvfrom(fd, buf, len, flags, from, from_len);
    } while (n < 0 && errno == EINTR);
    // EAGAIN: drained. Another error (ICMP port unreachable on UDP, a reset on TCP): c-ares
    // closes the socket, and if it did not, the next edge brings us back; never a busy loop.
    if (n < 0 && s != nullptr) s->state.readable = false;
    return n;
}

ssize_t Resolver::sock_sendv(int fd, const iovec* iov, int count, void* self) {
    Socket* s = static_cast<Resolver*>(self)->find(fd);
    if (s != nullptr) ++s->send_calls;
    msghdr msg{};
    msg.msg_iov = const_cast<iovec*>(iov);
    msg.msg_iovlen = static_cast<std::size_t>(count);
    ssize_t n;
    do {
        n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && s != nullptr) {
        s->state.writable = false;
    }
    return n;
}

}  // namespace gannet::net
