// HttpClient (gannet/client.hpp): a request's way through the pools, its retry and its
// redirects; forward() and take_upgraded() for the proxy (clients/proxy_support.hpp).
#include "clients/client_error.hpp"
#include "clients/client_exchange.hpp"
#include "clients/pool.hpp"
#include "clients/proxy_support.hpp"

#include <gannet/client.hpp>
#include <gannet/http_types.hpp>

#include <atomic>

namespace gannet {

using clients::fail;
using detail::ClientExchange;

namespace {

std::atomic<std::uint64_t> g_next_client_id{1};

// RFC 9110 9.2.2.
bool is_idempotent(std::string_view m) noexcept {
    return m == "GET" || m == "HEAD" || m == "OPTIONS" || m == "PUT" || m == "DELETE" ||
           m == "TRACE";
}

bool is_token(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        const bool alnum =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && std::string_view("!#$%&'*+-.^_`|~").find(ch) == std::string_view::npos) {
            return false;
        }
    }
    return true;
}

std::uint64_t ms(std::chrono::milliseconds d) noexcept {
    return d.count() <= 0 ? 0 : static_cast<std::uint64_t>(d.count());
}

// A reference on a pool for the length of a request.
struct PoolRef {
    clients::OriginPool* p = nullptr;
    explicit PoolRef(clients::OriginPool* pool) noexcept : p(pool) {}
    PoolRef(const PoolRef&) = delete;
    PoolRef& operator=(const PoolRef&) = delete;
    ~PoolRef() {
        if (p != nullptr) p->unref();
    }
};

// This worker's pool for `origin`; a pool of its own (which keeps nothing) while the worker
// drains.
clients::OriginPool* pool_for(const std::shared_ptr<detail::ClientShared>& shared,
                              const clients::Origin& origin) {
    clients::WorkerPools* wp = clients::WorkerPools::here();
    clients::OriginPool* p = wp != nullptr ? &wp->client(shared).pool(origin)
                                           : new clients::OriginPool(shared, origin, nullptr);
    p->ref();
    return p;
}

struct Resolved {
    std::uint64_t connect_ms;
    ClientExchange::Limits limits;
    int max_redirects;
};

Resolved resolve(const ClientOptions& o, const RequestOptions& r) {
    Resolved v{};
    v.connect_ms = ms(r.connect_timeout.value_or(o.connect_timeout));
    v.limits.head_ms = ms(r.head_timeout.value_or(o.head_timeout));
    v.limits.io_ms = ms(r.io_timeout.value_or(o.io_timeout));
    const std::uint64_t total = ms(r.total_timeout.value_or(o.total_timeout));
    v.limits.total_deadline_ms = total == 0 ? 0 : io::Worker::current()->now_ms() + total;
    v.limits.max_text = o.max_text_bytes;
    v.max_redirects = std::max(0, r.max_redirects.value_or(o.max_redirects));
    return v;
}

http::ParserLimits parser_limits(const ClientOptions& o) noexcept {
    http::ParserLimits l;
    l.max_header_bytes = o.max_header_bytes;
    l.max_headers = o.max_headers;
    return l;
}

// Sends `out` through the pool of `x`'s origin. Retried once, on a new connection, when it met
// a reused connection the server had closed and the method is idempotent (RFC 9110 9.2.2;
// RFC 9112 9.3.1 lets a client retry those automatically).
Task<void> exchange(const std::shared_ptr<detail::ClientShared>& shared, ClientExchange& x,
                    const ClientExchange::Outgoing& out, std::uint64_t connect_ms,
                    std::uint64_t total_deadline_ms) {
    PoolRef ref{pool_for(shared, x.parsed_url().origin)};
    clients::OriginPool& pool = *ref.p;
    const bool may_retry = shared->options.retry_idempotent && is_idempotent(out.method);
    for (int attempt = 0;; ++attempt) {
        if (clients::Counters* k = pool.counters()) k->requests.bump();
        clients::AcquireContext ctx;
        ctx.request = x.request();
        ctx.connect_timeout_ms = connect_ms;
        ctx.total_deadline_ms = total_deadline_ms;
        ctx.fresh_only = attempt > 0;
        clients::Lease lease = co_await pool.acquire(ctx);
        bool retry = false;
        try {
            co_await x.run(std::move(lease), out);
        } catch (const ClientError& e) {
            retry = attempt == 0 && may_retry && x.retryable(e.kind());
            if (!retry) throw;
        }
        if (!retry) co_return;
        if (clients::Counters* k = pool.counters()) k->retries.bump();
        x.reset_for_retry();
    }
}

bool is_redirect(int status) noexcept {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

}  // namespace

HttpClient::HttpClient(ClientOptions options) : shared_(std::make_shared<detail::ClientShared>()) {
    shared_->options = options;
    shared_->id = g_next_client_id.fetch_add(1, std::memory_order_relaxed);
    shared_->connector = clients::default_connector();
}

HttpClient::~HttpClient() {
    // Each worker closes this client's pools itself (their streams are registered there). A
    // worker being destroyed meanwhile waits on the mutex to leave the registry, so every
    // worker posted to here is alive.
    std::lock_guard lock(shared_->mutex);
    for (auto& [worker, pools] : shared_->pools) {
        worker->post([id = shared_->id] { clients::WorkerPools::drop_here(id); });
    }
}

const ClientOptions& HttpClient::options() const noexcept {
    return shared_->options;
}

