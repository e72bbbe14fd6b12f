// wsbench: a WebSocket load generator (RFC 6455 client: its own handshake, masked frames).
//
//   wsbench --port N --mode echo [--path /ws/echo] [--connections 64] [--size 64] [--inflight 1]
//           [--duration 5] [--warmup 1]
//     Closed loop: each connection keeps `inflight` binary messages of `size` bytes in flight and
//     sends the next one when an echo comes back. The first 8 bytes of each message carry its send
//     time; round-trip latency = arrival - that time.
//
//   wsbench --port N --mode broadcast [--path /ws/topic/bench] [--publish-path /publish/bench]
//           [--connections 10000] [--size 64] [--rate 0] [--window 4] [--duration 5] [--warmup 1]
//     `connections` subscribers on the topic route; one HTTP keep-alive publisher POSTs
//     "<seq> <ns> xxx..." (size bytes) to the publish route, at --rate R per second, or with
//     --rate 0 as fast as the subscribers take them (at most `window` publishes still being
//     delivered). Delivery latency = arrival - the stamp (the scheduled time with --rate).
//
// Connections come from 127.0.0.1..127.0.0.16 (enough ephemeral ports for tens of thousands) and
// are opened at most 256 at a time. Prints "measure-start" / "measure-end" around the measured
// window and then one JSON line: completed (messages received in the window), achieved_rate
// (per second), latency_us percentiles, errors.
#include "realtime.hpp"

namespace {

using rt::now_ns;

struct Options {
    int port = 0;
    std::string mode = "echo";
    std::string path;
    std::string publish_path = "/publish/bench";
    std::size_t connections = 64;
    std::size_t size = 64;
    std::size_t inflight = 1;
    double duration = 5;
    double warmup = 1;
    double rate = 0;
    std::size_t window = 4;
    double connect_timeout = 60;
};

struct Conn {
    int fd = -1;
    int state = 0;  // 0 handshaking, 1 open, 2 dead
    std::string in;
    std::size_t off = 0;
    std::string out;
    bool watching_out = true;
    std::string frag;  // first bytes of a fragmented message
    bool in_frag = false;
};

class Bench {
public:
    explicit Bench(Options o) : o_(std::move(o)) {
        echo_ = o_.mode == "echo";
        if (o_.path.empty()) o_.path = echo_ ? "/ws/echo" : "/ws/topic/bench";
        std::random_device rd;
        std::uint32_t k = rd();
        std::memcpy(key_, &k, 4);
        if (echo_) {  // one masked frame, copied per message with the timestamp patched in
            std::size_t n = std::max<std::size_t>(o_.size, 8);
            tmpl_ = frame_header(0x2, n);
            payload_at_ = tmpl_.size();
            for (std::size_t i = 0; i < n; ++i) tmpl_.push_back(static_cast<char>('x' ^ key_[i % 4]));
        }
    }

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

        // Connect phase: not measured.
        std::int64_t t_connect = now_ns();
        std::int64_t deadline = t_connect + static_cast<std::int64_t>(o_.connect_timeout * 1e9);
        while (next_ < conns_.size() && handshaking_ < 256) start(next_++);
        while ((handshaking_ > 0 || next_ < conns_.size()) && now_ns() < deadline) poll(10);
        double connect_s = static_cast<double>(now_ns() - t_connect) / 1e9;
        if (open_ == 0) {
            std::fprintf(stderr, "wsbench: no connection could be opened\n");
        }
        if (!echo_ && !pub_.open(epfd_)) ++errors_.publish;

