// A static site: files under a directory, with caching headers, conditional requests (304),
// ranges (206) and sendfile, plus a JSON endpoint beside them. (Mounted at "/", the tree answers
// every other path itself, 404 included; App::on_not_found sees only paths outside it.)
//
//   static_site [--port N] [--dir DIR]     (DIR defaults to examples/static_site/public)
//
//   curl -i localhost:8080/                  # index.html
//   curl -i localhost:8080/ -H 'If-None-Match: "<the ETag>"'   # 304 Not Modified
//   curl -i localhost:8080/.env              # 404: dotfiles are never served
#include "../common/cli.hpp"

#include <gannet/gannet.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

using namespace gannet;

int main(int argc, char** argv) try {
    ExampleCli args =
        parse_example_cli(argc, argv, "static_site [--port N] [--dir DIR]", {"--dir"});
    // The directory next to this source file unless told otherwise.
    std::string dir =
        args.value_or("--dir", (std::filesystem::path(__FILE__).parent_path() / "public").string());

    App app;
    // Exact routes win over the static tree mounted at "/".
    app.get("/api/health", [](Request&) { return Response::json(R"({"ok":true})"); });

    StaticOptions options;
    options.max_age = std::chrono::hours(1);  // Cache-Control: public, max-age=3600
    app.static_files("/", dir, options);      // throws now if `dir` is not a readable directory

    return listen_announce_run(app, {.port = args.port});
} catch (const std::exception& e) {
    std::fprintf(stderr, "static_site: %s\n", e.what());
    return 2;
}