ClientStats HttpClient::stats() const {
    ClientStats s;
    std::lock_guard lock(shared_->mutex);
    for (auto& [worker, pools] : shared_->pools) {
        const clients::Counters& k = pools->counters;
        s.requests += k.requests.get();
        s.connects += k.connects.get();
        s.reuses += k.reuses.get();
        s.discarded += k.discarded.get();
        s.retries += k.retries.get();
        s.idle_closed += k.idle_closed.get();
    }
    return s;
}

Task<ClientResponse> HttpClient::get(std::string url, RequestOptions options) {
    ClientRequest rq;
    rq.url = std::move(url);
    rq.options = options;
    return request(std::move(rq));
}

Task<ClientResponse> HttpClient::request(ClientRequest rq) {
    const std::shared_ptr<detail::ClientShared> shared = shared_;
    const ClientOptions& o = shared->options;
    std::string method = std::move(rq.method);
    clients::Url url;
    const std::string_view bad = clients::parse_url(rq.url, url);
    std::string desc = method + " " + (bad.empty() ? url.text : rq.url);
    if (io::Worker::current() == nullptr) {
        fail(ClientErrorKind::invalid_request, desc, "HttpClient used off a worker thread");
    }
    if (!bad.empty()) fail(ClientErrorKind::invalid_request, desc, bad);
    if (!is_token(method)) fail(ClientErrorKind::invalid_request, desc, "invalid method");
    if (method == "CONNECT")
        fail(ClientErrorKind::invalid_request, desc, "CONNECT is not supported");
    if (!rq.body.empty() && rq.stream.next) {
        fail(ClientErrorKind::invalid_request, desc, "both a body and a body stream");
    }
    const Resolved r = resolve(o, rq.options);
    for (int redirects = 0;; ++redirects) {
        auto x = std::make_unique<ClientExchange>(desc, url, r.limits, parser_limits(o));
        ClientExchange::Outgoing out;
        out.method = method;
        out.target = url.target;
        out.authority = url.origin.authority;
        out.fields = &rq.headers;
        out.body = rq.body;
        out.stream = rq.stream.next ? &rq.stream : nullptr;
        co_await exchange(shared, *x, out, r.connect_ms, r.limits.total_deadline_ms);

        const int status = x->status();
        const std::optional<std::string_view> location = x->headers().get("location");
        if (r.max_redirects == 0 || !is_redirect(status) || !location) {
            co_return ClientResponse(std::move(x));
        }
        if (redirects == r.max_redirects) {
            fail(ClientErrorKind::too_many_redirects, desc,
                 "more than " + std::to_string(r.max_redirects));
        }
        // RFC 9110 15.4: 303 turns the method into GET (HEAD stays HEAD); 301 and 302 turn a
        // POST into GET, as every browser and Go's client do; 307 and 308 keep method and
        // body, which a streamed body cannot give twice: that 3xx is then the answer.
        const bool to_get =
            status == 303 ? method != "HEAD" : (status == 301 || status == 302) && method == "POST";
        if (!to_get && rq.stream.next) co_return ClientResponse(std::move(x));
        const std::string next = clients::resolve_location(url, *location);
        clients::Url next_url;
        if (const std::string_view why = clients::parse_url(next, next_url); !why.empty()) {
            fail(ClientErrorKind::invalid_request, desc,
                 "redirect to '" + std::string(*location) + "': " + std::string(why));
        }
        // The 3xx's body: read and dropped when short, so that its connection is reused.
        if (x->body_small(64 * 1024)) {
            while (auto piece = co_await x->read_body()) (void)piece;
        }
        x.reset();
        if (to_get) {
            method = "GET";
            rq.body.clear();
            rq.stream = {};
            rq.headers.remove("content-type");
            rq.headers.remove("content-encoding");
            rq.headers.remove("content-language");
        }
        if (next_url.origin.key != url.origin.key) {
            // Credentials and an explicit Host were meant for the first origin (Go and curl
            // drop them too).
            rq.headers.remove("authorization");
            rq.headers.remove("proxy-authorization");
            rq.headers.remove("cookie");
            rq.headers.remove("host");
        }
        url = std::move(next_url);
        desc = method + " " + url.text;
    }
}

namespace clients {

Task<ClientResponse> forward(HttpClient& client, const Url& upstream, ForwardRequest request) {
    const std::shared_ptr<detail::ClientShared> shared = client.shared();
    const ClientOptions& o = shared->options;
    Url url;
    url.origin = upstream.origin;
    url.target.assign(request.target);
    url.text = "http://" + url.origin.authority + url.target;
    std::string desc(request.method);
    desc += ' ';
    desc += url.text;
    if (io::Worker::current() == nullptr) {
        fail(ClientErrorKind::invalid_request, desc, "HttpClient used off a worker thread");
    }
    const Resolved r = resolve(o, request.options);
    auto x = std::make_unique<ClientExchange>(std::move(desc), std::move(url), r.limits,
                                              parser_limits(o));
    ClientExchange::Outgoing out;
    out.method = request.method;
    out.target = request.target;
    out.authority = upstream.origin.authority;
    out.fields = request.added;
    out.forwarded = request.headers;
    out.stream = request.body.next ? &request.body : nullptr;
    co_await exchange(shared, *x, out, r.connect_ms, r.limits.total_deadline_ms);
    co_return ClientResponse(std::move(x));
}

Upgraded take_upgraded(ClientResponse& response) {
    Upgraded u;
    if (detail::ClientExchange* x = response.exchange()) {
        ClientExchange::Upgraded taken = x->take_upgraded();
        u.stream = std::move(taken.stream);
        u.buffered = std::move(taken.buffered);
    }
    return u;
}

void set_connector(HttpClient& client, Connector connector) {
    client.shared()->connector = std::move(connector);
}

}  // namespace clients
}  // namespace gannet