        std::int64_t t0 = now_ns();
        ms_ = t0 + static_cast<std::int64_t>(o_.warmup * 1e9);
        me_ = ms_ + static_cast<std::int64_t>(o_.duration * 1e9);
        pub_.start = t0;
        running_ = true;
        if (echo_) {
            for (std::size_t i = 0; i < conns_.size(); ++i) {
                if (conns_[i].state != 1) continue;
                for (std::size_t k = 0; k < o_.inflight; ++k) send_echo(i);
                flush(i);
            }
        }
        bool started = false;
        while (true) {
            std::int64_t now = now_ns();
            if (!started && now >= ms_) {
                started = true;
                rt::mark("measure-start");
            }
            if (now >= me_) break;
            if (!echo_) publish(now);
            std::int64_t until = started ? me_ : ms_;
            if (!echo_ && o_.rate > 0 && !pub_.in_flight) until = std::min(until, pub_.due_at());
            int timeout = static_cast<int>(std::max<std::int64_t>(0, (until - now + 999'999) / 1'000'000));
            poll(std::min(timeout, 100));
        }
        running_ = false;
        rt::mark("measure-end");
        std::int64_t t_end = now_ns();
        for (auto& c : conns_) {
            if (c.fd >= 0) close(c.fd);
        }
        if (pub_.fd >= 0) close(pub_.fd);
        char extra[256];
        std::snprintf(extra, sizeof extra,
                      ", \"size\": %zu, \"inflight\": %zu, \"rate\": %.1f, \"window\": %zu, \"answered_publishes\": %" PRIu64,
                      o_.size, o_.inflight, o_.rate, o_.window, pub_.answered);
        (void)t_end;
        rt::print_json(echo_ ? "echo" : "broadcast", o_.connections, open_, connect_s, delivered_,
                       static_cast<double>(me_ - ms_) / 1e9, hist_, errors_, published_in_window_, extra);
        return 0;
    }

private:
    std::string frame_header(int opcode, std::size_t n) const {
        std::string h;
        h.push_back(static_cast<char>(0x80 | opcode));
        if (n < 126) {
            h.push_back(static_cast<char>(0x80 | n));
        } else if (n < 65536) {
            h.push_back(static_cast<char>(0x80 | 126));
            h.push_back(static_cast<char>(n >> 8));
            h.push_back(static_cast<char>(n & 0xff));
        } else {
            h.push_back(static_cast<char>(0x80 | 127));
            for (int i = 7; i >= 0; --i) h.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
        }
        h.append(reinterpret_cast<const char*>(key_), 4);
        return h;
    }

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
        c.out = "GET " + o_.path +
                " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
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

    void send_echo(std::size_t i) {
        Conn& c = conns_[i];
        std::size_t at = c.out.size();
        c.out += tmpl_;
        std::int64_t t = now_ns();
        unsigned char ts[8];
        std::memcpy(ts, &t, 8);
        for (std::size_t k = 0; k < 8; ++k) c.out[at + payload_at_ + k] = static_cast<char>(ts[k] ^ key_[k % 4]);
    }

    void on_message(std::size_t i, std::string_view p) {
        std::int64_t now = now_ns();
        bool in_window = now >= ms_ && now < me_;
        if (echo_) {
            if (p.size() < 8) {
                ++errors_.protocol;
                return;
            }
            std::int64_t t;
            std::memcpy(&t, p.data(), 8);
            if (in_window) {
                hist_.record(now - t);
                ++delivered_;
            }
            if (running_) send_echo(i);
        } else {
            std::uint64_t seq;
            std::int64_t t;
            if (!rt::parse_stamp(p, seq, t)) {
                ++errors_.protocol;
                return;
            }
            deliveries_.on_delivery(seq);
            if (in_window) {
                hist_.record(now - t);
                ++delivered_;
            }
        }
    }

    // Parses whole frames from c.in; returns false if the connection is gone.
    bool parse(std::size_t i) {
        Conn& c = conns_[i];
        if (c.state == 0) {
            auto end = c.in.find("\r\n\r\n");
            if (end == std::string::npos) return true;
            if (!c.in.starts_with("HTTP/1.1 101")) {
                fail(i, errors_.handshake);
                return false;
            }
            c.state = 1;
            --handshaking_;
            ++open_;
            c.off = end + 4;
            if (next_ < conns_.size()) start(next_++);
            if (running_ && echo_) {
                for (std::size_t k = 0; k < o_.inflight; ++k) send_echo(i);
            }
        }
        while (true) {
            std::size_t avail = c.in.size() - c.off;
            if (avail < 2) break;
            auto* b = reinterpret_cast<const unsigned char*>(c.in.data() + c.off);
            bool fin = b[0] & 0x80;
            int opcode = b[0] & 0x0f;
            if (b[1] & 0x80) {  // a server must not mask
                fail(i, errors_.protocol);
                return false;
            }
            std::uint64_t n = b[1] & 0x7f;
            std::size_t hl = 2;
            if (n == 126) {
                if (avail < 4) break;
                n = (std::uint64_t{b[2]} << 8) | b[3];
                hl = 4;
            } else if (n == 127) {
                if (avail < 10) break;
                n = 0;
                for (int k = 0; k < 8; ++k) n = (n << 8) | b[2 + k];
                hl = 10;
            }
            if (avail < hl + n) break;
            std::string_view p(c.in.data() + c.off + hl, static_cast<std::size_t>(n));
            c.off += hl + static_cast<std::size_t>(n);
            if (opcode == 0x1 || opcode == 0x2) {
                if (fin) {
                    on_message(i, p);
                } else {
                    c.in_frag = true;
                    c.frag.assign(p.substr(0, 48));
                }
            } else if (opcode == 0x0) {
                if (c.frag.size() < 48) c.frag.append(p.substr(0, 48 - c.frag.size()));
                if (fin && c.in_frag) {
                    c.in_frag = false;
                    std::string f = std::move(c.frag);
                    c.frag.clear();
                    on_message(i, f);
                }
            } else if (opcode == 0x9) {  // ping: pong with the same payload, masked
                std::string f = frame_header(0xA, p.size());
                for (std::size_t k = 0; k < p.size(); ++k) f.push_back(static_cast<char>(p[k] ^ key_[k % 4]));
                c.out += f;
            } else if (opcode == 0x8) {
                fail(i, errors_.closed);
                return false;
            }
        }
        if (c.off == c.in.size()) {
            c.in.clear();
            c.off = 0;
        } else if (c.off > 65536) {
            c.in.erase(0, c.off);
            c.off = 0;
        }
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
            static char buf[256 * 1024];
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
            if (eof) {
                fail(i, c.state == 0 ? errors_.connect : errors_.closed);
                return;
            }
            if (!c.out.empty()) flush(i);
        }
    }

    void publish(std::int64_t now) {
        if (pub_.fd < 0 || pub_.in_flight) return;
        if (o_.rate > 0) {
            if (pub_.due_at() > now) return;
            std::int64_t t = pub_.due_at();
            deliveries_.on_publish(pub_.next_seq, now);
            if (now >= ms_) ++published_in_window_;
            pub_.send(t);
        } else {
            if (deliveries_.pending(pub_.next_seq, static_cast<std::uint32_t>(open_), now) >= o_.window) return;
            deliveries_.on_publish(pub_.next_seq, now);
            if (now >= ms_) ++published_in_window_;
            pub_.send(now);
        }
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
        if (!echo_ && running_) publish(now_ns());
    }

    Options o_;
    bool echo_ = true;
    unsigned char key_[4]{};
    std::string tmpl_;
    std::size_t payload_at_ = 0;
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
                 "usage: wsbench --port N [--mode echo|broadcast] [--path P] [--publish-path P]\n"
                 "               [--connections N] [--size S] [--inflight K] [--rate R] [--window W]\n"
                 "               [--duration D] [--warmup W] [--connect-timeout S]\n");
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
        else if (a == "--mode") o.mode = v;
        else if (a == "--path") o.path = v;
        else if (a == "--publish-path") o.publish_path = v;
        else if (a == "--connections") o.connections = std::strtoull(v.c_str(), nullptr, 10);
        else if (a == "--size") o.size = std::strtoull(v.c_str(), nullptr, 10);
        else if (a == "--inflight") o.inflight = std::strtoull(v.c_str(), nullptr, 10);
        else if (a == "--rate") o.rate = std::atof(v.c_str());
        else if (a == "--window") o.window = std::strtoull(v.c_str(), nullptr, 10);
        else if (a == "--duration") o.duration = std::atof(v.c_str());
        else if (a == "--warmup") o.warmup = std::atof(v.c_str());
        else if (a == "--connect-timeout") o.connect_timeout = std::atof(v.c_str());
        else usage();
    }
    if (o.port <= 0 || (o.mode != "echo" && o.mode != "broadcast") || o.connections == 0 || o.inflight == 0 ||
        o.window == 0) {
        usage();
    }
    return Bench(std::move(o)).run();
}
