// The router's pattern compiler and matcher: patterns and paths come from the input (lines;
// a line starting with '/' after "#" is a path to match). Nothing may crash; a registered static
// pattern must match itself.
#include "app/router.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

using namespace gannet::detail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    Router router;
    std::vector<std::string_view> paths;
    std::vector<std::string_view> statics;
    std::uint32_t id = 0;
    bool matching = false;
    while (!in.empty()) {
        std::size_t nl = in.find('\n');
        std::string_view line = in.substr(0, nl);
        in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
        if (line == "#") {
            matching = true;
            continue;
        }
        if (line.size() > 200) continue;  // std::regex recursion on huge patterns is not ours
        if (matching) {
            paths.push_back(line);
            continue;
        }
        const char* method = (id % 3 == 0) ? "GET" : (id % 3 == 1) ? "POST" : "PUT";
        try {
            router.add(method, line, id);
            if (line.find('{') == std::string_view::npos && id % 3 == 0) statics.push_back(line);
        } catch (const RouteError&) {
        }
        ++id;
    }
    std::vector<RouteParam> params;
    std::uint32_t found = 0;
    for (auto p : paths) {
        (void)router.match("GET", p, found, params);
        (void)router.match("HEAD", p, found, params);
        (void)router.allowed_methods(p);
    }
    for (auto s : statics) {
        if (router.match("GET", s, found, params) != MatchKind::found) std::abort();
    }
    return 0;
}
