// loadgen: an open-loop HTTP/1.1 load generator (what wrk2 does; Debian has only wrk).
//
// Requests are scheduled at a constant total rate, request k at start + k/rate, spread round-robin
// over N keep-alive connections (no pipelining). A connection that is still waiting for an answer
// when its next request is due sends it as soon as the answer arrives. Latency is measured from
// the request's *scheduled* time, not from when it could be sent, so a stalled server is charged
// for the whole queue behind the stall (no coordinated omission).
//
//   loadgen --port N --rate R [--connections 64] [--duration 5] [--warmup 1] [--drain 2]
//           [--path /] [--method GET] [--body-size 0] [--host 127.0.0.1]
//
// Prints "measure-start" when the warm-up ends and "measure-end" when the measured schedule
// ends (flushed, so a harness can sample server CPU at those points), then one JSON line with
// counts and latency percentiles (microseconds) of the requests scheduled in the measured window.
#include "realtime.hpp"

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
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace {

using rt::Histogram;
using rt::now_ns;

// Incremental HTTP/1.1 response framing: status line, Content-Length or chunked, Connection.
class ResponseParser {
public:
    enum class Result { kNeedMore, kDone, kError };

    void reset() { *this = ResponseParser{}; }

    // Consumes from buf; on kDone, `used` bytes belong to this response.
    Result feed(std::string_view buf, std::size_t& used) {
        std::size_t pos = 0;
        while (true) {
            switch (state_) {
            case State::kHead: {
                auto end = buf.find("\r\n\r\n", pos);
                if (end == std::string_view::npos) {
                    if (buf.size() > 65536) return Result::kError;
                    used = 0;
                    return Result::kNeedMore;
                }
                if (!parse_head(buf.substr(0, end + 2))) return Result::kError;
                pos = end + 4;
                if (chunked_) {
                    state_ = State::kChunkSize;
                } else {
                    state_ = State::kBody;
                    remaining_ = content_length_;
                }
                break;
            }
            case State::kBody: {
                std::size_t take = std::min<std::size_t>(remaining_, buf.size() - pos);
                pos += take;
                remaining_ -= take;
                if (remaining_ > 0) return need(pos, used);
                used = pos;
                return Result::kDone;
            }
            case State::kChunkSize: {
                auto eol = buf.find("\r\n", pos);
                if (eol == std::string_view::npos) return need(pos, used);
                std::uint64_t size = 0;
                std::size_t i = pos;
                for (; i < eol; ++i) {
                    char c = buf[i];
                    int d = (c >= '0' && c <= '9')   ? c - '0'
                            : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                            : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                                     : -1;
                    if (d < 0) break;  // chunk extension or trailing junk: ignore the rest
                    size = size * 16 + static_cast<std::uint64_t>(d);
                }
                if (i == pos) return Result::kError;
                pos = eol + 2;
                if (size == 0) {
                    state_ = State::kTrailers;
                } else {
                    remaining_ = size;
                    state_ = State::kChunkData;
                }
                break;
            }
            case State::kChunkData: {
                std::size_t take = std::min<std::size_t>(remaining_, buf.size() - pos);
                pos += take;
                remaining_ -= take;
                if (remaining_ > 0) return need(pos, used);
                state_ = State::kChunkEnd;
                break;
            }
            case State::kChunkEnd:
                if (buf.size() - pos < 2) return need(pos, used);
                pos += 2;
                state_ = State::kChunkSize;
                break;
            case State::kTrailers: {
                auto eol = buf.find("\r\n", pos);
                if (eol == std::string_view::npos) return need(pos, used);
                bool empty = eol == pos;
                pos = eol + 2;
                if (empty) {
                    used = pos;
                    return Result::kDone;
                }
                break;
            }
            }
        }
    }

    int status() const { return status_; }
    bool close() const { return close_; }

private:
    enum class State { kHead, kBody, kChunkSize, kChunkData, kChunkEnd, kTrailers };

    // Progress within a partial buffer is kept by consuming it: the caller drops `used` bytes.
    Result need(std::size_t pos, std::size_t& used) {
        used = pos;
        return Result::kNeedMore;
    }

    static bool iequals_prefix(std::string_view line, std::string_view name) {
        if (line.size() < name.size()) return false;
        for (std::size_t i = 0; i < name.size(); ++i) {
            char a = line[i];
            if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
            if (a != name[i]) return false;
        }
        return true;
    }

    bool parse_head(std::string_view head) {
        if (head.size() < 12 || head.substr(0, 7) != "HTTP/1.") return false;
        status_ = std::atoi(std::string(head.substr(9, 3)).c_str());
        bool http10 = head[7] == '0';
        close_ = http10;
        std::size_t pos = head.find("\r\n") + 2;
        while (pos < head.size()) {
            auto eol = head.find("\r\n", pos);
            if (eol == std::string_view::npos) break;
            auto line = head.substr(pos, eol - pos);
            pos = eol + 2;
            auto colon = line.find(':');
            if (colon == std::string_view::npos) continue;
            auto value = line.substr(colon + 1);
            while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
            if (iequals_prefix(line, "content-length:")) {
                content_length_ = std::strtoull(std::string(value).c_str(), nullptr, 10);
            } else if (iequals_prefix(line, "transfer-encoding:")) {
                chunked_ = value.find("chunked") != std::string_view::npos;
            } else if (iequals_prefix(line, "connection:")) {
                if (iequals_prefix(value, "close")) close_ = true;
                if (iequals_prefix(value, "keep-alive")) close_ = false;
            }
        }
        return status_ >= 100;
    }

    State state_ = State::kHead;
    int status_ = 0;
    bool chunked_ = false;
    bool close_ = false;
    std::uint64_t content_length_ = 0;
    std::uint64_t remaining_ = 0;
};

struct Options {
    std::string host = "127.0.0.1";
    int port = 0;
    double rate = 0;
    int connections = 64;
    double duration = 5;
    double warmup = 1;
    double drain = 2;
    std::string path = "/";
    std::string method = "GET";
    std::size_t body_size = 0;
};

struct Counters {
    std::uint64_t connect = 0, read = 0, write = 0, status = 0, timeout = 0;
};

struct Conn {
    int fd = -1;
    bool connected = false;
    bool busy = false;             // a request is in flight
    std::int64_t inflight_sched = 0;
    std::deque<std::int64_t> queue;  // scheduled times of requests not yet sent
    std::string in;
    std::size_t out_off = 0;       // bytes of the request already written
    ResponseParser parser;
};

class LoadGen {
public:
    explicit LoadGen(Options o) : opt_(std::move(o)), conns_(static_cast<std::size_t>(opt_.connections)) {
        request_ = opt_.method + " " + opt_.path + " HTTP/1.1\r\nHost: " + opt_.host + ":" +
                   std::to_string(opt_.port) + "\r\n";
        if (opt_.body_size > 0 || opt_.method == "POST") {
            request_ += "Content-Type: application/octet-stream\r\nContent-Length: " +
                        std::to_string(opt_.body_size) + "\r\n\r\n" + std::string(opt_.body_size, 'x');
        } else {
            request_ += "\r\n";
        }
        addr_.sin_family = AF_INET;
        addr_.sin_port = htons(static_cast<std::uint16_t>(opt_.port));
        inet_pton(AF_INET, opt_.host.c_str(), &addr_.sin_addr);
        ep_ = epoll_create1(EPOLL_CLOEXEC);
    }

    int run() {
        for (std::size_t i = 0; i < conns_.size(); ++i) open_conn(i);
        // Wait (bounded) until every connection is up, so the schedule does not start with a
        // connect storm charged to the server.
        std::int64_t deadline = now_ns() + 5'000'000'000;
        while (now_ns() < deadline && connected_count() < conns_.size()) poll_once(10'000'000);

        const std::int64_t start = now_ns();
        const std::int64_t measure_from = start + static_cast<std::int64_t>(opt_.warmup * 1e9);
        const std::int64_t end = measure_from + static_cast<std::int64_t>(opt_.duration * 1e9);
        measure_from_ = measure_from;
        measure_to_ = end;
        const double interval = 1e9 / opt_.rate;
        std::uint64_t k = 0;
        bool started = false;
        while (true) {
            std::int64_t t = now_ns();
            if (!started && t >= measure_from) {
                std::printf("measure-start\n");
                std::fflush(stdout);
                started = true;
            }
            if (t >= end) break;
            while (true) {
                std::int64_t due = start + static_cast<std::int64_t>(static_cast<double>(k) * interval);
                if (due > t || due >= end) break;
                Conn& c = conns_[k % conns_.size()];
                c.queue.push_back(due);
                if (due >= measure_from) ++scheduled_;
                ++k;
                try_send(static_cast<std::size_t>((k - 1) % conns_.size()));
            }
            std::int64_t next = start + static_cast<std::int64_t>(static_cast<double>(k) * interval);
            poll_once(std::max<std::int64_t>(0, std::min(next, end) - now_ns()));
        }
        std::printf("measure-end\n");
        std::fflush(stdout);
        // Drain: answers to requests already scheduled still count, up to --drain seconds.
        std::int64_t drain_end = end + static_cast<std::int64_t>(opt_.drain * 1e9);
        while (now_ns() < drain_end && outstanding() > 0) poll_once(1'000'000);
        for (auto& c : conns_) {
            for (auto s : c.queue)
                if (s >= measure_from_) ++errors_.timeout;
            if (c.busy && c.inflight_sched >= measure_from_) ++errors_.timeout;
        }
        report();
        return 0;
    }

private:
    std::size_t connected_count() const {
        std::size_t n = 0;
        for (auto& c : conns_) n += c.connected ? 1 : 0;
        return n;
    }
    std::size_t outstanding() const {
        std::size_t n = 0;
        for (auto& c : conns_) n += c.queue.size() + (c.busy ? 1 : 0);
        return n;
    }

    void open_conn(std::size_t i) {
        Conn& c = conns_[i];
        c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int one = 1;
        setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c.connected = false;
        c.in.clear();
        c.parser.reset();
        c.out_off = 0;
        int r = connect(c.fd, reinterpret_cast<sockaddr*>(&addr_), sizeof addr_);
        if (r != 0 && errno != EINPROGRESS) {
            ++errors_.connect;
            close(c.fd);
            c.fd = -1;
            return;
        }
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT;
        ev.data.u64 = i;
        epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev);
    }

    // Drops a broken connection; its in-flight request failed, queued ones wait for the new one.
    void reopen(std::size_t i, std::uint64_t Counters::*kind) {
        Conn& c = conns_[i];
        if (c.busy) {
            if (c.inflight_sched >= measure_from_ && c.inflight_sched < measure_to_) ++(errors_.*kind);
            c.busy = false;
        }
        if (c.fd >= 0) {
            epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
            close(c.fd);
            c.fd = -1;
        }
        open_conn(i);
    }

    void try_send(std::size_t i) {
        Conn& c = conns_[i];
        if (c.fd < 0 || !c.connected) return;
        if (!c.busy) {
            if (c.queue.empty()) return;
            c.inflight_sched = c.queue.front();
            c.queue.pop_front();
            c.busy = true;
            c.out_off = 0;
        }
        while (c.out_off < request_.size()) {
            ssize_t n = write(c.fd, request_.data() + c.out_off, request_.size() - c.out_off);
            if (n > 0) {
                c.out_off += static_cast<std::size_t>(n);
            } else if (n < 0 && errno == EINTR) {
                continue;
            } else if (n < 0 && errno == EAGAIN) {
                return;  // EPOLLOUT will resume
            } else {
                reopen(i, &Counters::write);
                return;
            }
        }
    }

    void on_readable(std::size_t i) {
        Conn& c = conns_[i];
        char buf[65536];
        while (true) {
            ssize_t n = read(c.fd, buf, sizeof buf);
            if (n > 0) {
                c.in.append(buf, static_cast<std::size_t>(n));
                if (static_cast<std::size_t>(n) < sizeof buf) break;
            } else if (n == 0) {
                reopen(i, &Counters::read);
                return;
            } else if (errno == EINTR) {
                continue;
            } else if (errno == EAGAIN) {
                break;
            } else {
                reopen(i, &Counters::read);
                return;
            }
        }
        while (!c.in.empty()) {
            std::size_t used = 0;
            auto r = c.parser.feed(c.in, used);
            if (r == ResponseParser::Result::kError || (r == ResponseParser::Result::kDone && !c.busy)) {
                reopen(i, &Counters::read);
                return;
            }
            if (r == ResponseParser::Result::kNeedMore) {
                c.in.erase(0, used);
                // The parser keeps its state; only re-feed unconsumed bytes from here on.
                return;
            }
            c.in.erase(0, used);
            std::int64_t t = now_ns();
            if (c.inflight_sched >= measure_from_ && c.inflight_sched < measure_to_) {
                hist_.record(t - c.inflight_sched);
                ++completed_;
                if (c.parser.status() < 200 || c.parser.status() > 399) ++errors_.status;
            }
            c.busy = false;
            bool must_close = c.parser.close();
            c.parser.reset();
            if (must_close) {
                epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
                close(c.fd);
                c.fd = -1;
                open_conn(i);
                return;
            }
            try_send(i);
        }
    }

    void poll_once(std::int64_t timeout_ns) {
        epoll_event events[256];
        timespec ts{static_cast<time_t>(timeout_ns / 1'000'000'000), static_cast<long>(timeout_ns % 1'000'000'000)};
        int n = epoll_pwait2(ep_, events, 256, &ts, nullptr);
        for (int e = 0; e < n; ++e) {
            auto i = static_cast<std::size_t>(events[e].data.u64);
            Conn& c = conns_[i];
            if (c.fd < 0) continue;
            if (!c.connected) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err != 0 || (events[e].events & (EPOLLERR | EPOLLHUP))) {
                    ++errors_.connect;
                    epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
                    close(c.fd);
                    c.fd = -1;
                    continue;  // stays down; a fixed pool of connections is the model
                }
                c.connected = true;
                epoll_event ev{};
                ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
                ev.data.u64 = i;
                epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
                try_send(i);
                continue;
            }
            if (events[e].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(i);
            if (c.fd >= 0 && c.connected && (events[e].events & EPOLLOUT) && c.busy &&
                c.out_off < request_.size())
                try_send(i);
        }
    }

    void report() {
        std::uint64_t errors = errors_.connect + errors_.read + errors_.write + errors_.status + errors_.timeout;
        std::printf(
            "{\"target_rate\": %.1f, \"connections\": %d, \"duration_s\": %.3f, \"scheduled\": %" PRIu64
            ", \"completed\": %" PRIu64 ", \"achieved_rate\": %.1f, "
            "\"errors\": {\"connect\": %" PRIu64 ", \"read\": %" PRIu64 ", \"write\": %" PRIu64
            ", \"status\": %" PRIu64 ", \"timeout\": %" PRIu64 ", \"total\": %" PRIu64 "}, "
            "\"latency_us\": {\"p50\": %.1f, \"p90\": %.1f, \"p99\": %.1f, \"p999\": %.1f, \"max\": %.1f, "
            "\"mean\": %.1f}}\n",
            opt_.rate, opt_.connections, opt_.duration, scheduled_, completed_,
            static_cast<double>(completed_) / opt_.duration, errors_.connect, errors_.read, errors_.write,
            errors_.status, errors_.timeout, errors, hist_.percentile(50) / 1e3, hist_.percentile(90) / 1e3,
            hist_.percentile(99) / 1e3, hist_.percentile(99.9) / 1e3, static_cast<double>(hist_.max()) / 1e3,
            hist_.mean() / 1e3);
        std::fflush(stdout);
    }

    Options opt_;
    std::vector<Conn> conns_;
    std::string request_;
    sockaddr_in addr_{};
    int ep_ = -1;
    Histogram hist_;
    Counters errors_;
    std::uint64_t scheduled_ = 0;
    std::uint64_t completed_ = 0;
    std::int64_t measure_from_ = 0;
    std::int64_t measure_to_ = 0;
};

[[noreturn]] void usage() {
    std::fprintf(stderr,
                 "usage: loadgen --port N --rate R [--connections 64] [--duration 5] [--warmup 1] [--drain 2]\n"
                 "               [--path /] [--method GET] [--body-size 0] [--host 127.0.0.1]\n");
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (i + 1 >= argc) usage();
        std::string v = argv[++i];
        if (a == "--port") o.port = std::atoi(v.c_str());
        else if (a == "--rate") o.rate = std::atof(v.c_str());
        else if (a == "--connections") o.connections = std::atoi(v.c_str());
        else if (a == "--duration") o.duration = std::atof(v.c_str());
        else if (a == "--warmup") o.warmup = std::atof(v.c_str());
        else if (a == "--drain") o.drain = std::atof(v.c_str());
        else if (a == "--path") o.path = v;
        else if (a == "--method") o.method = v;
        else if (a == "--body-size") o.body_size = static_cast<std::size_t>(std::atol(v.c_str()));
        else if (a == "--host") o.host = v;
        else usage();
    }
    if (o.port <= 0 || o.rate <= 0 || o.connections <= 0 || o.duration <= 0) usage();
    signal(SIGPIPE, SIG_IGN);
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    return LoadGen(o).run();
}
