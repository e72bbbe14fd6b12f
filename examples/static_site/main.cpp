// A static site: files under a directory, with caching headers, conditional requests (304),
// ranges (206) and sendfile, plus a JSON endpoint beside them. (Mounted at "/", the tree answers
// every other path itself, 404 included; App::on_not_found sees only paths outside it.)
//
//   static_site [--port N] [--dir DIR]     (DIR defaults to examples/static_site/public)
//
//   curl -i localhost:8080/                  # index.html
//   curl -i localhost:8080/ -H 'If-None-Match: "<the ETag>"'   # 304 Not Modified
//   curl -i localhost:8080/.env              # 404: dotfiles are never served
#include <gannet/gannet.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

using namespace gannet;

int main(int argc, char** argv) {
    std::uint16_t port = 8080;
    // The directory next to this source file unless told otherwise.
    std::string dir = (std::filesystem::path(__FILE__).parent_path() / "public").string();
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string_view flag = argv[i];
        if (flag == "--port") port = static_cast<std::uint16_t>(std::atoi(argv[i + 1]));
        if (flag == "--dir") dir = argv[i + 1];
    }

    App app;
    // Exact routes win over the static tree mounted at "/".
    app.get("/api/health", [](Request&) { return Response::json(R"({"ok":true})"); });

    StaticOptions options;
    options.max_age = std::chrono::hours(1);  // Cache-Control: public, max-age=3600
    app.static_files("/", dir, options);      // throws now if `dir` is not a readable directory

    app.listen({.port = port});
    std::printf("gannet: listening on http://127.0.0.1:%u (%u workers)\n", app.port(),
                app.threads());
    std::fflush(stdout);
    return app.run();
}
