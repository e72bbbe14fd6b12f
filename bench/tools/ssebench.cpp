// ssebench: a Server-Sent Events fan-out load generator.
//
//   ssebench --port N [--path /events/channel] [--publish-path /events/publish]
//            [--connections 10000] [--rate 100] [--size 64] [--duration 5] [--warmup 1]
//
// `connections` subscribers GET the SSE route (Accept: text/event-stream) and stay on it; one
// HTTP keep-alive publisher POSTs "<seq> <ns> xxx..." (size bytes) to the publish route at --rate
// per second (100: one event per 10 ms), each stamped with its scheduled time; the server relays
// it to every subscriber as an event's data. Delivery latency = arrival - the stamp. --rate 0:
// as fast as the subscribers take them (at most --window publishes still being delivered).
//
// Subscribers read the raw stream line by line and count `data:` lines (chunk-size lines of a
// chunked response, `event:` and `id:` lines are skipped). Connections come from 127.0.0.1..16 and
// are opened at most 256 at a time. Output as wsbench: "measure-start", "measure-end", one JSON line.
#include "realtime.hpp"

namespace {

using rt::now_ns;

struct Options {
    int port = 0;
    std::string path = "/events/channel";
    std::string publish_path = "/events/publish";
    std::size_t connections = 10000;
    std::size_t size = 64;
    double rate = 100;
    std::size_t window = 4;
    double duration = 5;
    double warmup = 1;
    double connect_timeout = 60;
};

struct Conn {
    int fd = -1;
    int state = 0;  // 0 request sent, 1 streaming, 2 dead
    std::string in;
    std::string out;
    bool watching_out = true;
};

class Bench {
public:
    explicit Bench(Options o) : o_(std::move(o)) {}

