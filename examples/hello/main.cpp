// The reference app (docs/architecture.md, "The reference app"): what the benchmarks, the integration tests and the
// README use. Keep these routes stable.
//
//   hello [--port N] [--threads N] [--host ADDR]
//         [--header-timeout MS] [--idle-timeout MS] [--body-timeout MS] [--write-timeout MS]
//         [--shutdown-timeout MS] [--max-body BYTES] [--max-connections N] [--access-log]
#include "../common/cli.hpp"
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

int main(int argc, char** argv) try {
    CliOptions opts = parse_cli(argc, argv, "hello");
    App app;
    if (opts.access_log) app.use(middleware::access_log());

    app.get("/", [](Request&) { return Response::text("Hello, World!"); });
    add_reference_routes(app);
    if (!opts.files.empty()) app.static_files("/files", opts.files);

    return listen_announce_run(app, opts.config);
} catch (const std::exception& e) {
    std::fprintf(stderr, "hello: %s\n", e.what());
    return 2;
}
