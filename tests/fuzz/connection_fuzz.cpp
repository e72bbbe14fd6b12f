// A whole HTTP connection fed from the fuzz input: a real worker, a real Connection, a
// socketpair carrying the input (then EOF). Exercises parsing, pipelining, bodies (length and
// chunked), 100-continue, error answers and the close paths together, under ASan/UBSan.
#include "http/connection.hpp"
#include "io/worker.hpp"

#include <gannet/request.hpp>
#include <gannet/response.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <memory>

using namespace gannet;

namespace {

Task<Response> read_body(Request& req) {
    std::size_t n = 0;
    while (auto chunk = co_await req.body().read()) n += chunk->size();
    if (req.body().error() != 0) co_return Response::status_only(req.body().error());
    co_return Response::text(std::to_string(n));
}

class FuzzService final : public http::Service {
  public:
    bool handle(Request& req, Response& res, Task<Response>& task) override {
        if (req.method() == "POST") {
            req.set_body_limit(4096);
            task = read_body(req);
            return false;
        }
        res = Response::text(req.path());
        return true;
    }
    void on_protocol_error(int, std::string_view) noexcept override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) return 0;
    // Inputs are small; the socket buffer holds them whole. Then EOF.
    std::size_t off = 0;
    while (off < size) {
        ssize_t n = ::write(sv[1], data + off, size - off);
        if (n <= 0) break;
        off += static_cast<std::size_t>(n);
    }
    ::shutdown(sv[1], SHUT_WR);

    http::ServerLimits limits;
    limits.parser = {256, 1024, 16};
    limits.header_timeout_ms = limits.idle_timeout_ms = limits.body_timeout_ms =
        limits.write_timeout_ms = 50;
    limits.body_window = 1024;
    FuzzService service;
    {
        io::Worker worker(0);
        worker.on_session_end = [&worker] {
            if (worker.sessions() == 0) worker.stop();
        };
        worker.post([&] {
            auto c = std::make_unique<http::Connection>(sv[0], limits, service, "fuzz");
            http::Connection* cp = c.get();
            worker.adopt(std::move(c));
            cp->start();
        });
        worker.run();
    }
    // Drain and discard what the server answered.
    char sink[4096];
    while (::read(sv[1], sink, sizeof sink) > 0) {
    }
    ::close(sv[1]);
    return 0;
}
