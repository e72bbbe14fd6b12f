// Router::match cost on a GitHub-API-like table of 50 routes (Google Benchmark).
// Build: g++ -std=c++20 -O2 -DNDEBUG -Iinclude -Isrc src/app/router.cpp
//        bench/micro/router_bench.cpp -lbenchmark -lbenchmark_main -pthread
#include "app/router.hpp"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using gannet::detail::MatchKind;
using gannet::detail::RouteParam;
using gannet::detail::Router;

const Router& api_router() {
    static const Router router = [] {
        const std::vector<std::pair<const char*, const char*>> routes = {
            {"GET", "/"},
            {"GET", "/user"},
            {"GET", "/user/repos"},
            {"POST", "/user/repos"},
            {"GET", "/users/{username}"},
            {"GET", "/users/{username}/repos"},
            {"GET", "/users/{username}/followers"},
            {"GET", "/users/{username}/following"},
            {"GET", "/users/{username}/following/{target_user}"},
            {"GET", "/users/{username}/gists"},
            {"GET", "/orgs/{org}"},
            {"PATCH", "/orgs/{org}"},
            {"GET", "/orgs/{org}/repos"},
            {"POST", "/orgs/{org}/repos"},
            {"GET", "/orgs/{org}/members/{username}"},
            {"DELETE", "/orgs/{org}/members/{username}"},
            {"GET", "/repos/{owner}/{repo}"},
            {"PATCH", "/repos/{owner}/{repo}"},
            {"DELETE", "/repos/{owner}/{repo}"},
            {"GET", "/repos/{owner}/{repo}/issues"},
            {"POST", "/repos/{owner}/{repo}/issues"},
            {"GET", "/repos/{owner}/{repo}/issues/{issue_number:int}"},
            {"PATCH", "/repos/{owner}/{repo}/issues/{issue_number:int}"},
            {"GET", "/repos/{owner}/{repo}/issues/{issue_number:int}/comments"},
            {"POST", "/repos/{owner}/{repo}/issues/{issue_number:int}/comments"},
            {"GET", "/repos/{owner}/{repo}/issues/comments"},
            {"GET", "/repos/{owner}/{repo}/issues/comments/{comment_id:int}"},
            {"GET", "/repos/{owner}/{repo}/pulls"},
            {"POST", "/repos/{owner}/{repo}/pulls"},
            {"GET", "/repos/{owner}/{repo}/pulls/{pull_number:int}"},
            {"GET", "/repos/{owner}/{repo}/pulls/{pull_number:int}/files"},
            {"GET", "/repos/{owner}/{repo}/pulls/{pull_number:int}/merge"},
            {"PUT", "/repos/{owner}/{repo}/pulls/{pull_number:int}/merge"},
            {"GET", "/repos/{owner}/{repo}/commits"},
            {"GET", "/repos/{owner}/{repo}/commits/{ref}"},
            {"GET", "/repos/{owner}/{repo}/branches/{branch}"},
            {"GET", "/repos/{owner}/{repo}/contents/{*path}"},
            {"PUT", "/repos/{owner}/{repo}/contents/{*path}"},
            {"GET", "/repos/{owner}/{repo}/git/refs/{*ref}"},
            {"GET", "/repos/{owner}/{repo}/releases/latest"},
            {"GET", "/repos/{owner}/{repo}/releases/{release_id:int}"},
            {"GET", "/repos/{owner}/{repo}/releases/tags/{tag}"},
            {"GET", "/repos/{owner}/{repo}/compare/{basehead:[^.]+\\.\\.\\.[^.]+}"},
            {"GET", "/gists/{gist_id:[0-9a-f]+}"},
            {"GET", "/gists/public"},
            {"GET", "/gists/starred"},
            {"GET", "/search/repositories"},
            {"GET", "/rate_limit"},
            {"GET", "/notifications"},
            {"PUT", "/notifications"},
        };
        Router r;
        std::uint32_t id = 0;
        for (const auto& [method, pattern] : routes) r.add(method, pattern, id++);
        return r;
    }();
    return router;
}

void run(benchmark::State& state, std::string_view method, std::string_view path,
         MatchKind expected) {
    const Router& router = api_router();
    std::vector<RouteParam> params;
    params.reserve(8);
    std::uint32_t id = 0;
    if (router.match(method, path, id, params) != expected) {
        state.SkipWithError("unexpected match result");
        return;
    }
    for (auto _ : state) {
        benchmark::DoNotOptimize(path.data());
        MatchKind kind = router.match(method, path, id, params);
        benchmark::DoNotOptimize(kind);
        benchmark::DoNotOptimize(params.data());
    }
}

void bm_static(benchmark::State& s) {
    run(s, "GET", "/user/repos", MatchKind::found);
}
void bm_static_root(benchmark::State& s) {
    run(s, "GET", "/", MatchKind::found);
}
void bm_two_params(benchmark::State& s) {
    run(s, "GET", "/repos/octocat/hello", MatchKind::found);
}
void bm_three_params_int(benchmark::State& s) {
    run(s, "GET", "/repos/octocat/hello/issues/1347/comments", MatchKind::found);
}
void bm_wildcard(benchmark::State& s) {
    run(s, "GET", "/repos/o/r/contents/src/app/router.cpp", MatchKind::found);
}
void bm_regex(benchmark::State& s) {
    run(s, "GET", "/gists/deadbeef", MatchKind::found);
}
void bm_head_fallback(benchmark::State& s) {
    run(s, "HEAD", "/user/repos", MatchKind::found);
}
void bm_not_found(benchmark::State& s) {
    run(s, "GET", "/repos/o/r/nope", MatchKind::not_found);
}
void bm_method_not_allowed(benchmark::State& s) {
    run(s, "POST", "/repos/o/r", MatchKind::method_not_allowed);
}

BENCHMARK(bm_static);
BENCHMARK(bm_static_root);
BENCHMARK(bm_two_params);
BENCHMARK(bm_three_params_int);
BENCHMARK(bm_wildcard);
BENCHMARK(bm_regex);
BENCHMARK(bm_head_fallback);
BENCHMARK(bm_not_found);
BENCHMARK(bm_method_not_allowed);

}  // namespace
