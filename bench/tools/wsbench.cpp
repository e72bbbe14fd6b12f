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

struct Options : rt::Options {
    std::string mode = "echo";
    std::size_t inflight = 1;

    Options() { publish_path = "/publish/bench"; }
    bool set(std::string_view name, const std::string& v) {
        if (name == "--mode")
            mode = v;
        else if (name == "--inflight")
            inflight = std::strtoull(v.c_str(), nullptr, 10);
        else
            return rt::Options::set(name, v);
        return true;
    }
};

struct Conn : rt::Conn {
    std::size_t off = 0;  // c.in up to here is parsed
    std::string frag;     // first bytes of a fragmented message
    bool in_frag = false;
};

class Bench {
  public:
    explicit Bench(Options o)
        : o_(std::move(o)),
          echo_(o_.mode == "echo"),
          epfd_(epoll_create1(EPOLL_CLOEXEC)),
          conns_(o_.connections, epfd_, o_.port,
                 "GET " + o_.path +
                     " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n",
                 errors_, running_),
          pub_(o_, errors_) {
        std::random_device rd;
        std::uint32_t k = rd();
        std::memcpy(key_, &k, 4);
        if (echo_) {  // one masked frame, copied per message with the timestamp patched in
            std::size_t n = std::max<std::size_t>(o_.size, 8);
            tmpl_ = frame_header(0x2, n);
            payload_at_ = tmpl_.size();
            for (std::size_t i = 0; i < n; ++i)
                tmpl_.push_back(static_cast<char>('x' ^ key_[i % 4]));
        }
    }

    int run() {
        rt::raise_nofile(o_.connections + 64);
        signal(SIGPIPE, SIG_IGN);

        // Connect phase: not measured.
        double connect_s = conns_.connect_all(o_.connect_timeout, [&](int ms) { poll(ms); });
        if (conns_.open == 0) {
            std::fprintf(stderr, "wsbench: no connection could be opened\n");
        }
        if (!echo_ && !pub_.open(epfd_)) ++errors_.publish;

        pub_.start = now_ns();
        ms_ = pub_.start + static_cast<std::int64_t>(o_.warmup * 1e9);
        me_ = ms_ + static_cast<std::int64_t>(o_.duration * 1e9);
        running_ = true;
        if (echo_) {
            for (std::size_t i = 0; i < conns_.all.size(); ++i) {
                if (conns_.all[i].state != 1) continue;
                for (std::size_t k = 0; k < o_.inflight; ++k) send_echo(i);
                conns_.flush(i);
            }
        }
        rt::run_window(
            ms_, me_, echo_ ? nullptr : &pub_, [&](std::int64_t now) { publish(now); },
            [&](int ms) { poll(ms); });
        running_ = false;
        conns_.close_all();
        if (pub_.fd >= 0) close(pub_.fd);
        char extra[256];
        std::snprintf(extra, sizeof extra,
                      ", \"size\": %zu, \"inflight\": %zu, \"rate\": %.1f, \"window\": %zu, "
                      "\"answered_publishes\": %" PRIu64,
                      o_.size, o_.inflight, o_.rate, o_.window, pub_.answered);
        rt::print_json(echo_ ? "echo" : "broadcast", o_.connections, conns_.open, connect_s,
                       delivered_, static_cast<double>(me_ - ms_) / 1e9, hist_, errors_,
                       pub_.published_in_window, extra);
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

    void send_echo(std::size_t i) {
        Conn& c = conns_.all[i];
        std::size_t at = c.out.size();
        c.out += tmpl_;
        std::int64_t t = now_ns();
        unsigned char ts[8];
        std::memcpy(ts, &t, 8);
        for (std::size_t k = 0; k < 8; ++k)
            c.out[at + payload_at_ + k] = static_cast<char>(ts[k] ^ key_[k % 4]);
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
            pub_.deliveries.on_delivery(seq);
            if (in_window) {
                hist_.record(now - t);
                ++delivered_;
            }
        }
    }

    // Parses whole frames from c.in; returns false if the connection is gone.
    bool parse(std::size_t i) {
        Conn& c = conns_.all[i];
        if (c.state == 0) {
            auto end = c.in.find("\r\n\r\n");
            if (end == std::string::npos) return true;
            if (!c.in.starts_with("HTTP/1.1 101")) {
                conns_.fail(i, errors_.handshake);
                return false;
            }
            conns_.opened(i);
            c.off = end + 4;
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
                conns_.fail(i, errors_.protocol);
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
                for (std::size_t k = 0; k < p.size(); ++k)
                    f.push_back(static_cast<char>(p[k] ^ key_[k % 4]));
                c.out += f;
            } else if (opcode == 0x8) {
                conns_.fail(i, errors_.closed);
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

    void publish(std::int64_t now) {
        if (!echo_ && running_) pub_.publish_due(now, static_cast<std::uint32_t>(conns_.open), ms_);
    }

    void poll(int timeout_ms) {
        conns_.poll(timeout_ms, pub_, [&](std::size_t i) { return parse(i); });
        publish(now_ns());
    }

    Options o_;
    bool echo_ = true;
    rt::Errors errors_;
    bool running_ = false;
    int epfd_ = -1;
    rt::Conns<Conn> conns_;
    rt::Publisher pub_;
    unsigned char key_[4]{};
    std::string tmpl_;
    std::size_t payload_at_ = 0;
    rt::Histogram hist_;
    std::uint64_t delivered_ = 0;
    std::int64_t ms_ = 0, me_ = 0;
};

[[noreturn]] void usage() {
    std::fprintf(
        stderr,
        "usage: wsbench --port N [--mode echo|broadcast] [--path P] [--publish-path P]\n"
        "               [--connections N] [--size S] [--inflight K] [--rate R] [--window W]\n"
        "               [--duration D] [--warmup W] [--connect-timeout S]\n");
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    rt::parse_options(argc, argv, o, usage);
    if (o.path.empty()) o.path = o.mode == "echo" ? "/ws/echo" : "/ws/topic/bench";
    if (!o.valid() || (o.mode != "echo" && o.mode != "broadcast") || o.inflight == 0) usage();
    return Bench(std::move(o)).run();
}
