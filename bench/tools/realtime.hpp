// realtime.hpp: the code that bench/tools/wsbench.cpp and bench/tools/ssebench.cpp share: one
// single-threaded epoll loop that opens many WebSocket or SSE client connections (raising
// RLIMIT_NOFILE, spreading them over source addresses 127.0.0.1..127.0.0.16 so that 10 000 of them
// never run out of ephemeral ports), an HTTP/1.1 keep-alive publisher that POSTs at a fixed rate
// or as fast as a window allows, and a log-linear latency histogram (the same as loadgen's).
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
        return static_cast<double>(low) + static_cast<double>((std::uint64_t{1} << shift) - 1) / 2.0;
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

// The HTTP/1.1 publisher: one keep-alive connection, one POST in flight. Each POST's body is a
// stamp "<seq> <scheduled ns>" padded to `size`: with --rate R publish k is scheduled at
// start + k/R and stamped with that time (a late POST is charged its lateness: no coordinated
// omission); with --rate 0 it is sent as soon as fewer than `window` publishes are still being
// delivered (as fast as the subscribers receive them) and stamped with the send time.
struct Publisher {
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

    bool open(int epfd) {
        fd = connect_to(port, 0);
        if (fd < 0) return false;
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT;
        ev.data.u64 = ~std::uint64_t{0};
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
            if (!(head.starts_with("http/1.1 2") || head.starts_with("http/1.0 2"))) ++errors->publish;
            in.erase(0, end + 4 + clen);
            ++answered;
            in_flight = false;
        }
        return true;
    }
};

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

inline void print_json(const char* mode, std::size_t asked, std::size_t open, double connect_s,
                       std::uint64_t delivered, double seconds, const Histogram& h, const Errors& e,
                       std::uint64_t published, const std::string& extra) {
    auto us = [&](double p) { return h.percentile(p) / 1000.0; };
    std::printf(
        "{\"mode\": \"%s\", \"connections\": %zu, \"open\": %zu, \"connect_s\": %.3f, "
        "\"completed\": %" PRIu64 ", \"duration_s\": %.4f, \"achieved_rate\": %.1f, \"published\": %" PRIu64 ", "
        "\"latency_us\": {\"p50\": %.1f, \"p90\": %.1f, \"p99\": %.1f, \"p999\": %.1f, \"max\": %.1f, "
        "\"samples\": %" PRIu64 "}, "
        "\"errors\": {\"connect\": %" PRIu64 ", \"handshake\": %" PRIu64 ", \"closed\": %" PRIu64
        ", \"protocol\": %" PRIu64 ", \"publish\": %" PRIu64 ", \"total\": %" PRIu64 "}%s}\n",
        mode, asked, open, connect_s, delivered, seconds, seconds > 0 ? static_cast<double>(delivered) / seconds : 0.0,
        published, us(50), us(90), us(99), us(99.9), static_cast<double>(h.max()) / 1000.0, h.total(), e.connect,
        e.handshake, e.closed, e.protocol, e.publish, e.total(), extra.c_str());
    std::fflush(stdout);
}

inline void mark(const char* what) {
    std::printf("%s\n", what);
    std::fflush(stdout);
}

}  // namespace rt
