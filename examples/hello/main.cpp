// The reference app (DESIGN.md section 7): what the benchmarks, the integration tests and the
// README use. Keep these routes stable.
//
//   hello [--port N] [--threads N] [--host ADDR]
//         [--header-timeout MS] [--idle-timeout MS] [--body-timeout MS] [--write-timeout MS]
//         [--shutdown-timeout MS] [--max-body BYTES] [--max-connections N] [--access-log]
#include "reference_routes.hpp"

#include <gannet/gannet.hpp>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

using namespace gannet;
using namespace std::chrono_literals;

namespace {

std::uint64_t number(std::string_view flag, const char* value) {
    if (!value) throw std::invalid_argument(std::string(flag) + " needs a value");
    std::uint64_t out = 0;
    std::string_view v = value;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (v.empty() || ec != std::errc() || p != v.data() + v.size()) {
        throw std::invalid_argument(std::string(flag) + ": '" + value + "' is not a number");
    }
    return out;
}

struct Options {
    Config config;
    bool access_log = false;
    std::string files;  // --files DIR: served at /files
};

Options parse_args(int argc, char** argv) {
    Options o;
    o.config.port = 8080;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
        auto ms = [&] { return std::chrono::milliseconds(number(a, v)); };
        if (a == "--port") {
            auto p = number(a, v);
            if (p > 65535)
                throw std::invalid_argument("--port: " + std::to_string(p) + " is not a port");
            o.config.port = static_cast<std::uint16_t>(p);
        } else if (a == "--threads") {
            o.config.threads = static_cast<unsigned>(number(a, v));
        } else if (a == "--host") {
            if (!v) throw std::invalid_argument("--host needs a value");
            o.config.host = v;
        } else if (a == "--header-timeout") {
            o.config.header_timeout = ms();
        } else if (a == "--idle-timeout") {
            o.config.idle_timeout = ms();
        } else if (a == "--body-timeout") {
            o.config.body_timeout = ms();
        } else if (a == "--write-timeout") {
            o.config.write_timeout = ms();
        } else if (a == "--shutdown-timeout") {
            o.config.shutdown_timeout = ms();
        } else if (a == "--max-body") {
            o.config.max_body = number(a, v);
        } else if (a == "--max-connections") {
            o.config.max_connections = number(a, v);
        } else if (a == "--files") {
            if (!v) throw std::invalid_argument("--files needs a directory");
            o.files = v;
        } else if (a == "--access-log") {
            o.access_log = true;
            continue;
        } else if (a == "--help" || a == "-h") {
            std::puts(
                "usage: hello [--port N] [--threads N] [--host ADDR] [--header-timeout MS]\n"
                "             [--idle-timeout MS] [--body-timeout MS] [--write-timeout MS]\n"
                "             [--shutdown-timeout MS] [--max-body BYTES] [--max-connections N]\n"
                "             [--access-log]");
            std::exit(0);
        } else {
            throw std::invalid_argument("unknown option '" + std::string(a) + "' (try --help)");
        }
        ++i;
    }
    return o;
}

}  // namespace

int main(int argc, char** argv) try {
    Options opts = parse_args(argc, argv);
    App app;
    if (opts.access_log) app.use(middleware::access_log());

    app.get("/", [](Request&) { return Response::text("Hello, World!"); });
    add_reference_routes(app);
    if (!opts.files.empty()) app.static_files("/files", opts.files);

    app.listen(opts.config);
    std::printf("gannet: listening on http://%s:%u (%u workers)\n",
                opts.config.host == "0.0.0.0" ? "127.0.0.1" : opts.config.host.c_str(), app.port(),
                app.threads());
    std::fflush(stdout);
    int rc = app.run();
    std::printf("gannet: stopped\n");
    return rc;
} catch (const std::exception& e) {
    std::fprintf(stderr, "hello: %s\n", e.what());
    return 2;
}
