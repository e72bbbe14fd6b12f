// App::stats(): what the workers count (connections, requests, protocol errors, timeouts) is
// readable from another thread, summed over the workers.
#include <gannet/app.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

namespace gannet {
namespace {

// Sends `request` on a new connection and reads until the server closes it (or 5 s pass).
std::string exchange(std::uint16_t port, const std::string& request) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string out;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
        ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
        char buf[4096];
        for (;;) {
            ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) break;
            out.append(buf, static_cast<std::size_t>(n));
        }
    }
    ::close(fd);
    return out;
}

TEST(AppStats, CountsRequestsProtocolErrorsAndTimeouts) {
    App app;
    app.get("/", [](Request&) { return Response::text("ok"); });
    Config c;
    c.host = "127.0.0.1";
    c.port = 0;
    c.threads = 2;
    c.env_overrides = false;
    c.header_timeout = std::chrono::milliseconds(200);
    app.listen(c);
    app.start();

    EXPECT_NE(exchange(app.port(), "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                  .find("200 OK"),
              std::string::npos);
    EXPECT_NE(exchange(app.port(), "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n").find("400"),
              std::string::npos);
    EXPECT_NE(exchange(app.port(), "GET / HTTP/1.1\r\nHost: x\r\n").find("408"), std::string::npos);

    ServerStats s = app.stats();
    EXPECT_EQ(s.connections, 3u);
    EXPECT_EQ(s.requests, 1u);
    EXPECT_EQ(s.protocol_errors, 2u);  // the 400 and the 408
    EXPECT_GE(s.timeouts, 1u);
    app.stop();
    app.wait();
    EXPECT_EQ(app.stats().requests, 1u);  // still readable after the workers ended
}

}  // namespace
}  // namespace gannet
