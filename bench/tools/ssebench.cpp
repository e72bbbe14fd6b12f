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
// are opened at most 256 at a time. Output as wsbench: "measure-start", "measure-end", one JSON
// line.
#include "realtime.hpp"

namespace {

using rt::now_ns;

struct Options : rt::Options {
    Options() {
        path = "/events/channel";
        publish_path = "/events/publish";
        connections = 10000;
        rate = 100;
    }
};

class Bench {
  public:
    explicit Bench(Options o)
        : o_(std::move(o)),
          epfd_(epoll_create1(EPOLL_CLOEXEC)),
          conns_(o_.connections, epfd_, o_.port,
                 "GET " + o_.path +
                     " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n",
                 errors_, running_),
          pub_(o_, errors_) {}

    int run() {
        rt::raise_nofile(o_.connections + 64);
        signal(SIGPIPE, SIG_IGN);

        double connect_s = conns_.connect_all(o_.connect_timeout, [&](int ms) { poll(ms); });
        if (conns_.open == 0) std::fprintf(stderr, "ssebench: no subscriber could be opened\n");
        if (!pub_.open(epfd_)) ++errors_.publish;

        pub_.start = now_ns();
        ms_ = pub_.start + static_cast<std::int64_t>(o_.warmup * 1e9);
        me_ = ms_ + static_cast<std::int64_t>(o_.duration * 1e9);
        running_ = true;
        rt::run_window(
            ms_, me_, &pub_, [&](std::int64_t now) { publish(now); }, [&](int ms) { poll(ms); });
        running_ = false;
        conns_.close_all();
        if (pub_.fd >= 0) close(pub_.fd);
        char extra[256];
        std::snprintf(extra, sizeof extra,
                      ", \"size\": %zu, \"rate\": %.1f, \"answered_publishes\": %" PRIu64, o_.size,
                      o_.rate, pub_.answered);
        rt::print_json("sse", o_.connections, conns_.open, connect_s, delivered_,
                       static_cast<double>(me_ - ms_) / 1e9, hist_, errors_,
                       pub_.published_in_window, extra);
        return 0;
    }

  private:
    bool parse(std::size_t i) {
        rt::Conn& c = conns_.all[i];
        std::size_t pos = 0;
        if (c.state == 0) {
            auto end = c.in.find("\r\n\r\n");
            if (end == std::string::npos) return true;
            if (!c.in.starts_with("HTTP/1.1 200")) {
                conns_.fail(i, errors_.handshake);
                return false;
            }
            conns_.opened(i);
            pos = end + 4;
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
                pub_.deliveries.on_delivery(seq);
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

    void publish(std::int64_t now) {
        if (running_) pub_.publish_due(now, static_cast<std::uint32_t>(conns_.open), ms_);
    }

    void poll(int timeout_ms) {
        conns_.poll(timeout_ms, pub_, [&](std::size_t i) { return parse(i); });
        publish(now_ns());
    }

    Options o_;
    rt::Errors errors_;
    bool running_ = false;
    int epfd_ = -1;
    rt::Conns<rt::Conn> conns_;
    rt::Publisher pub_;
    rt::Histogram hist_;
    std::uint64_t delivered_ = 0;
    std::int64_t ms_ = 0, me_ = 0;
};

[[noreturn]] void usage() {
    std::fprintf(
        stderr,
        "usage: ssebench --port N [--path P] [--publish-path P] [--connections N] [--rate R]\n"
        "                [--window W] [--size S] [--duration D] [--warmup W]\n"
        "                [--connect-timeout S]\n");
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    rt::parse_options(argc, argv, o, usage);
    if (!o.valid()) usage();
    return Bench(std::move(o)).run();
}
