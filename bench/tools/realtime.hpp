// realtime.hpp: the code that bench/tools/wsbench.cpp and bench/tools/ssebench.cpp share: one
// single-threaded epoll loop that opens many WebSocket or SSE client connections (raising
// RLIMIT_NOFILE, spreading them over source addresses 127.0.0.1..127.0.0.16 so that 10 000 of them
// never run out of ephemeral ports), their bookkeeping (Conns: handshakes in flight, pending output
// flushed with EPOLLOUT watched only while some is left, failures counted and closed), the options
// both take, an HTTP/1.1 keep-alive publisher that POSTs at a fixed rate or as fast as a window
// allows, the warm-up + measured window loop, and a log-linear latency histogram (the same as
// loadgen's).
//
// Output protocol (the same as loadgen, so the harness samples the server's CPU at the marks):
// "measure-start" when the warm-up ends, "measure-end" when the measured window ends, then one
// JSON line. Deliveries and latencies count only when they arrive inside the measured window.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace rt {

// The options both tools take, as "--name value" pairs (a tool with more derives from it and
// defines set() for its own, falling back to this one). Each tool sets its own defaults.
struct Options {
    int port = 0;
    std::string path;
    std::string publish_path;
    std::size_t connections = 64;
    std::size_t size = 64;
    double rate = 0;
    std::size_t window = 4;
    double duration = 5;
    double warmup = 1;
    double connect_timeout = 60;

    // Sets option `name` (with its dashes) to `v`; false if there is no such option.
    bool set(std::string_view name, const std::string& v) {
        if (name == "--port")
            port = std::atoi(v.c_str());
        else if (name == "--path")
            path = v;
        else if (name == "--publish-path")
            publish_path = v;
        else if (name == "--connections")
            connections = std::strtoull(v.c_str(), nullptr, 10);
        else if (name == "--size")
            size = std::strtoull(v.c_str(), nullptr, 10);
        else if (name == "--rate")
            rate = std::atof(v.c_str());
        else if (name == "--window")
            window = std::strtoull(v.c_str(), nullptr, 10);
        else if (name == "--duration")
            duration = std::atof(v.c_str());
        else if (name == "--warmup")
            warmup = std::atof(v.c_str());
        else if (name == "--connect-timeout")
            connect_timeout = std::atof(v.c_str());
        else
            return false;
        return true;
    }
    bool valid() const { return port > 0 && connections > 0 && window > 0; }
};

// Reads argv into o (o.set for each pair); usage() on an unknown option or a missing value.
template <class O, class Usage>
void parse_options(int argc, char** argv, O& o, Usage&& usage) {
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc || !o.set(argv[i], argv[i + 1])) usage();
    }
}

inline std::int64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// Log-linear buckets in the manner of HdrHistogram: exact below 1024 ns, then 512 linear
// sub-buckets per power of two (better than 0.2% relative precision). Shared by every tool.
class Histogram {
  public:
    Histogram() : counts_(1024 + 54 * 512, 0) {}
    void record(std::int64_t v) {
        if (v < 0) v = 0;
        ++counts_[index(static_cast<std::uint64_t>(v))];
        ++total_;
        sum_ += static_cast<double>(v);
        max_ = std::max(max_, v);
    }
    std::uint64_t total() const { return total_; }
    double mean() const { return total_ ? sum_ / static_cast<double>(total_) : 0.0; }
    std::int64_t max() const { return max_; }
    // The value at percentile p (0..100): the midpoint of the bucket holding it.
    double percentile(double p) const {
        if (total_ == 0) return 0.0;
        auto rank = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(total_)));
        rank = std::clamp<std::uint64_t>(rank, 1, total_);
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < counts_.size(); ++i) {
            seen += counts_[i];
            if (seen >= rank) return std::min(midpoint(i), static_cast<double>(max_));
        }
        return static_cast<double>(max_);
    }

  private:
    static std::size_t index(std::uint64_t v) {
        if (v < 1024) return static_cast<std::size_t>(v);
        int msb = 63 - __builtin_clzll(v);
        int shift = msb - 9;
        return 1024 + static_cast<std::size_t>(shift - 1) * 512 + ((v >> shift) - 512);
    }
    static double midpoint(std::size_t i) {
        if (i < 1024) return static_cast<double>(i);
        std::size_t shift = (i - 1024) / 512 + 1;
        std::uint64_t low = (((i - 1024) % 512) + 512) << shift;
        return static_cast<double>(low) +
               static_cast<double>((std::uint64_t{1} << shift) - 1) / 2.0;
    }
    std::vector<std::uint64_t> counts_;
    std::uint64_t total_ = 0;
    double sum_ = 0;
    std::int64_t max_ = 0;
};

