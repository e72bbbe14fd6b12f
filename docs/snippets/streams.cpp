#include <gannet/gannet.hpp>

#include <cstdio>
using namespace gannet;

int main() {
    App app;
    // A streamed request body: chunks as they arrive; the socket is read only when you ask.
    app.post(
        "/upload",
        [](Request& req) -> Task<Response> {
            std::uint64_t bytes = 0;
            while (auto chunk = co_await req.body().read()) bytes += chunk->size();
            if (int err = req.body().error()) throw HttpError(err);  // 413, 408, 400, 499
            co_return Response::text(std::to_string(bytes) + " bytes\n");
        },
        RouteOptions{.max_body = std::uint64_t{4} << 30});  // this route: up to 4 GiB

    // A streamed response: chunked, with backpressure; write() is false once the client left.
    app.get("/report", [](Request&, ResponseStream& out) -> Task<> {
        out.content_type("text/csv");
        for (int i = 0; i < 100'000; ++i) {
            bool sent = co_await out.write(std::to_string(i) + ",row\n");
            if (!sent) co_return;
        }
    });

    // Blocking work (files, legacy clients) goes to the pool; the worker keeps serving.
    app.get("/hostname", [](Request&) -> Task<Response> {
        std::string name = co_await offload([] {
            char buf[256] = {};
            std::FILE* f = std::fopen("/etc/hostname", "r");
            if (f) {
                if (!std::fgets(buf, sizeof buf, f)) buf[0] = 0;
                std::fclose(f);
            }
            return std::string(buf);
        });
        co_return Response::text(name);
    });
    return app.listen({.port = 8080}).run();
}
