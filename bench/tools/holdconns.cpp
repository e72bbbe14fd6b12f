// holdconns: opens N keep-alive connections, sends one GET on each, waits for its answer and then
// holds them idle, so that a harness can read the server's memory with N idle connections.
//
//   holdconns --port N --connections 10000 [--concurrency 256] [--timeout 30] [--path /]
//
// Prints one JSON line when every connection is answered (or failed, or the timeout passed):
//   {"ready": true, "held": H, "failed": F, "seconds": S}
// then waits for a line (or EOF) on standard input, checks how many held connections the server
// has not closed meanwhile, prints {"still_open": N} and exits. It stops by itself after
// --hold seconds (default 60) if nobody asks.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

enum class State { kIdle, kConnecting, kWaiting, kHeld, kFailed };

struct Conn {
    int fd = -1;
    State state = State::kIdle;
    std::string in;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

[[noreturn]] void usage() {
    std::fprintf(stderr,
                 "usage: holdconns --port N --connections N [--concurrency 256] [--timeout 30] [--hold 60]"
                 " [--path /]\n");
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    int port = 0, total = 0, concurrency = 256;
    double timeout = 30, hold = 60;
    std::string path = "/";
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (i + 1 >= argc) usage();
        std::string v = argv[++i];
        if (a == "--port") port = std::atoi(v.c_str());
        else if (a == "--connections") total = std::atoi(v.c_str());
        else if (a == "--concurrency") concurrency = std::atoi(v.c_str());
        else if (a == "--timeout") timeout = std::atof(v.c_str());
        else if (a == "--hold") hold = std::atof(v.c_str());
        else if (a == "--path") path = v;
        else usage();
    }
    if (port <= 0 || total <= 0 || concurrency <= 0) usage();
    signal(SIGPIPE, SIG_IGN);
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < static_cast<rlim_t>(total) + 16) {
        std::fprintf(stderr, "holdconns: RLIMIT_NOFILE %llu is too low for %d connections\n",
                     static_cast<unsigned long long>(rl.rlim_cur), total);
        return 1;
    }

    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n\r\n";

    std::vector<Conn> conns(static_cast<std::size_t>(total));
    int ep = epoll_create1(EPOLL_CLOEXEC);
    std::size_t next = 0;
    int active = 0, held = 0, failed = 0;
    auto t0 = std::chrono::steady_clock::now();

    auto fail = [&](std::size_t i) {
        Conn& c = conns[i];
        if (c.fd >= 0) {
            epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
            close(c.fd);
        }
        c.fd = -1;
        c.state = State::kFailed;
        --active;
        ++failed;
    };

    while ((held + failed < total) && seconds_since(t0) < timeout) {
        while (active < concurrency && next < conns.size()) {
            Conn& c = conns[next];
            c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            ++active;
            if (c.fd < 0) {
                fail(next++);
                continue;
            }
            int r = connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
            if (r != 0 && errno != EINPROGRESS) {
                fail(next++);
                continue;
            }
            c.state = State::kConnecting;
            epoll_event ev{};
            ev.events = EPOLLOUT;
            ev.data.u64 = next;
            epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
            ++next;
        }
        epoll_event events[256];
        int n = epoll_wait(ep, events, 256, 100);
        for (int e = 0; e < n; ++e) {
            auto i = static_cast<std::size_t>(events[e].data.u64);
            Conn& c = conns[i];
            if (c.state == State::kConnecting) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err != 0 || write(c.fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
                    fail(i);
                    continue;
                }
                c.state = State::kWaiting;
                epoll_event ev{};
                ev.events = EPOLLIN;
                ev.data.u64 = i;
                epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
            } else if (c.state == State::kWaiting) {
                char buf[4096];
                ssize_t r = read(c.fd, buf, sizeof buf);
                if (r <= 0) {
                    if (r < 0 && errno == EAGAIN) continue;
                    fail(i);
                    continue;
                }
                c.in.append(buf, static_cast<std::size_t>(r));
                if (c.in.find("\r\n\r\n") == std::string::npos) continue;
                // A 2xx status line is enough: the connection is now an idle keep-alive one.
                bool ok = c.in.rfind("HTTP/1.1 2", 0) == 0;
                epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
                if (!ok) {
                    c.state = State::kWaiting;
                    fail(i);
                    continue;
                }
                c.state = State::kHeld;
                c.in.clear();
                c.in.shrink_to_fit();
                --active;
                ++held;
            }
        }
    }
    // Whatever is still connecting or waiting at the timeout counts as failed.
    for (std::size_t i = 0; i < conns.size(); ++i) {
        if (conns[i].state == State::kConnecting || conns[i].state == State::kWaiting) fail(i);
        else if (conns[i].state == State::kIdle) ++failed;
    }
    std::printf("{\"ready\": true, \"held\": %d, \"failed\": %d, \"seconds\": %.3f}\n", held, failed,
                seconds_since(t0));
    std::fflush(stdout);

    pollfd pfd{0, POLLIN, 0};
    poll(&pfd, 1, static_cast<int>(hold * 1000));

    int still_open = 0;
    for (auto& c : conns) {
        if (c.state != State::kHeld) continue;
        char b;
        ssize_t r = recv(c.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
        if (r > 0 || (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))) ++still_open;
    }
    std::printf("{\"still_open\": %d}\n", still_open);
    std::fflush(stdout);
    return 0;
}