inline void raise_nofile(std::size_t want) {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
    rlim_t target = std::max<rlim_t>(rl.rlim_cur, static_cast<rlim_t>(want));
    if (rl.rlim_max != RLIM_INFINITY) target = std::min(target, rl.rlim_max);
    rl.rlim_cur = target;
    setrlimit(RLIMIT_NOFILE, &rl);
}

// A non-blocking TCP connection to 127.0.0.1:port from source address 127.0.0.(1 + i % 16).
inline int connect_to(int port, std::size_t i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
#ifdef IP_BIND_ADDRESS_NO_PORT
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
#endif
    sockaddr_in src{};
    src.sin_family = AF_INET;
    src.sin_addr.s_addr = htonl(0x7f000001u + static_cast<std::uint32_t>(i % 16));
    bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src);  // failure: the kernel picks
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_port = htons(static_cast<std::uint16_t>(port));
    dst.sin_addr.s_addr = htonl(0x7f000001u);
    if (connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

struct Errors {
    std::uint64_t connect = 0, handshake = 0, closed = 0, protocol = 0, publish = 0;
    std::uint64_t total() const { return connect + handshake + closed + protocol + publish; }
};

// "<seq> <ns>" at the start of a payload (ASCII, so valid UTF-8 in a text frame or an SSE event).
inline std::string stamp_payload(std::uint64_t seq, std::int64_t ns, std::size_t size) {
    char head[48];
    int n = std::snprintf(head, sizeof head, "%" PRIu64 " %" PRId64 " ", seq, ns);
    std::string s(head, static_cast<std::size_t>(n));
    if (s.size() < size) s.append(size - s.size(), 'x');
    return s;
}

inline bool parse_stamp(std::string_view p, std::uint64_t& seq, std::int64_t& ns) {
    char buf[48];
    std::size_t n = std::min(p.size(), sizeof buf - 1);
    std::memcpy(buf, p.data(), n);
    buf[n] = 0;
    char* end = nullptr;
    seq = std::strtoull(buf, &end, 10);
    if (end == buf || *end != ' ') return false;
    char* end2 = nullptr;
    ns = std::strtoll(end + 1, &end2, 10);
    return end2 != end + 1;
}

// Fan-out bookkeeping: how many subscribers got publish `seq`, for the --rate 0 window.
struct Deliveries {
    static constexpr std::size_t kRing = 4096;
    std::vector<std::uint32_t> got = std::vector<std::uint32_t>(kRing, 0);
    std::vector<std::int64_t> sent = std::vector<std::int64_t>(kRing, 0);
    std::uint64_t oldest = 0;  // first publish not yet fully delivered (nor timed out)

    void on_publish(std::uint64_t seq, std::int64_t t) {
        got[seq % kRing] = 0;
        sent[seq % kRing] = t;
    }
    void on_delivery(std::uint64_t seq) {
        if (seq >= oldest && seq < oldest + kRing) ++got[seq % kRing];
    }
    // Publishes still in delivery (a publish counts as done when every subscriber has it, or
    // after a second).
    std::uint64_t pending(std::uint64_t published, std::uint32_t subscribers, std::int64_t now) {
        while (oldest < published &&
               (got[oldest % kRing] >= subscribers || now - sent[oldest % kRing] > 1'000'000'000)) {
            ++oldest;
        }
        return published - oldest;
    }
};

// The HTTP/1.1 publisher: one keep-alive connection, one POST in flight. Each POST's body is a
// stamp "<seq> <scheduled ns>" padded to `size`: with --rate R publish k is scheduled at
// start + k/R and stamped with that time (a late POST is charged its lateness: no coordinated
// omission); with --rate 0 it is sent as soon as fewer than `window` publishes are still being
// delivered (as fast as the subscribers receive them) and stamped with the send time.
struct Publisher {
    static constexpr std::uint64_t kPublisher = ~std::uint64_t{0};  // its epoll data
    int port = 0;
    std::string path;
    std::size_t size = 64;
    double rate = 0;
    std::size_t window = 4;
    int fd = -1;
    bool in_flight = false;
    std::string out, in;
    std::uint64_t next_seq = 0;  // publishes sent
    std::uint64_t answered = 0;
    std::int64_t start = 0;
    Errors* errors = nullptr;
    Deliveries deliveries;
    std::uint64_t published_in_window = 0;

    // POSTs to o.publish_path; a failed publish is counted in errors.publish.
    Publisher(const Options& o, Errors& e)
        : port(o.port),
          path(o.publish_path),
          size(o.size),
          rate(o.rate),
          window(o.window),
          errors(&e) {}

    // Sends the next publish if it is due (see above; `subscribers` are the open ones) and
    // counts it if it is sent at or after `window_start`.
    void publish_due(std::int64_t now, std::uint32_t subscribers, std::int64_t window_start) {
        if (fd < 0 || in_flight) return;
        std::int64_t stamp = now;
        if (rate > 0) {
            if (due_at() > now) return;
            stamp = due_at();
        } else if (deliveries.pending(next_seq, subscribers, now) >= window) {
            return;
        }
        deliveries.on_publish(next_seq, now);
        if (now >= window_start) ++published_in_window;
        send(stamp);
    }

    bool open(int epfd) {
        fd = connect_to(port, 0);
        if (fd < 0) return false;
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT;
        ev.data.u64 = kPublisher;
        return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == 0;
    }
    // Is publish number next_seq due? (rate mode)
    std::int64_t due_at() const {
        return start + static_cast<std::int64_t>(static_cast<double>(next_seq) * 1e9 / rate);
    }
    void send(std::int64_t stamp_ns) {
        std::string body = stamp_payload(next_seq, stamp_ns, size);
        char head[256];
        int n = std::snprintf(head, sizeof head,
                              "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
                              "Content-Length: %zu\r\n\r\n",
                              path.c_str(), body.size());
        out.append(head, static_cast<std::size_t>(n));
        out += body;
        ++next_seq;
        in_flight = true;
        flush();
    }
    void flush() {
        while (!out.empty()) {
            ssize_t w = ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
            if (w < 0) {
                if (errno == EAGAIN || errno == ENOTCONN) return;
                ++errors->publish;
                return;
            }
            out.erase(0, static_cast<std::size_t>(w));
        }
    }
    // An epoll event on the publisher's connection (its epoll data is kPublisher): a broken
    // connection is counted and closed; EPOLLOUT is watched only while a request is unwritten.
    void on_event(int epfd, std::uint32_t events) {
        if (!on_ready(events)) {
            ++errors->publish;
            epoll_ctl(epfd, EPOLL_CTL_DEL, fd, nullptr);
            close(fd);
            fd = -1;
        } else if (out.empty()) {
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.u64 = kPublisher;
            epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
        }
    }
    // Returns false when the connection broke.
    bool on_ready(std::uint32_t events) {
        if (events & EPOLLOUT) flush();
        if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) return true;
        char buf[4096];
        while (true) {
            ssize_t r = ::recv(fd, buf, sizeof buf, 0);
            if (r > 0) {
                in.append(buf, static_cast<std::size_t>(r));
                continue;
            }
            if (r < 0 && errno == EAGAIN) break;
            return false;
        }
        while (true) {  // whole responses: status line, Content-Length (or none: 204)
            auto end = in.find("\r\n\r\n");
            if (end == std::string::npos) break;
            std::size_t clen = 0;
            std::string head = in.substr(0, end);
            for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            auto cl = head.find("content-length:");
            if (cl != std::string::npos) clen = std::strtoull(head.c_str() + cl + 15, nullptr, 10);
            if (head.find("transfer-encoding: chunked") != std::string::npos) {
                auto z = in.find("0\r\n\r\n", end + 4);
                if (z == std::string::npos) break;
                clen = z + 5 - (end + 4);
            }
            if (in.size() < end + 4 + clen) break;
            if (!(head.starts_with("http/1.1 2") || head.starts_with("http/1.0 2")))
                ++errors->publish;
            in.erase(0, end + 4 + clen);
            ++answered;
            in_flight = false;
        }
        return true;
    }
};

// One client connection of wsbench or ssebench. A tool with more per-connection state derives
// from it.
struct Conn {
    int fd = -1;
    int state = 0;  // 0 request sent, answer not complete yet; 1 open; 2 dead
    std::string in;
    std::string out;  // what is still to be written
    bool watching_out = true;
};

// A tool's client connections on its epoll instance (the epoll data of connection i is i): opening
// them, at most 256 handshakes at a time (each that ends, either way, starts the next one); writing
// their pending output on the non-blocking socket, with EPOLLOUT watched only while some is left;
// reading; and closing one that failed, counted in the error counter given (only while `running`,
// or during the handshake).
template <class C>
class Conns {
  public:
    std::vector<C> all;
    std::size_t next = 0, handshaking = 0, open = 0;

    // `request`: written on each connection when it is opened (the GET that starts the stream).
    Conns(std::size_t n, int epfd, int port, std::string request, Errors& errors,
          const bool& running)
        : all(n),
          epfd_(epfd),
          port_(port),
          request_(std::move(request)),
          errors_(errors),
          running_(running) {}

    // The connect phase: opens every connection, polling (poll(10) waits 10 ms at most) until each
    // has been answered or failed, or until `timeout_s`. Returns the seconds it took.
    template <class Poll>
    double connect_all(double timeout_s, Poll&& poll) {
        std::int64_t t0 = now_ns();
        std::int64_t deadline = t0 + static_cast<std::int64_t>(timeout_s * 1e9);
        while (next < all.size() && handshaking < 256) start(next++);
        while ((handshaking > 0 || next < all.size()) && now_ns() < deadline) poll(10);
        return static_cast<double>(now_ns() - t0) / 1e9;
    }

    void start(std::size_t i) {
        C& c = all[i];
        c.fd = connect_to(port_, i);
        if (c.fd < 0) {
            ++errors_.connect;
            c.state = 2;
            return;
        }
        ++handshaking;
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT;
        ev.data.u64 = i;
        epoll_ctl(epfd_, EPOLL_CTL_ADD, c.fd, &ev);
        c.out = request_;
    }

    // The handshake of connection i was answered: it is open, and the next one starts.
    void opened(std::size_t i) {
        all[i].state = 1;
        --handshaking;
        ++open;
        if (next < all.size()) start(next++);
    }

    void fail(std::size_t i, std::uint64_t& counter) {
        C& c = all[i];
        if (c.state == 2) return;
        if (c.state == 0) {
            --handshaking;
            if (next < all.size()) start(next++);
        } else {
            --open;
        }
        if (running_ || c.state == 0) ++counter;
        c.state = 2;
        epoll_ctl(epfd_, EPOLL_CTL_DEL, c.fd, nullptr);
        close(c.fd);
        c.fd = -1;
    }

    void flush(std::size_t i) {
        C& c = all[i];
        while (!c.out.empty()) {
            ssize_t w = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
            if (w < 0) {
                if (errno == EAGAIN || errno == ENOTCONN) break;
                fail(i, errors_.closed);
                return;
            }
            c.out.erase(0, static_cast<std::size_t>(w));
        }
        watch_out(i, !c.out.empty());
    }

    // An epoll event on connection i: writes what is pending, reads what arrived and hands it to
    // parse(i) (false: the connection is gone), fails the connection at EOF, writes what parse
    // queued.
    template <class Parse>
    void on_event(std::size_t i, std::uint32_t ev, Parse&& parse) {
        C& c = all[i];
        if (c.state == 2) return;
        if (ev & EPOLLOUT) {
            flush(i);
            if (c.state == 2) return;
        }
        if (!(ev & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
        bool eof = read_all(c);
        if (!parse(i)) return;
        if (eof) {
            fail(i, c.state == 0 ? errors_.connect : errors_.closed);
            return;
        }
        if (!c.out.empty()) flush(i);
    }

    // One epoll_wait of at most timeout_ms: each event goes to its connection (on_event, with
    // parse) or to the publisher.
    template <class Parse>
    void poll(int timeout_ms, Publisher& pub, Parse&& parse) {
        epoll_event evs[512];
        int n = epoll_wait(epfd_, evs, 512, timeout_ms);
        for (int k = 0; k < n; ++k) {
            std::uint64_t id = evs[k].data.u64;
            if (id == Publisher::kPublisher) {
                pub.on_event(epfd_, evs[k].events);
            } else {
                on_event(static_cast<std::size_t>(id), evs[k].events, parse);
            }
        }
    }

    void close_all() {
        for (auto& c : all) {
            if (c.fd >= 0) close(c.fd);
            c.fd = -1;
        }
    }

  private:
    void watch_out(std::size_t i, bool on) {
        C& c = all[i];
        if (c.watching_out == on) return;
        c.watching_out = on;
        epoll_event ev{};
        ev.events = EPOLLIN | (on ? EPOLLOUT : 0u);
        ev.data.u64 = i;
        epoll_ctl(epfd_, EPOLL_CTL_MOD, c.fd, &ev);
    }

    // Appends what the socket has to c.in; true at EOF or on an error.
    static bool read_all(C& c) {
        static char buf[256 * 1024];
        while (true) {
            ssize_t r = ::recv(c.fd, buf, sizeof buf, 0);
            if (r > 0) {
                c.in.append(buf, static_cast<std::size_t>(r));
                if (static_cast<std::size_t>(r) < sizeof buf) return false;
                continue;
            }
            return !(r < 0 && errno == EAGAIN);
        }
    }

    int epfd_;
    int port_;
    std::string request_;
    Errors& errors_;
    const bool& running_;
};

inline void print_json(const char* mode, std::size_t asked, std::size_t open, double connect_s,
                       std::uint64_t delivered, double seconds, const Histogram& h, const Errors& e,
                       std::uint64_t published, const std::string& extra) {
    auto us = [&](double p) { return h.percentile(p) / 1000.0; };
    std::printf(
        "{\"mode\": \"%s\", \"connections\": %zu, \"open\": %zu, \"connect_s\": %.3f, "
        "\"completed\": %" PRIu64
        ", \"duration_s\": %.4f, \"achieved_rate\": %.1f, \"published\": %" PRIu64
        ", "
        "\"latency_us\": {\"p50\": %.1f, \"p90\": %.1f, \"p99\": %.1f, \"p999\": %.1f, \"max\": "
        "%.1f, "
        "\"samples\": %" PRIu64
        "}, "
        "\"errors\": {\"connect\": %" PRIu64 ", \"handshake\": %" PRIu64 ", \"closed\": %" PRIu64
        ", \"protocol\": %" PRIu64 ", \"publish\": %" PRIu64 ", \"total\": %" PRIu64 "}%s}\n",
        mode, asked, open, connect_s, delivered, seconds,
        seconds > 0 ? static_cast<double>(delivered) / seconds : 0.0, published, us(50), us(90),
        us(99), us(99.9), static_cast<double>(h.max()) / 1000.0, h.total(), e.connect, e.handshake,
        e.closed, e.protocol, e.publish, e.total(), extra.c_str());
    std::fflush(stdout);
}

inline void mark(const char* what) {
    std::printf("%s\n", what);
    std::fflush(stdout);
}

// The warm-up and the measured window [ms, me) (now_ns() times): prints "measure-start" when the
// warm-up ends and "measure-end" when the window does. Until then it calls tick(now) (publish what
// is due) and poll(timeout_ms), which waits at most until the next mark, 100 ms, or, when `pub`
// publishes at a rate and has no POST in flight, its next publish.
template <class Tick, class Poll>
void run_window(std::int64_t ms, std::int64_t me, const Publisher* pub, Tick&& tick, Poll&& poll) {
    bool started = false;
    while (true) {
        std::int64_t now = now_ns();
        if (!started && now >= ms) {
            started = true;
            mark("measure-start");
        }
        if (now >= me) break;
        tick(now);
        std::int64_t until = started ? me : ms;
        if (pub && pub->rate > 0 && !pub->in_flight) until = std::min(until, pub->due_at());
        int timeout =
            static_cast<int>(std::max<std::int64_t>(0, (until - now + 999'999) / 1'000'000));
        poll(std::min(timeout, 100));
    }
    mark("measure-end");
}

}  // namespace rt