    int run() {
        rt::raise_nofile(o_.connections + 64);
        signal(SIGPIPE, SIG_IGN);
        epfd_ = epoll_create1(EPOLL_CLOEXEC);
        conns_.resize(o_.connections);
        pub_.port = o_.port;
        pub_.path = o_.publish_path;
        pub_.size = o_.size;
        pub_.rate = o_.rate;
        pub_.window = o_.window;
        pub_.errors = &errors_;

        std::int64_t t_connect = now_ns();
        std::int64_t deadline = t_connect + static_cast<std::int64_t>(o_.connect_timeout * 1e9);
        while (next_ < conns_.size() && handshaking_ < 256) start(next_++);
        while ((handshaking_ > 0 || next_ < conns_.size()) && now_ns() < deadline) poll(10);
        double connect_s = static_cast<double>(now_ns() - t_connect) / 1e9;
        if (open_ == 0) std::fprintf(stderr, "ssebench: no subscriber could be opened\n");
        if (!pub_.open(epfd_)) ++errors_.publish;

        std::int64_t t0 = now_ns();
        ms_ = t0 + static_cast<std::int64_t>(o_.warmup * 1e9);
        me_ = ms_ + static_cast<std::int64_t>(o_.duration * 1e9);
        pub_.start = t0;
        running_ = true;
        bool started = false;
        while (true) {
            std::int64_t now = now_ns();
            if (!started && now >= ms_) {
                started = true;
                rt::mark("measure-start");
            }
            if (now >= me_) break;
            publish(now);
            std::int64_t until = started ? me_ : ms_;
            if (o_.rate > 0 && !pub_.in_flight) until = std::min(until, pub_.due_at());
            int timeout = static_cast<int>(std::max<std::int64_t>(0, (until - now + 999'999) / 1'000'000));
            poll(std::min(timeout, 100));
        }
        running_ = false;
        rt::mark("measure-end");
        for (auto& c : conns_) {
            if (c.fd >= 0) close(c.fd);
        }
        if (pub_.fd >= 0) close(pub_.fd);
        char extra[256];
        std::snprintf(extra, sizeof extra, ", \"size\": %zu, \"rate\": %.1f, \"answered_publishes\": %" PRIu64,
                      o_.size, o_.rate, pub_.answered);
        rt::print_json("sse", o_.connections, open_, connect_s, delivered_, static_cast<double>(me_ - ms_) / 1e9,
                       hist_, errors_, published_in_window_, extra);
        return 0;
    }

private:
    void start(std::size_t i) {
        Conn& c = conns_[i];
        c.fd = rt::connect_to(o_.port, i);
        if (c.fd < 0) {
            ++errors_.connect;
            c.state = 2;
            return;
        }
        ++handshaking_;
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT;
        ev.data.u64 = i;
        epoll_ctl(epfd_, EPOLL_CTL_ADD, c.fd, &ev);
        c.out = "GET " + o_.path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n";
    }

    void fail(std::size_t i, std::uint64_t& counter) {
        Conn& c = conns_[i];
        if (c.state == 2) return;
        if (c.state == 0) {
            --handshaking_;
            if (next_ < conns_.size()) start(next_++);
        } else {
            --open_;
        }
        if (running_ || c.state == 0) ++counter;
        c.state = 2;
        epoll_ctl(epfd_, EPOLL_CTL_DEL, c.fd, nullptr);
        close(c.fd);
        c.fd = -1;
    }

    void watch_out(std::size_t i, bool on) {
        Conn& c = conns_[i];
        if (c.watching_out == on) return;
        c.watching_out = on;
        epoll_event ev{};
        ev.events = EPOLLIN | (on ? EPOLLOUT : 0u);
        ev.data.u64 = i;
        epoll_ctl(epfd_, EPOLL_CTL_MOD, c.fd, &ev);
    }

    void flush(std::size_t i) {
        Conn& c = conns_[i];
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

    bool parse(std::size_t i) {
        Conn& c = conns_[i];
        std::size_t pos = 0;
        if (c.state == 0) {
            auto end = c.in.find("\r\n\r\n");
            if (end == std::string::npos) return true;
            if (!c.in.starts_with("HTTP/1.1 200")) {
                fail(i, errors_.handshake);
                return false;
            }
            c.state = 1;
            --handshaking_;
            ++open_;
            pos = end + 4;
            if (next_ < conns_.size()) start(next_++);
        }
        std::int64_t now = 0;
        while (true) {
            auto nl = c.in.find('\n', pos);
            if (nl == std::string::npos) break;
            std::string_view line(c.in.data() + pos, nl - pos);
            pos = nl + 1;
            if (line.starts_with("data:")) {
                line.remove_prefix(5);
                if (line.starts_with(" ")) line.remove_prefix(1);
                std::uint64_t seq;
                std::int64_t t;
                if (!rt::parse_stamp(line, seq, t)) {
                    ++errors_.protocol;
                    continue;
                }
                deliveries_.on_delivery(seq);
                if (now == 0) now = now_ns();
                if (now >= ms_ && now < me_) {
                    hist_.record(now - t);
                    ++delivered_;
                }
            }
        }
        c.in.erase(0, pos);
        return true;
    }

    void on_event(std::size_t i, std::uint32_t ev) {
        Conn& c = conns_[i];
        if (c.state == 2) return;
        if (ev & EPOLLOUT) {
            flush(i);
            if (c.state == 2) return;
        }
        if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
            static char buf[64 * 1024];
            bool eof = false;
            while (true) {
                ssize_t r = ::recv(c.fd, buf, sizeof buf, 0);
                if (r > 0) {
                    c.in.append(buf, static_cast<std::size_t>(r));
                    if (static_cast<std::size_t>(r) < sizeof buf) break;
                    continue;
                }
                if (r < 0 && errno == EAGAIN) break;
                eof = true;
                break;
            }
            if (!parse(i)) return;
            if (eof) fail(i, c.state == 0 ? errors_.connect : errors_.closed);
        }
    }

    void publish(std::int64_t now) {
        if (pub_.fd < 0 || pub_.in_flight || !running_) return;
        std::int64_t stamp = now;
        if (o_.rate > 0) {
            if (pub_.due_at() > now) return;
            stamp = pub_.due_at();
        } else if (deliveries_.pending(pub_.next_seq, static_cast<std::uint32_t>(open_), now) >= o_.window) {
            return;
        }
        deliveries_.on_publish(pub_.next_seq, now);
        if (now >= ms_) ++published_in_window_;
        pub_.send(stamp);
    }

    void poll(int timeout_ms) {
        epoll_event evs[512];
        int n = epoll_wait(epfd_, evs, 512, timeout_ms);
        for (int k = 0; k < n; ++k) {
            std::uint64_t id = evs[k].data.u64;
            if (id == ~std::uint64_t{0}) {
                if (!pub_.on_ready(evs[k].events)) {
                    ++errors_.publish;
                    epoll_ctl(epfd_, EPOLL_CTL_DEL, pub_.fd, nullptr);
                    close(pub_.fd);
                    pub_.fd = -1;
                } else if (pub_.out.empty()) {
                    epoll_event ev{};
                    ev.events = EPOLLIN;
                    ev.data.u64 = id;
                    epoll_ctl(epfd_, EPOLL_CTL_MOD, pub_.fd, &ev);
                }
            } else {
                on_event(static_cast<std::size_t>(id), evs[k].events);
            }
        }
        publish(now_ns());
    }

    Options o_;
    int epfd_ = -1;
    std::vector<Conn> conns_;
    std::size_t next_ = 0, handshaking_ = 0, open_ = 0;
    rt::Publisher pub_;
    rt::Deliveries deliveries_;
    rt::Histogram hist_;
    rt::Errors errors_;
    std::uint64_t delivered_ = 0, published_in_window_ = 0;
    std::int64_t ms_ = 0, me_ = 0;
    bool running_ = false;
};

[[noreturn]] void usage() {
    std::fprintf(stderr,
                 "usage: ssebench --port N [--path P] [--publish-path P] [--connections N] [--rate R]\n"
                 "                [--window W] [--size S] [--duration D] [--warmup W] [--connect-timeout S]\n");
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
        else if (a == "--path") o.path = v;
        else if (a == "--publish-path") o.publish_path = v;
        else if (a == "--connections") o.connections = std::strtoull(v.c_str(), nullptr, 10);
        else if (a == "--size") o.size = std::strtoull(v.c_str(), nullptr, 10);
        else if (a == "--rate") o.rate = std::atof(v.c_str());
        else if (a == "--window") o.window = std::strtoull(v.c_str(), nullptr, 10);
        else if (a == "--duration") o.duration = std::atof(v.c_str());
        else if (a == "--warmup") o.warmup = std::atof(v.c_str());
        else if (a == "--connect-timeout") o.connect_timeout = std::atof(v.c_str());
        else usage();
    }
    if (o.port <= 0 || o.connections == 0 || o.window == 0) usage();
    return Bench(std::move(o)).run();
}
