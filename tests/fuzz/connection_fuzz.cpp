// A whole HTTP connection fed from the fuzz input: a real worker, a real Connection, an
// in-memory stream (tests/support/memory_stream.hpp) carrying the input (then EOF). The first
// two bytes choose how many bytes each read returns and each write takes, so partial reads and
// writes are fuzzed too. Exercises parsing, pipelining, bodies (length and chunked),
// 100-continue, error answers and the close paths together, under ASan/UBSan.
#include "http/accept.hpp"
#include "io/worker.hpp"
#include "support/memory_stream.hpp"

#include <gannet/request.hpp>
#include <gannet/response.hpp>

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
    if (size < 2) return 0;
    // 0 means "no limit"; otherwise 1..255 bytes per operation.
    const std::size_t read_limit = data[0] == 0 ? test::MemoryPeer::kUnlimited : data[0];
    const std::size_t write_limit = data[1] == 0 ? test::MemoryPeer::kUnlimited : data[1];
    std::string_view input(reinterpret_cast<const char*>(data + 2), size - 2);

    http::ServerLimits limits;
    limits.parser = {256, 1024, 16};
    limits.header_timeout_ms = limits.idle_timeout_ms = limits.body_timeout_ms =
        limits.write_timeout_ms = limits.linger_timeout_ms = 50;
    limits.body_window = 1024;
    FuzzService service;
    http::ConnectionStats stats;
    {
        io::Worker worker(0);
        worker.on_session_end = [&worker] {
            if (worker.sessions() == 0) worker.stop();
        };
        worker.post([&] {
            auto [stream, peer] = test::make_memory_stream();
            peer->set_read_limit(read_limit);
            peer->set_write_limit(write_limit);
            peer->set_auto_drain(true);
            peer->feed(input);
            peer->hang_up();
            http::serve_stream(std::move(stream), limits, service, stats);
        });
        worker.run();
    }
    return 0;
}
