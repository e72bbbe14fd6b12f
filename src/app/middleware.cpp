#include <gannet/middleware.hpp>

#include <chrono>
#include <cstdio>
#include <string>

namespace gannet::middleware {

namespace {

double elapsed_ms(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since)
        .count();
}

}  // namespace

Middleware access_log(std::FILE* out) {
    return [out](Request& req, Next next) -> Task<Response> {
        auto start = std::chrono::steady_clock::now();
        // Copied first: the views into the read buffer are still valid after next() returns,
        // but the handler may have moved on to streaming.
        std::string line = std::string(req.remote_address()) + " \"" + std::string(req.method()) +
                           " " + std::string(req.target()) + " HTTP/1." +
                           std::to_string(req.version_minor()) + "\"";
        Response res = co_await next(req);
        std::fprintf(out, "%s %d %.2fms\n", line.c_str(),
                     res.is_already_sent() ? 200 : res.status(), elapsed_ms(start));
        std::fflush(out);
        co_return res;
    };
}

Middleware response_time() {
    return [](Request& req, Next next) -> Task<Response> {
        auto start = std::chrono::steady_clock::now();
        Response res = co_await next(req);
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.3fms", elapsed_ms(start));
        if (!res.is_already_sent()) res.header("X-Response-Time", buf);
        co_return res;
    };
}

}  // namespace gannet::middleware
