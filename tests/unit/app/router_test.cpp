// Tests for the router (src/app/router.hpp).
#include "app/router.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <memory>
#include <optional>
#include <random>
// GCC 12 reports a false -Wmaybe-uninitialized inside libstdc++'s regex compiler at -O1 with
// sanitizers (GCC bug 105562); the pragma is location-based, so it only covers <regex> itself.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#pragma GCC diagnostic pop
#else
#include <regex>
#endif
#include <string>
#include <utility>
#include <vector>

// Allocation counting for the "match allocates nothing" test. All unit tests share one binary,
// so rather than replacing the global operator new for everyone (which would also switch off
// AddressSanitizer's new/delete mismatch checks), this uses the sanitizer runtime's additive
// malloc hooks; those see every allocation, operator new included. Without a sanitizer the test
// is skipped.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define GANNET_ROUTER_TEST_HOOKS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define GANNET_ROUTER_TEST_HOOKS 1
#endif
#endif

#ifdef GANNET_ROUTER_TEST_HOOKS
#if __has_include(<sanitizer/allocator_interface.h>)
#include <sanitizer/allocator_interface.h>
#else
// GCC does not ship the sanitizer headers; this is the runtime's declaration.
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void*,
                                                                             std::size_t),
                                                         void (*free_hook)(const volatile void*));
#endif
#endif

namespace {
std::atomic<bool> g_count_allocations{false};
std::atomic<std::size_t> g_allocations{0};

#ifdef GANNET_ROUTER_TEST_HOOKS
void on_malloc(const volatile void*, std::size_t) {
    if (g_count_allocations.load(std::memory_order_relaxed))
        g_allocations.fetch_add(1, std::memory_order_relaxed);
}
void on_free(const volatile void*) {}

// The hooks cannot be removed, so they are installed once and gated by the flag.
bool install_allocation_hooks() {
    static const bool installed = __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
    return installed;
}
#else
bool install_allocation_hooks() {
    return false;
}
#endif
}  // namespace

namespace gannet::detail {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

// Concatenates without `"literal" + std::string&&`, which trips GCC 12's false -Wrestrict at -O3
// (GCC bug 105329).
template <typename... Parts>
std::string cat(const Parts&... parts) {
    std::string out;
    (out.append(parts), ...);
    return out;
}

struct Result {
    MatchKind kind = MatchKind::not_found;
    std::uint32_t id = 0;
    Params params;
};

Result run(const Router& router, std::string_view method, std::string_view path) {
    Result r;
    std::vector<RouteParam> params;
    std::uint32_t id = 9999;
    r.kind = router.match(method, path, id, params);
    if (r.kind == MatchKind::found) r.id = id;
    for (const RouteParam& p : params) r.params.emplace_back(p.name, p.value);
    return r;
}

// Expects `path` to match route `id` under `method` with exactly `params`.
void expect_found(const Router& router, std::string_view method, std::string_view path,
                  std::uint32_t id, const Params& params = {}) {
    const Result r = run(router, method, path);
    EXPECT_EQ(r.kind, MatchKind::found) << method << " " << path;
    EXPECT_EQ(r.id, id) << method << " " << path;
    EXPECT_EQ(r.params, params) << method << " " << path;
}

void expect_kind(const Router& router, std::string_view method, std::string_view path,
                 MatchKind kind) {
    const Result r = run(router, method, path);
    EXPECT_EQ(r.kind, kind) << method << " " << path;
    EXPECT_TRUE(r.params.empty()) << method << " " << path;
}

// Returns the RouteError message from adding the route, or "" when it was accepted.
std::string add_error(Router& router, std::string_view method, std::string_view pattern,
                      std::uint32_t id = 0) {
    try {
        router.add(method, pattern, id);
    } catch (const RouteError& e) {
        return e.what();
    }
    return {};
}

// ---------------------------------------------------------------------------------------------
// Segment kinds

TEST(RouterStatic, MatchesExactBytes) {
    Router r;
    r.add("GET", "/", 1);
    r.add("GET", "/users", 2);
    r.add("GET", "/users/", 3);
    r.add("GET", "/users/list", 4);
    r.add("GET", "/user", 5);
    r.add("GET", "/a/b/c/d", 6);
    expect_found(r, "GET", "/", 1);
    expect_found(r, "GET", "/users", 2);
    expect_found(r, "GET", "/users/", 3);
    expect_found(r, "GET", "/users/list", 4);
    expect_found(r, "GET", "/user", 5);
    expect_found(r, "GET", "/a/b/c/d", 6);
    for (const char* path : {"", "/Users", "/users/list/", "/userss", "/use", "/a/b/c", "/a/b/c/",
                             "/a/b/c/dd", "//", "*", "users"}) {
        expect_kind(r, "GET", path, MatchKind::not_found);
    }
}

TEST(RouterStatic, ManySiblingsAndSplitNodes) {
    Router r;
    // Registered so that later routes split earlier nodes at every possible byte.
    std::vector<std::string> paths;
    paths.reserve(210);
    for (int i = 0; i < 200; ++i) paths.push_back(cat("/r", std::to_string(i)));
    paths.insert(paths.end(), {"/search", "/sea", "/se", "/s", "/seat", "/searches", "/search/x"});
    for (std::size_t i = 0; i < paths.size(); ++i)
        r.add("GET", paths[i], static_cast<std::uint32_t>(i));
    for (std::size_t i = 0; i < paths.size(); ++i)
        expect_found(r, "GET", paths[i], static_cast<std::uint32_t>(i));
    expect_kind(r, "GET", "/r200", MatchKind::not_found);
    expect_kind(r, "GET", "/searc", MatchKind::not_found);
}

TEST(RouterPlainParam, MatchesOneNonEmptySegment) {
    Router r;
    r.add("GET", "/users/{id}", 1);
    r.add("GET", "/users/{id}/posts/{post_id}", 2);
    r.add("GET", "/{a}/{b}/{c}", 3);
    expect_found(r, "GET", "/users/42", 1, {{"id", "42"}});
    expect_found(r, "GET", "/users/a.b-c~d", 1, {{"id", "a.b-c~d"}});
    expect_found(r, "GET", "/users/7/posts/x", 2, {{"id", "7"}, {"post_id", "x"}});
    expect_found(r, "GET", "/x/y/z", 3, {{"a", "x"}, {"b", "y"}, {"c", "z"}});
    expect_kind(r, "GET", "/users/", MatchKind::not_found);  // empty segment
    expect_kind(r, "GET", "/users//posts/x", MatchKind::not_found);
    expect_kind(r, "GET", "/users/7/posts/", MatchKind::not_found);
    expect_kind(r, "GET", "/users/7/", MatchKind::not_found);
}

TEST(RouterPlainParam, ValuesAreRawViewsIntoThePath) {
    Router r;
    r.add("GET", "/files/{name}", 1);
    const std::string path = "/files/a%2Fb%20c";
    std::vector<RouteParam> params;
    std::uint32_t id = 0;
    ASSERT_EQ(r.match("GET", path, id, params), MatchKind::found);
    ASSERT_EQ(params.size(), 1u);
    EXPECT_EQ(params[0].value, "a%2Fb%20c");  // still percent-encoded
    EXPECT_EQ(params[0].value.data(), path.data() + 7);
}

TEST(RouterIntParam, AcceptsInt64Only) {
    Router r;
    r.add("GET", "/n/{v:int}", 1);
    for (const char* ok : {"0", "7", "-0", "-5", "007", "123456789", "9223372036854775807",
                           "-9223372036854775808", "00000000000000000000009223372036854775807"}) {
        expect_found(r, "GET", std::string("/n/") + ok, 1, {{"v", ok}});
    }
    for (const char* bad : {"9223372036854775808", "-9223372036854775809", "18446744073709551616",
                            "99999999999999999999999", "-", "+1", "1.5", "12a", "a12", " 1", "1e3",
                            "0x10", "--1", "1-"}) {
        expect_kind(r, "GET", std::string("/n/") + bad, MatchKind::not_found);
    }
}

TEST(RouterIntParam, OutOfRangeFallsBackToPlainParam) {
    Router r;
    r.add("GET", "/n/{v:int}", 1);
    r.add("GET", "/n/{s}", 2);
    expect_found(r, "GET", "/n/9223372036854775807", 1, {{"v", "9223372036854775807"}});
    expect_found(r, "GET", "/n/9223372036854775808", 2, {{"s", "9223372036854775808"}});
    expect_found(r, "GET", "/n/-9223372036854775808", 1, {{"v", "-9223372036854775808"}});
    expect_found(r, "GET", "/n/-9223372036854775809", 2, {{"s", "-9223372036854775809"}});
}

TEST(RouterRegexParam, MustMatchTheWholeSegment) {
    Router r;
    r.add("GET", "/slug/{s:[a-z]+}", 1);
    r.add("GET", "/code/{c:[0-9]{3}}", 2);  // braces inside the regex
    r.add("GET", "/lit/{x:a\\}b}", 3);      // escaped brace
    r.add("GET", "/cls/{x:[}{]+}", 4);      // braces inside a class
    r.add("GET", "/alt/{x:foo|bar}", 5);    // alternation must not match a prefix only
    r.add("GET", "/uuid/{id:[0-9a-f]{8}-[0-9a-f]{4}}", 6);
    expect_found(r, "GET", "/slug/abc", 1, {{"s", "abc"}});
    expect_kind(r, "GET", "/slug/abc1", MatchKind::not_found);
    expect_kind(r, "GET", "/slug/1abc", MatchKind::not_found);
    expect_kind(r, "GET", "/slug/ABC", MatchKind::not_found);
    expect_found(r, "GET", "/code/404", 2, {{"c", "404"}});
    expect_kind(r, "GET", "/code/4040", MatchKind::not_found);
    expect_kind(r, "GET", "/code/40", MatchKind::not_found);
    expect_found(r, "GET", "/lit/a}b", 3, {{"x", "a}b"}});
    expect_found(r, "GET", "/cls/}{}", 4, {{"x", "}{}"}});
    expect_found(r, "GET", "/alt/foo", 5, {{"x", "foo"}});
    expect_found(r, "GET", "/alt/bar", 5, {{"x", "bar"}});
    expect_kind(r, "GET", "/alt/foobar", MatchKind::not_found);
    expect_found(r, "GET", "/uuid/deadbeef-0123", 6, {{"id", "deadbeef-0123"}});
    expect_kind(r, "GET", "/uuid/deadbeef-012", MatchKind::not_found);
}

TEST(RouterRegexParam, NeverMatchesAcrossSlashesOrEmptySegments) {
    Router r;
    r.add("GET", "/any/{x:.*}", 1);
    r.add("GET", "/cls/{x:[^/]*}", 2);
    expect_found(r, "GET", "/any/a", 1, {{"x", "a"}});
    expect_kind(r, "GET", "/any/a/b", MatchKind::not_found);
    expect_kind(r, "GET", "/any/", MatchKind::not_found);
    expect_found(r, "GET", "/cls/abc", 2, {{"x", "abc"}});
}

TEST(RouterRegexParam, OverlongSegmentNeverMatchesARegex) {
    Router r;
    r.add("GET", "/t/{x:[a-z]+}", 1);
    r.add("GET", "/t/{y}", 2);
    const std::string ok(1024, 'a');
    const std::string too_long(1025, 'a');
    expect_found(r, "GET", "/t/" + ok, 1, {{"x", ok}});
    expect_found(r, "GET", "/t/" + too_long, 2, {{"y", too_long}});
    // Far beyond what libstdc++'s recursive matcher survives: must not crash.
    const std::string huge(200000, 'a');
    expect_found(r, "GET", "/t/" + huge, 2, {{"y", huge}});
}

TEST(RouterWildcard, MatchesTheRestIncludingSlashesAndEmpty) {
    Router r;
    r.add("GET", "/assets/{*path}", 1);
    expect_found(r, "GET", "/assets/a/b.css", 1, {{"path", "a/b.css"}});
    expect_found(r, "GET", "/assets/x", 1, {{"path", "x"}});
    expect_found(r, "GET", "/assets/", 1, {{"path", ""}});
    expect_found(r, "GET", "/assets//", 1, {{"path", "/"}});
    expect_found(r, "GET", "/assets/a/", 1, {{"path", "a/"}});
    // Documented choice: the form without the trailing slash matches with an empty value.
    expect_found(r, "GET", "/assets", 1, {{"path", ""}});
    expect_kind(r, "GET", "/assetsx", MatchKind::not_found);
    expect_kind(r, "GET", "/asset", MatchKind::not_found);
    expect_kind(r, "GET", "/", MatchKind::not_found);
}

TEST(RouterWildcard, EmptyValueIsAViewIntoThePath) {
    Router r;
    r.add("GET", "/assets/{*path}", 1);
    for (const std::string path : {"/assets", "/assets/"}) {
        std::vector<RouteParam> params;
        std::uint32_t id = 0;
        ASSERT_EQ(r.match("GET", path, id, params), MatchKind::found);
        ASSERT_EQ(params.size(), 1u);
        EXPECT_TRUE(params[0].value.empty());
        EXPECT_EQ(params[0].value.data(), path.data() + path.size());
    }
}

TEST(RouterWildcard, AtRootCatchesEverything) {
    Router r;
    r.add("GET", "/{*all}", 1);
    r.add("GET", "/api/status", 2);
    expect_found(r, "GET", "/", 1, {{"all", ""}});
    expect_found(r, "GET", "/x", 1, {{"all", "x"}});
    expect_found(r, "GET", "/api/status/more", 1, {{"all", "api/status/more"}});
    expect_found(r, "GET", "/api", 1, {{"all", "api"}});
    expect_found(r, "GET", "/api/status", 2);
    expect_kind(r, "GET", "", MatchKind::not_found);
    expect_kind(r, "GET", "*", MatchKind::not_found);
}

TEST(RouterWildcard, AfterAParameter) {
    Router r;
    r.add("GET", "/files/{user}/{*rest}", 1);
    expect_found(r, "GET", "/files/bob/a/b", 1, {{"user", "bob"}, {"rest", "a/b"}});
    expect_found(r, "GET", "/files/bob/", 1, {{"user", "bob"}, {"rest", ""}});
    expect_found(r, "GET", "/files/bob", 1, {{"user", "bob"}, {"rest", ""}});
    expect_kind(r, "GET", "/files/", MatchKind::not_found);
    expect_kind(r, "GET", "/files", MatchKind::not_found);
}

TEST(RouterWildcard, ExplicitRoutesWinOverIt) {
    for (const bool wildcard_first : {true, false}) {
        Router r;
        const auto add_wildcard = [&] { r.add("GET", "/assets/{*path}", 1); };
        if (wildcard_first) add_wildcard();
        r.add("GET", "/assets", 2);
        r.add("GET", "/assets/", 3);
        r.add("GET", "/assets/logo.png", 4);
        r.add("GET", "/assets/{name}", 5);
        if (!wildcard_first) add_wildcard();
        expect_found(r, "GET", "/assets", 2);
        expect_found(r, "GET", "/assets/", 3);
        expect_found(r, "GET", "/assets/logo.png", 4);
        expect_found(r, "GET", "/assets/other.png", 5, {{"name", "other.png"}});
        expect_found(r, "GET", "/assets/img/logo.png", 1, {{"path", "img/logo.png"}});
        expect_found(r, "GET", "/assets/logo.png/x", 1, {{"path", "logo.png/x"}});
    }
}

TEST(RouterWildcard, SlashlessFormFollowsMethodAndPriority) {
    Router r;
    r.add("GET", "/assets/{*path}", 1);
    r.add("POST", "/assets", 2);
    expect_found(r, "GET", "/assets", 1, {{"path", ""}});
    expect_found(r, "POST", "/assets", 2);
    expect_kind(r, "POST", "/assets/x", MatchKind::method_not_allowed);
    EXPECT_EQ(r.allowed_methods("/assets"), "GET, HEAD, OPTIONS, POST");
}

// ---------------------------------------------------------------------------------------------
// Priority and backtracking

TEST(RouterPriority, IndependentOfRegistrationOrder) {
    // Every permutation of five routes competing for the same segment.
    const std::array<std::string_view, 5> patterns = {"/p/me", "/p/{id:int}", "/p/{s:[a-z0-9]+}",
                                                      "/p/{name}", "/p/{*rest}"};
    std::array<std::uint32_t, 5> order = {0, 1, 2, 3, 4};
    int permutations = 0;
    do {
        Router r;
        for (const std::uint32_t i : order) r.add("GET", patterns[i], i);
        expect_found(r, "GET", "/p/me", 0);
        expect_found(r, "GET", "/p/42", 1, {{"id", "42"}});
        expect_found(r, "GET", "/p/-42", 1, {{"id", "-42"}});
        expect_found(r, "GET", "/p/a-b", 3, {{"name", "a-b"}});  // '-' fails the regex
        expect_found(r, "GET", "/p/abc9", 2, {{"s", "abc9"}});
        expect_found(r, "GET", "/p/mee", 2, {{"s", "mee"}});
        expect_found(r, "GET", "/p/ABC", 3, {{"name", "ABC"}});
        expect_found(r, "GET", "/p/a/b", 4, {{"rest", "a/b"}});
        expect_found(r, "GET", "/p/", 4, {{"rest", ""}});
        expect_found(r, "GET", "/p", 4, {{"rest", ""}});
        ++permutations;
    } while (std::next_permutation(order.begin(), order.end()));
    EXPECT_EQ(permutations, 120);
}

TEST(RouterPriority, IntBeforeRegexAndRegexesOrderedBySourceText) {
    // Sibling regexes are tried in the byte order of their source text, int before any regex.
    const std::array<std::string_view, 3> patterns = {"/x/{a:[0-9]+}", "/x/{b:\\d+}", "/x/{c:int}"};
    std::array<std::uint32_t, 3> order = {0, 1, 2};
    do {
        Router r;
        for (const std::uint32_t i : order) r.add("GET", patterns[i], i);
        expect_found(r, "GET", "/x/12", 2, {{"c", "12"}});
        // Too large for int: "[0-9]+" < "\\d+" byte-wise ('[' is 0x5B, '\\' 0x5C).
        expect_found(r, "GET", "/x/99999999999999999999", 0, {{"a", "99999999999999999999"}});
    } while (std::next_permutation(order.begin(), order.end()));
}

TEST(RouterPriority, StaticBeatsParamOnlyPerSegment) {
    Router r;
    r.add("GET", "/{a}/static", 1);
    r.add("GET", "/static/{b}", 2);
    // First segment decides: static "static" beats {a}.
    expect_found(r, "GET", "/static/static", 2, {{"b", "static"}});
    expect_found(r, "GET", "/other/static", 1, {{"a", "other"}});
}

TEST(RouterBacktracking, FallsBackWhenADeeperSegmentFails) {
    for (const bool reversed : {false, true}) {
        Router r;
        std::vector<std::pair<std::string_view, std::uint32_t>> routes = {
            {"/users/{id:int}/posts", 1}, {"/users/{name}/profile", 2}};
        if (reversed) std::reverse(routes.begin(), routes.end());
        for (const auto& [p, id] : routes) r.add("GET", p, id);
        expect_found(r, "GET", "/users/42/posts", 1, {{"id", "42"}});
        expect_found(r, "GET", "/users/42/profile", 2, {{"name", "42"}});
        expect_found(r, "GET", "/users/bob/profile", 2, {{"name", "bob"}});
        expect_kind(r, "GET", "/users/bob/posts", MatchKind::not_found);
    }
}

TEST(RouterBacktracking, ThroughStaticPrefixesAndSeveralLevels) {
    Router r;
    r.add("GET", "/a/b/c/d", 1);
    r.add("GET", "/a/{x}/c/e", 2);
    r.add("GET", "/a/{x}/{y}/f", 3);
    r.add("GET", "/{w}/b/c/g", 4);
    r.add("GET", "/a/{*rest}", 5);
    r.add("GET", "/ab", 6);
    r.add("GET", "/{z}", 7);
    expect_found(r, "GET", "/a/b/c/d", 1);
    expect_found(r, "GET", "/a/b/c/e", 2, {{"x", "b"}});
    expect_found(r, "GET", "/a/b/c/f", 3, {{"x", "b"}, {"y", "c"}});
    expect_found(r, "GET", "/a/b/c/g", 5, {{"rest", "b/c/g"}});  // "a" static beats {w}
    expect_found(r, "GET", "/q/b/c/g", 4, {{"w", "q"}});
    expect_found(r, "GET", "/a/b/c/h", 5, {{"rest", "b/c/h"}});
    expect_found(r, "GET", "/ab", 6);
    expect_found(r, "GET", "/abc", 7, {{"z", "abc"}});  // static "ab" is only a prefix
    expect_found(r, "GET", "/a", 5, {{"rest", ""}});    // wildcard's slash-less form
    expect_kind(r, "GET", "/q/b/c/h", MatchKind::not_found);
}

TEST(RouterBacktracking, ParamsFromFailedBranchesAreDropped) {
    Router r;
    r.add("GET", "/{a:int}/{b:int}/x", 1);
    r.add("GET", "/{c}/{d}/y", 2);
    expect_found(r, "GET", "/1/2/y", 2, {{"c", "1"}, {"d", "2"}});
    expect_found(r, "GET", "/1/2/x", 1, {{"a", "1"}, {"b", "2"}});
}

// ---------------------------------------------------------------------------------------------
// Methods, 404 and 405

TEST(RouterMethods, ExactMethodAnd405Versus404) {
    Router r;
    r.add("GET", "/items", 1);
    r.add("POST", "/items", 2);
    r.add("DELETE", "/items/{id:int}", 3);
    r.add("PURGE", "/cache/{*key}", 4);
    expect_found(r, "GET", "/items", 1);
    expect_found(r, "POST", "/items", 2);
    expect_found(r, "DELETE", "/items/5", 3, {{"id", "5"}});
    expect_found(r, "PURGE", "/cache/a/b", 4, {{"key", "a/b"}});
    expect_kind(r, "PUT", "/items", MatchKind::method_not_allowed);
    expect_kind(r, "GET", "/items/5", MatchKind::method_not_allowed);
    expect_kind(r, "GET", "/cache/x", MatchKind::method_not_allowed);
    expect_kind(r, "get", "/items", MatchKind::method_not_allowed);  // methods are case-sensitive
    expect_kind(r, "GET", "/items/x", MatchKind::not_found);
    expect_kind(r, "DELETE", "/items/x", MatchKind::not_found);
    expect_kind(r, "GET", "/nope", MatchKind::not_found);
    expect_kind(r, "BREW", "/nope", MatchKind::not_found);
}

TEST(RouterMethods, HeadFallsBackToGet) {
    Router r;
    r.add("GET", "/page/{n}", 1);
    r.add("POST", "/form", 2);
    expect_found(r, "HEAD", "/page/3", 1, {{"n", "3"}});
    expect_kind(r, "HEAD", "/form", MatchKind::method_not_allowed);
    expect_kind(r, "HEAD", "/missing", MatchKind::not_found);
}

TEST(RouterMethods, ExplicitHeadRouteWins) {
    Router r;
    r.add("GET", "/page/{n}", 1);
    r.add("HEAD", "/page/special", 2);
    r.add("HEAD", "/only-head", 3);
    expect_found(r, "HEAD", "/page/special", 2);
    expect_found(r, "HEAD", "/page/other", 1, {{"n", "other"}});  // HEAD tree fails -> GET
    expect_found(r, "GET", "/page/special", 1, {{"n", "special"}});
    expect_found(r, "HEAD", "/only-head", 3);
    expect_kind(r, "GET", "/only-head", MatchKind::method_not_allowed);
}

TEST(RouterMethods, AllowedMethods) {
    Router r;
    r.add("POST", "/items", 1);
    r.add("GET", "/items", 2);
    r.add("PUT", "/items/{id}", 3);
    r.add("DELETE", "/items/{id:int}", 4);
    r.add("OPTIONS", "/items/{id}", 5);
    r.add("HEAD", "/h", 6);
    r.add("PURGE", "/items", 7);
    r.add("GET", "/items/{id}/x", 8);
    EXPECT_EQ(r.allowed_methods("/items"), "GET, HEAD, OPTIONS, POST, PURGE");
    EXPECT_EQ(r.allowed_methods("/items/1"), "DELETE, OPTIONS, PUT");
    EXPECT_EQ(r.allowed_methods("/items/abc"), "OPTIONS, PUT");
    EXPECT_EQ(r.allowed_methods("/h"), "HEAD, OPTIONS");
    EXPECT_EQ(r.allowed_methods("/items/1/x"), "GET, HEAD, OPTIONS");
    EXPECT_EQ(r.allowed_methods("/nope"), "");
    EXPECT_EQ(r.allowed_methods(""), "");
    EXPECT_EQ(Router().allowed_methods("/"), "");
}

TEST(RouterMethods, InvalidMethodsAreRejected) {
    Router r;
    for (const std::string_view m :
         {std::string_view(""), std::string_view("get"), std::string_view("G ET"),
          std::string_view("GET\n"), std::string_view("G\0T", 3), std::string_view("GE(T")}) {
        const std::string msg = add_error(r, m, "/x");
        EXPECT_NE(msg.find("invalid route method"), std::string::npos) << msg;
        EXPECT_NE(msg.find("/x"), std::string::npos) << msg;
    }
    EXPECT_EQ(
        add_error(r, std::string_view("G\0T", 3), "/x"),
        "invalid route method \"G\\x00T\" for \"/x\": expected an uppercase token such as GET");
    EXPECT_EQ(add_error(r, "GET", "/a\tb"),
              "invalid route pattern GET \"/a\\x09b\": control characters and spaces cannot "
              "appear in a path");
    EXPECT_EQ(add_error(r, "M-SEARCH", "/x"), "");
    EXPECT_EQ(add_error(r, "VERSION-CONTROL", "/x"), "");
}

// A CONNECT request's target is host:port (RFC 9110 9.3.6), never a path, so a CONNECT route
// could never match: it is refused at registration rather than silently dead (and listed in
// Allow). The App answers CONNECT itself, with 501.
TEST(RouterMethods, ConnectRoutesAreRejected) {
    Router r;
    for (const std::string_view pattern : {"/", "/tunnel", "/{*rest}"}) {
        const std::string msg = add_error(r, "CONNECT", pattern);
        EXPECT_NE(msg.find("CONNECT routes are not supported"), std::string::npos) << msg;
        EXPECT_NE(msg.find(pattern), std::string::npos) << msg;
    }
    EXPECT_EQ(r.allowed_methods("/tunnel"), "");
    // Nothing is left behind, and the authority-form never reaches a path route.
    EXPECT_EQ(add_error(r, "GET", "/{*rest}"), "");
    expect_kind(r, "CONNECT", "example.com:443", MatchKind::not_found);
    expect_kind(r, "GET", "example.com:443", MatchKind::not_found);
}

// ---------------------------------------------------------------------------------------------
// Params container and storage lifetime

TEST(RouterParams, ClearedFirstAndEmptyOnMiss) {
    Router r;
    r.add("GET", "/a/{x}", 1);
    std::vector<RouteParam> params = {{"junk", "junk"}, {"more", "more"}};
    std::uint32_t id = 77;
    EXPECT_EQ(r.match("GET", "/a/1", id, params), MatchKind::found);
    ASSERT_EQ(params.size(), 1u);
    EXPECT_EQ(params[0].name, "x");
    params.push_back({"junk", "junk"});
    id = 77;
    EXPECT_EQ(r.match("GET", "/b", id, params), MatchKind::not_found);
    EXPECT_TRUE(params.empty());
    EXPECT_EQ(id, 77u);  // untouched unless found
    params.push_back({"junk", "junk"});
    EXPECT_EQ(r.match("POST", "/a/1", id, params), MatchKind::method_not_allowed);
    EXPECT_TRUE(params.empty());
}

TEST(RouterParams, NamesStayValidWhileTheRouterLives) {
    Router r;
    r.add("GET", "/u/{short}/{a_rather_long_parameter_name_beyond_sso}", 1);
    std::vector<RouteParam> kept;
    std::uint32_t id = 0;
    ASSERT_EQ(r.match("GET", "/u/1/2", id, kept), MatchKind::found);
    // Grow the tree a lot: splits, new siblings, new methods, reallocated child vectors.
    for (int i = 0; i < 500; ++i) {
        r.add("GET", cat("/u", std::to_string(i), "/{p", std::to_string(i), "}"), 100 + i);
        r.add(cat("M", std::string(1, static_cast<char>('A' + i % 26)), std::to_string(i)),
              "/u/{q}", 1000 + i);
        r.add("GET", cat("/u/{short}/{x:[0-9]", std::to_string(i), "}"), 2000 + i);
    }
    Router moved = std::move(r);
    Router assigned;
    assigned = std::move(moved);
    EXPECT_EQ(kept[0].name, "short");
    EXPECT_EQ(kept[1].name, "a_rather_long_parameter_name_beyond_sso");
    expect_found(assigned, "GET", "/u/1/2", 1,
                 {{"short", "1"}, {"a_rather_long_parameter_name_beyond_sso", "2"}});
    expect_found(assigned, "GET", "/u7/z", 107, {{"p7", "z"}});
}

TEST(RouterParams, MovedFromRouterIsEmptyAndReusable) {
    Router a;
    a.add("GET", "/x", 1);
    Router b(std::move(a));
    expect_found(b, "GET", "/x", 1);
    // NOLINTNEXTLINE(bugprone-use-after-move): the moved-from state is part of the contract.
    expect_kind(a, "GET", "/x", MatchKind::not_found);
    EXPECT_EQ(a.allowed_methods("/x"), "");
    a.add("GET", "/y", 2);
    expect_found(a, "GET", "/y", 2);
}

TEST(RouterParams, MatchAllocatesNothingWhenParamsHaveCapacity) {
    Router r;
    r.add("GET", "/", 1);
    r.add("GET", "/users/{id:int}/posts", 2);
    r.add("GET", "/users/{name}/profile", 3);
    r.add("GET", "/assets/{*path}", 4);
    r.add("POST", "/submit", 5);
    r.add("HEAD", "/h", 6);
    std::vector<RouteParam> params;
    params.reserve(8);
    std::uint32_t id = 0;
    if (!install_allocation_hooks()) GTEST_SKIP() << "needs ASan or TSan malloc hooks";
    // The counter must see an allocation, or a zero below would prove nothing. The global sink
    // keeps the compiler from eliding the new/delete pair.
    static std::vector<std::string> sink;
    g_allocations = 0;
    g_count_allocations = true;
    sink.emplace_back(100, 'x');
    g_count_allocations = false;
    ASSERT_GE(g_allocations.load(), 1u);
    sink.clear();

    g_allocations = 0;
    g_count_allocations = true;
    const MatchKind k1 = r.match("GET", "/", id, params);
    const MatchKind k2 = r.match("GET", "/users/42/profile", id, params);  // backtracks
    const MatchKind k3 = r.match("HEAD", "/assets/a/b", id, params);       // HEAD -> GET
    const MatchKind k4 = r.match("GET", "/submit", id, params);            // 405
    const MatchKind k5 = r.match("GET", "/nothing/here", id, params);      // 404
    g_count_allocations = false;
    EXPECT_EQ(g_allocations.load(), 0u);
    EXPECT_EQ(k1, MatchKind::found);
    EXPECT_EQ(k2, MatchKind::found);
    EXPECT_EQ(k3, MatchKind::found);
    EXPECT_EQ(k4, MatchKind::method_not_allowed);
    EXPECT_EQ(k5, MatchKind::not_found);
}

// ---------------------------------------------------------------------------------------------
// Malformed patterns

TEST(RouterMalformed, EachErrorNamesThePatternAndTheProblem) {
    struct Case {
        const char* pattern;
        const char* problem;
    };
    const std::vector<Case> cases = {
        {"", "empty pattern"},
        {"users", "must start with '/'"},
        {"*", "must start with '/'"},
        {"/users/{id", "unbalanced braces"},
        {"/users/{id:[0-9]{3}", "unbalanced braces"},
        {"/users/id}", "unbalanced braces"},
        {"/users/{id}}", "unbalanced braces"},
        {"/users/{x:\\}", "unbalanced braces"},
        {"/a{b}", "whole segment"},
        {"/{a}b", "whole segment"},
        {"/x/{a}{b}", "whole segment"},
        {"/a{b", "unbalanced braces"},
        {"/{}", "empty parameter name"},
        {"/{:int}", "empty parameter name"},
        {"/{*}", "empty parameter name"},
        {"/{1abc}", "bad parameter name"},
        {"/{a-b}", "bad parameter name"},
        {"/{a b}", "bad parameter name"},
        {"/{*a/b}", "bad parameter name"},
        {"/{id:}", "empty regex"},
        {"/{id:[0-9}", "unbalanced braces"},  // '[' swallows the '}'
        {"/{id:(ab}", "invalid regex"},
        {"/{id:*a}", "invalid regex"},
        {"/{id:a{3,1}}", "invalid regex"},
        {"/{id:[b-a]}", "invalid regex"},
        {"/{*rest}/more", "wildcard parameter must be the last segment"},
        {"/{*rest}/", "wildcard parameter must be the last segment"},
        {"/{*rest:int}", "wildcard parameter takes no constraint"},
        {"//", "empty segment"},
        {"/a//b", "empty segment"},
        {"/a//", "empty segment"},
        {"/{a}/{b}/{a}", "duplicate parameter name \"a\""},
        {"/{a}/{*a}", "duplicate parameter name \"a\""},
        {"/a?b=1", "'?' and '#'"},
        {"/a#frag", "'?' and '#'"},
        {"/a b", "control characters and spaces"},
    };
    for (const Case& c : cases) {
        Router r;
        const std::string msg = add_error(r, "GET", c.pattern);
        ASSERT_FALSE(msg.empty()) << "accepted: " << c.pattern;
        EXPECT_NE(msg.find(std::string("\"") + c.pattern + "\""), std::string::npos) << msg;
        EXPECT_NE(msg.find(c.problem), std::string::npos) << msg;
        EXPECT_NE(msg.find("GET"), std::string::npos) << msg;
        EXPECT_EQ(r.allowed_methods("/"), "");
    }
}

TEST(RouterMalformed, WellFormedEdgeCasesAreAccepted) {
    Router r;
    const std::vector<const char*> patterns = {
        "/",         "/a/",         "/{a}/",      "/{_}",      "/{A9_z}/b",
        "/{x:int}/", "/{r:a{2,3}}", "/{r2:[{}]}", "/{r3:\\{}", "/~user/a.b-c_d!$&'()*+,;=:@",
        "/{*_}"};
    for (std::size_t i = 0; i < patterns.size(); ++i)
        EXPECT_EQ(add_error(r, "GET", patterns[i], static_cast<std::uint32_t>(i)), "")
            << patterns[i];
    expect_found(r, "GET", "/{", 7, {{"r2", "{"}});  // "[{}]" sorts before "\\{"
    expect_found(r, "GET", "/q/b", 4, {{"A9_z", "q"}});
    expect_found(r, "GET", "/x/", 2, {{"a", "x"}});
    expect_found(r, "GET", "/aa", 6, {{"r", "aa"}});
}

TEST(RouterMalformed, AtMost32Parameters) {
    std::string pattern;
    for (int i = 0; i < 32; ++i) pattern += cat("/{p", std::to_string(i), "}");
    std::string path;
    for (int i = 0; i < 32; ++i) path += cat("/v", std::to_string(i));
    Router r;
    const std::string msg = add_error(r, "GET", pattern + "/{*rest}", 1);
    EXPECT_NE(msg.find("more than 32 parameters"), std::string::npos) << msg;
    EXPECT_EQ(add_error(r, "GET", pattern, 2), "");
    const Result got = run(r, "GET", path);
    ASSERT_EQ(got.kind, MatchKind::found);
    ASSERT_EQ(got.params.size(), 32u);
    EXPECT_EQ(got.params[31], (std::pair<std::string, std::string>("p31", "v31")));
}

// ---------------------------------------------------------------------------------------------
// Conflicts

TEST(RouterConflicts, SameShapeIsRejectedWithBothPatterns) {
    struct Case {
        const char* first;
        const char* second;
    };
    const std::vector<Case> cases = {
        {"/users/{id}", "/users/{name}"},
        {"/users/{id}", "/users/{id}"},
        {"/users", "/users"},
        {"/", "/"},
        {"/n/{a:int}", "/n/{b:int}"},
        {"/r/{a:[0-9]+}", "/r/{b:[0-9]+}"},
        {"/s/{*a}", "/s/{*b}"},
        {"/x/{a}/y/{b:int}/{*c}", "/x/{p}/y/{q:int}/{*r}"},
        {"/t/{a}/", "/t/{b}/"},
    };
    for (const Case& c : cases) {
        Router r;
        r.add("GET", c.first, 1);
        const std::string msg = add_error(r, "GET", c.second, 2);
        ASSERT_FALSE(msg.empty()) << c.first << " vs " << c.second;
        EXPECT_NE(msg.find("route conflict"), std::string::npos) << msg;
        EXPECT_NE(msg.find(std::string("GET ") + c.first), std::string::npos) << msg;
        EXPECT_NE(msg.find(std::string("GET ") + c.second), std::string::npos) << msg;
    }
}

TEST(RouterConflicts, DifferentShapesOrMethodsDoNotConflict) {
    Router r;
    const std::vector<std::pair<const char*, const char*>> ok = {
        {"GET", "/users/{id}"},      {"POST", "/users/{name}"},
        {"GET", "/users/{id:int}"},  {"GET", "/users/{id:[0-9]+}"},
        {"GET", "/users/{id:\\d+}"}, {"GET", "/users/{*rest}"},
        {"GET", "/users/me"},        {"GET", "/users/{id}/"},
        {"GET", "/users"},           {"GET", "/users/"},
        {"HEAD", "/users/{id}"},     {"PURGE", "/users/{id}"},
        {"GET", "/{a}/{b}"},         {"GET", "/{a}/{b}/{c}"},
        {"GET", "/{a:int}/{b}"},
    };
    for (const auto& [m, p] : ok) EXPECT_EQ(add_error(r, m, p), "") << m << " " << p;
}

TEST(RouterConflicts, MessageExample) {
    Router r;
    r.add("GET", "/users/{id}", 1);
    EXPECT_EQ(add_error(r, "GET", "/users/{name}"),
              "route conflict: GET /users/{name} shadows GET /users/{id} (same path shape; "
              "parameter names do not distinguish routes)");
    EXPECT_EQ(add_error(r, "GET", "/users/{id}"),
              "route conflict: GET /users/{id} is already registered as GET /users/{id} (same "
              "path shape; parameter names do not distinguish routes)");
}

TEST(RouterConflicts, FailedAddLeavesTheRouterUnchanged) {
    Router r;
    r.add("GET", "/a/{x}/b", 1);
    r.add("GET", "/assets/{*p}", 2);
    EXPECT_NE(add_error(r, "GET", "/a/{y}/b", 3), "");
    EXPECT_NE(add_error(r, "GET", "/assets/{*q}", 4), "");
    EXPECT_NE(add_error(r, "GET", "/a/{z}/c/{z}", 5), "");
    expect_found(r, "GET", "/a/1/b", 1, {{"x", "1"}});
    expect_found(r, "GET", "/assets", 2, {{"p", ""}});
    expect_found(r, "GET", "/assets/q", 2, {{"p", "q"}});
    expect_kind(r, "GET", "/a/1/c/2", MatchKind::not_found);
    // The half-built branch of the failed add can still take a real route later.
    r.add("GET", "/a/{z}/c/{w}", 6);
    expect_found(r, "GET", "/a/1/c/2", 6, {{"z", "1"}, {"w", "2"}});
}

// ---------------------------------------------------------------------------------------------
// A realistic table: a GitHub-API-like route set.

struct ApiRoute {
    const char* method;
    const char* pattern;
};

const std::vector<ApiRoute>& api_routes() {
    static const std::vector<ApiRoute> routes = {
        {"GET", "/"},                                                             // 0
        {"GET", "/user"},                                                         // 1
        {"GET", "/user/repos"},                                                   // 2
        {"POST", "/user/repos"},                                                  // 3
        {"GET", "/users/{username}"},                                             // 4
        {"GET", "/users/{username}/repos"},                                       // 5
        {"GET", "/users/{username}/followers"},                                   // 6
        {"GET", "/users/{username}/following"},                                   // 7
        {"GET", "/users/{username}/following/{target_user}"},                     // 8
        {"GET", "/users/{username}/gists"},                                       // 9
        {"GET", "/orgs/{org}"},                                                   // 10
        {"PATCH", "/orgs/{org}"},                                                 // 11
        {"GET", "/orgs/{org}/repos"},                                             // 12
        {"POST", "/orgs/{org}/repos"},                                            // 13
        {"GET", "/orgs/{org}/members/{username}"},                                // 14
        {"DELETE", "/orgs/{org}/members/{username}"},                             // 15
        {"GET", "/repos/{owner}/{repo}"},                                         // 16
        {"PATCH", "/repos/{owner}/{repo}"},                                       // 17
        {"DELETE", "/repos/{owner}/{repo}"},                                      // 18
        {"GET", "/repos/{owner}/{repo}/issues"},                                  // 19
        {"POST", "/repos/{owner}/{repo}/issues"},                                 // 20
        {"GET", "/repos/{owner}/{repo}/issues/{issue_number:int}"},               // 21
        {"PATCH", "/repos/{owner}/{repo}/issues/{issue_number:int}"},             // 22
        {"GET", "/repos/{owner}/{repo}/issues/{issue_number:int}/comments"},      // 23
        {"POST", "/repos/{owner}/{repo}/issues/{issue_number:int}/comments"},     // 24
        {"GET", "/repos/{owner}/{repo}/issues/comments"},                         // 25
        {"GET", "/repos/{owner}/{repo}/issues/comments/{comment_id:int}"},        // 26
        {"GET", "/repos/{owner}/{repo}/pulls"},                                   // 27
        {"POST", "/repos/{owner}/{repo}/pulls"},                                  // 28
        {"GET", "/repos/{owner}/{repo}/pulls/{pull_number:int}"},                 // 29
        {"GET", "/repos/{owner}/{repo}/pulls/{pull_number:int}/files"},           // 30
        {"GET", "/repos/{owner}/{repo}/pulls/{pull_number:int}/merge"},           // 31
        {"PUT", "/repos/{owner}/{repo}/pulls/{pull_number:int}/merge"},           // 32
        {"GET", "/repos/{owner}/{repo}/commits"},                                 // 33
        {"GET", "/repos/{owner}/{repo}/commits/{ref}"},                           // 34
        {"GET", "/repos/{owner}/{repo}/branches/{branch}"},                       // 35
        {"GET", "/repos/{owner}/{repo}/contents/{*path}"},                        // 36
        {"PUT", "/repos/{owner}/{repo}/contents/{*path}"},                        // 37
        {"GET", "/repos/{owner}/{repo}/git/refs/{*ref}"},                         // 38
        {"GET", "/repos/{owner}/{repo}/releases/latest"},                         // 39
        {"GET", "/repos/{owner}/{repo}/releases/{release_id:int}"},               // 40
        {"GET", "/repos/{owner}/{repo}/releases/tags/{tag}"},                     // 41
        {"GET", "/repos/{owner}/{repo}/compare/{basehead:[^.]+\\.\\.\\.[^.]+}"},  // 42
        {"GET", "/gists/{gist_id:[0-9a-f]+}"},                                    // 43
        {"GET", "/gists/public"},                                                 // 44
        {"GET", "/gists/starred"},                                                // 45
        {"GET", "/search/repositories"},                                          // 46
        {"GET", "/rate_limit"},                                                   // 47
        {"GET", "/notifications"},                                                // 48
        {"PUT", "/notifications"},                                                // 49
        {"PURGE", "/cdn/{*key}"},                                                 // 50
    };
    return routes;
}

struct ApiCase {
    const char* method;
    const char* path;
    MatchKind kind;
    std::uint32_t id;
    Params params;
};

const std::vector<ApiCase>& api_cases() {
    constexpr MatchKind kFound = MatchKind::found;
    constexpr MatchKind k405 = MatchKind::method_not_allowed;
    constexpr MatchKind k404 = MatchKind::not_found;
    static const std::vector<ApiCase> cases = {
        {"GET", "/", kFound, 0, {}},
        {"GET", "/user", kFound, 1, {}},
        {"GET", "/user/repos", kFound, 2, {}},
        {"POST", "/user/repos", kFound, 3, {}},
        {"GET", "/users/octocat", kFound, 4, {{"username", "octocat"}}},
        {"GET", "/users/octocat/repos", kFound, 5, {{"username", "octocat"}}},
        {"GET", "/users/o/followers", kFound, 6, {{"username", "o"}}},
        {"GET", "/users/o/following", kFound, 7, {{"username", "o"}}},
        {"GET", "/users/o/following/x", kFound, 8, {{"username", "o"}, {"target_user", "x"}}},
        {"GET", "/users/o/gists", kFound, 9, {{"username", "o"}}},
        {"GET", "/orgs/acme", kFound, 10, {{"org", "acme"}}},
        {"PATCH", "/orgs/acme", kFound, 11, {{"org", "acme"}}},
        {"GET", "/orgs/acme/repos", kFound, 12, {{"org", "acme"}}},
        {"POST", "/orgs/acme/repos", kFound, 13, {{"org", "acme"}}},
        {"GET", "/orgs/acme/members/bob", kFound, 14, {{"org", "acme"}, {"username", "bob"}}},
        {"DELETE", "/orgs/acme/members/bob", kFound, 15, {{"org", "acme"}, {"username", "bob"}}},
        {"GET", "/repos/o/r", kFound, 16, {{"owner", "o"}, {"repo", "r"}}},
        {"PATCH", "/repos/o/r", kFound, 17, {{"owner", "o"}, {"repo", "r"}}},
        {"DELETE", "/repos/o/r", kFound, 18, {{"owner", "o"}, {"repo", "r"}}},
        {"GET", "/repos/o/r/issues", kFound, 19, {{"owner", "o"}, {"repo", "r"}}},
        {"POST", "/repos/o/r/issues", kFound, 20, {{"owner", "o"}, {"repo", "r"}}},
        {"GET",
         "/repos/o/r/issues/7",
         kFound,
         21,
         {{"owner", "o"}, {"repo", "r"}, {"issue_number", "7"}}},
        {"PATCH",
         "/repos/o/r/issues/7",
         kFound,
         22,
         {{"owner", "o"}, {"repo", "r"}, {"issue_number", "7"}}},
        {"GET",
         "/repos/o/r/issues/7/comments",
         kFound,
         23,
         {{"owner", "o"}, {"repo", "r"}, {"issue_number", "7"}}},
        {"POST",
         "/repos/o/r/issues/7/comments",
         kFound,
         24,
         {{"owner", "o"}, {"repo", "r"}, {"issue_number", "7"}}},
        {"GET", "/repos/o/r/issues/comments", kFound, 25, {{"owner", "o"}, {"repo", "r"}}},
        {"GET",
         "/repos/o/r/issues/comments/9",
         kFound,
         26,
         {{"owner", "o"}, {"repo", "r"}, {"comment_id", "9"}}},
        {"GET", "/repos/o/r/pulls", kFound, 27, {{"owner", "o"}, {"repo", "r"}}},
        {"POST", "/repos/o/r/pulls", kFound, 28, {{"owner", "o"}, {"repo", "r"}}},
        {"GET",
         "/repos/o/r/pulls/1",
         kFound,
         29,
         {{"owner", "o"}, {"repo", "r"}, {"pull_number", "1"}}},
        {"GET",
         "/repos/o/r/pulls/1/files",
         kFound,
         30,
         {{"owner", "o"}, {"repo", "r"}, {"pull_number", "1"}}},
        {"GET",
         "/repos/o/r/pulls/1/merge",
         kFound,
         31,
         {{"owner", "o"}, {"repo", "r"}, {"pull_number", "1"}}},
        {"PUT",
         "/repos/o/r/pulls/1/merge",
         kFound,
         32,
         {{"owner", "o"}, {"repo", "r"}, {"pull_number", "1"}}},
        {"HEAD",
         "/repos/o/r/pulls/1/merge",
         kFound,
         31,
         {{"owner", "o"}, {"repo", "r"}, {"pull_number", "1"}}},
        {"GET", "/repos/o/r/commits", kFound, 33, {{"owner", "o"}, {"repo", "r"}}},
        {"GET",
         "/repos/o/r/commits/abc123",
         kFound,
         34,
         {{"owner", "o"}, {"repo", "r"}, {"ref", "abc123"}}},
        {"GET",
         "/repos/o/r/branches/main",
         kFound,
         35,
         {{"owner", "o"}, {"repo", "r"}, {"branch", "main"}}},
        {"GET",
         "/repos/o/r/contents/src/main.cpp",
         kFound,
         36,
         {{"owner", "o"}, {"repo", "r"}, {"path", "src/main.cpp"}}},
        {"PUT",
         "/repos/o/r/contents/README.md",
         kFound,
         37,
         {{"owner", "o"}, {"repo", "r"}, {"path", "README.md"}}},
        {"GET", "/repos/o/r/contents", kFound, 36, {{"owner", "o"}, {"repo", "r"}, {"path", ""}}},
        {"GET",
         "/repos/o/r/git/refs/heads/feature/x",
         kFound,
         38,
         {{"owner", "o"}, {"repo", "r"}, {"ref", "heads/feature/x"}}},
        {"GET", "/repos/o/r/releases/latest", kFound, 39, {{"owner", "o"}, {"repo", "r"}}},
        {"GET",
         "/repos/o/r/releases/12",
         kFound,
         40,
         {{"owner", "o"}, {"repo", "r"}, {"release_id", "12"}}},
        {"GET",
         "/repos/o/r/releases/tags/v1.0",
         kFound,
         41,
         {{"owner", "o"}, {"repo", "r"}, {"tag", "v1.0"}}},
        {"GET",
         "/repos/o/r/compare/main...dev",
         kFound,
         42,
         {{"owner", "o"}, {"repo", "r"}, {"basehead", "main...dev"}}},
        {"GET", "/gists/deadbeef", kFound, 43, {{"gist_id", "deadbeef"}}},
        {"GET", "/gists/public", kFound, 44, {}},
        {"GET", "/gists/starred", kFound, 45, {}},
        {"GET", "/search/repositories", kFound, 46, {}},
        {"GET", "/rate_limit", kFound, 47, {}},
        {"GET", "/notifications", kFound, 48, {}},
        {"PUT", "/notifications", kFound, 49, {}},
        {"PURGE", "/cdn/a/b/c", kFound, 50, {{"key", "a/b/c"}}},
        // Near misses.
        {"GET", "/repos/o/r/issues/x", k404, 0, {}},
        {"GET", "/repos/o/r/releases/beta", k404, 0, {}},
        {"GET", "/repos/o/r/compare/main..dev", k404, 0, {}},
        {"GET", "/gists/xyz", k404, 0, {}},
        {"GET", "/users/", k404, 0, {}},
        {"GET", "/users", k404, 0, {}},
        {"GET", "/repos/o", k404, 0, {}},
        {"GET", "/repos/o/r/", k404, 0, {}},
        {"GET", "/user/", k404, 0, {}},
        {"GET", "/cdn/x", k405, 0, {}},
        {"POST", "/user", k405, 0, {}},
        {"DELETE", "/repos/o/r/issues/7", k405, 0, {}},
        {"POST", "/gists/public", k405, 0, {}},
        {"PUT", "/repos/o/r/pulls/1/files", k405, 0, {}},
    };
    return cases;
}

void check_api(const Router& r) {
    for (const ApiCase& c : api_cases()) {
        const Result got = run(r, c.method, c.path);
        EXPECT_EQ(got.kind, c.kind) << c.method << " " << c.path;
        if (c.kind != MatchKind::found) continue;
        EXPECT_EQ(got.id, c.id) << c.method << " " << c.path;
        EXPECT_EQ(got.params, c.params) << c.method << " " << c.path;
    }
    EXPECT_EQ(r.allowed_methods("/repos/o/r"), "DELETE, GET, HEAD, OPTIONS, PATCH");
    EXPECT_EQ(r.allowed_methods("/repos/o/r/pulls/1/merge"), "GET, HEAD, OPTIONS, PUT");
    EXPECT_EQ(r.allowed_methods("/cdn/x"), "OPTIONS, PURGE");
}

TEST(RouterTable, GitHubLikeApiInOrder) {
    Router r;
    const auto& routes = api_routes();
    for (std::size_t i = 0; i < routes.size(); ++i)
        r.add(routes[i].method, routes[i].pattern, static_cast<std::uint32_t>(i));
    check_api(r);
}

TEST(RouterTable, GitHubLikeApiShuffled) {
    const auto& routes = api_routes();
    std::vector<std::uint32_t> order(routes.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::uint32_t>(i);
    std::mt19937 rng(12345);
    for (int round = 0; round < 20; ++round) {
        if (round == 1) std::reverse(order.begin(), order.end());
        if (round > 1) std::shuffle(order.begin(), order.end(), rng);
        Router r;
        for (const std::uint32_t i : order) r.add(routes[i].method, routes[i].pattern, i);
        check_api(r);
    }
}

// ---------------------------------------------------------------------------------------------
// Randomized comparison against a brute-force model of the documented rules.

struct ModelSeg {
    enum Kind { kStatic = 0, kInt = 1, kRegex = 2, kPlain = 3, kWild = 4 } kind;
    std::string text;  // static text or regex source
    std::shared_ptr<const std::regex> regex = {};
};

struct ModelRoute {
    std::string method;
    std::string pattern;
    std::uint32_t id;
    std::vector<ModelSeg> segs;
    std::vector<std::string> names;
};

std::vector<std::string> split_path(std::string_view path) {
    std::vector<std::string> out;
    std::size_t start = 1;
    while (true) {
        const std::size_t slash = path.find('/', start);
        out.emplace_back(path.substr(start, slash - start));
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    return out;
}

bool model_int(const std::string& s) {
    if (s.empty() || s[0] == '+') return false;
    std::int64_t v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && ptr == s.data() + s.size();
}

// Matches one route; on success fills `values` and the per-segment sort key.
bool model_match(const ModelRoute& route, std::string_view path, std::vector<std::string>& values,
                 std::vector<std::pair<int, std::string>>& key) {
    const std::vector<std::string> segs = split_path(path);
    values.clear();
    key.clear();
    for (std::size_t k = 0; k < route.segs.size(); ++k) {
        const ModelSeg& ps = route.segs[k];
        key.emplace_back(ps.kind, ps.kind == ModelSeg::kRegex ? ps.text : "");
        if (ps.kind == ModelSeg::kWild) {
            if (k > segs.size()) return false;
            std::string rest;
            for (std::size_t j = k; j < segs.size(); ++j) rest += (j > k ? "/" : "") + segs[j];
            values.push_back(rest);
            return true;
        }
        if (k >= segs.size()) return false;
        const std::string& s = segs[k];
        switch (ps.kind) {
            case ModelSeg::kStatic:
                if (s != ps.text) return false;
                break;
            case ModelSeg::kInt:
                if (!model_int(s)) return false;
                values.push_back(s);
                break;
            case ModelSeg::kRegex:
                if (s.empty() || !std::regex_match(s, *ps.regex)) return false;
                values.push_back(s);
                break;
            default:
                if (s.empty()) return false;
                values.push_back(s);
                break;
        }
    }
    return route.segs.size() == segs.size();
}

std::optional<std::pair<std::uint32_t, Params>> model_best(const std::vector<ModelRoute>& routes,
                                                           std::string_view method,
                                                           std::string_view path) {
    std::optional<std::pair<std::uint32_t, Params>> best;
    std::vector<std::pair<int, std::string>> best_key;
    std::vector<std::string> values;
    std::vector<std::pair<int, std::string>> key;
    for (const ModelRoute& route : routes) {
        if (route.method != method || !model_match(route, path, values, key)) continue;
        if (best && !(key < best_key)) continue;
        Params params;
        for (std::size_t i = 0; i < values.size(); ++i)
            params.emplace_back(route.names[i], values[i]);
        best.emplace(route.id, std::move(params));
        best_key = key;
    }
    return best;
}

TEST(RouterModel, RandomRouteSetsAgreeWithBruteForce) {
    const std::vector<ModelSeg> pool = {
        {ModelSeg::kStatic, "a"},
        {ModelSeg::kStatic, "b"},
        {ModelSeg::kStatic, "ab"},
        {ModelSeg::kStatic, "1"},
        {ModelSeg::kInt, ""},
        {ModelSeg::kRegex, "[a-b]+", std::make_shared<const std::regex>("[a-b]+")},
        {ModelSeg::kRegex, "[0-9a]+", std::make_shared<const std::regex>("[0-9a]+")},
        {ModelSeg::kPlain, ""},
        {ModelSeg::kWild, ""},
    };
    const std::vector<std::string> path_segs = {
        "a", "b", "ab", "1", "12", "-3", "a1", "ba", "", "9223372036854775808", "x"};
    const std::vector<std::string> methods = {"GET", "POST", "HEAD"};
    std::mt19937 rng(2024);
    const auto pick = [&](std::size_t n) {
        return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
    };
    int checked_paths = 0;
    for (int round = 0; round < 150; ++round) {
        Router router;
        std::vector<ModelRoute> model;
        std::vector<std::string> shapes;  // method + shape, to predict conflicts
        const std::size_t route_count = 1 + pick(25);
        for (std::size_t n = 0; n < route_count; ++n) {
            ModelRoute route;
            route.method = methods[pick(methods.size())];
            route.id = static_cast<std::uint32_t>(n);
            std::string shape = route.method + " ";
            const std::size_t len = 1 + pick(3);
            for (std::size_t k = 0; k < len; ++k) {
                ModelSeg seg = pool[pick(pool.size())];
                if (seg.kind == ModelSeg::kWild && k + 1 != len) seg = pool[0];
                const std::string name = cat("p", std::to_string(k));
                route.pattern += '/';
                shape += '/';
                switch (seg.kind) {
                    case ModelSeg::kStatic:
                        route.pattern += seg.text;
                        shape += seg.text;
                        break;
                    case ModelSeg::kInt:
                        route.pattern += "{" + name + ":int}";
                        shape += "{:int}";
                        break;
                    case ModelSeg::kRegex:
                        route.pattern += "{" + name + ":" + seg.text + "}";
                        shape += "{:" + seg.text + "}";
                        break;
                    case ModelSeg::kPlain:
                        route.pattern += "{" + name + "}";
                        shape += "{}";
                        break;
                    case ModelSeg::kWild:
                        route.pattern += "{*" + name + "}";
                        shape += "{*}";
                        break;
                }
                if (seg.kind != ModelSeg::kStatic) route.names.push_back(name);
                route.segs.push_back(seg);
            }
            if (route.segs.back().kind != ModelSeg::kWild && pick(4) == 0) {
                route.pattern += '/';
                shape += '/';
                route.segs.push_back({ModelSeg::kStatic, ""});
            }
            const bool conflict = std::find(shapes.begin(), shapes.end(), shape) != shapes.end();
            const std::string err = add_error(router, route.method, route.pattern, route.id);
            ASSERT_EQ(!err.empty(), conflict)
                << route.method << " " << route.pattern << ": " << err;
            if (conflict) continue;
            shapes.push_back(shape);
            model.push_back(std::move(route));
        }
        for (int q = 0; q < 60; ++q) {
            std::string path;
            const std::size_t len = 1 + pick(4);
            for (std::size_t k = 0; k < len; ++k) path += "/" + path_segs[pick(path_segs.size())];
            const std::string& method = methods[pick(methods.size())];

            auto expected = model_best(model, method, path);
            if (!expected && method == "HEAD") expected = model_best(model, "GET", path);
            std::string allowed;
            std::vector<std::string> allowed_list;
            for (const char* m : {"GET", "HEAD", "POST"}) {
                if (model_best(model, m, path)) allowed_list.push_back(m);
            }
            if (model_best(model, "GET", path) &&
                std::find(allowed_list.begin(), allowed_list.end(), "HEAD") == allowed_list.end())
                allowed_list.push_back("HEAD");
            if (!allowed_list.empty()) allowed_list.push_back("OPTIONS");
            std::sort(allowed_list.begin(), allowed_list.end());
            for (const std::string& m : allowed_list) allowed += (allowed.empty() ? "" : ", ") + m;

            const Result got = run(router, method, path);
            SCOPED_TRACE(cat(method, " ", path));
            if (expected) {
                EXPECT_EQ(got.kind, MatchKind::found);
                EXPECT_EQ(got.id, expected->first);
                EXPECT_EQ(got.params, expected->second);
            } else {
                EXPECT_EQ(got.kind,
                          allowed.empty() ? MatchKind::not_found : MatchKind::method_not_allowed);
            }
            EXPECT_EQ(router.allowed_methods(path), allowed);
            ++checked_paths;
        }
    }
    EXPECT_EQ(checked_paths, 150 * 60);
}

}  // namespace
}  // namespace gannet::detail

// Found by the router fuzz target (tests/fuzz/corpus/router_fuzz/regression-backreference):
// libstdc++'s regex compiler overflowed a signed integer on a huge backreference number.
TEST(RouterPatterns, BackreferencesAndHugeRegexesAreRefused) {
    gannet::detail::Router r;
    EXPECT_THROW(r.add("GET", "/a/{x:(a)\\1}", 0), gannet::detail::RouteError);
    EXPECT_THROW(r.add("GET", "/b/{x:a\\66666666666666666666}", 1), gannet::detail::RouteError);
    EXPECT_THROW(r.add("GET", "/c/{x:" + std::string(300, 'a') + "}", 2),
                 gannet::detail::RouteError);
    EXPECT_NO_THROW(r.add("GET", "/d/{x:\\d+}", 3));    // an escaped class is fine
    EXPECT_NO_THROW(r.add("GET", "/e/{x:a\\\\1}", 4));  // an escaped backslash then '1'
}

// Found by the router fuzz target (tests/fuzz/corpus/router_fuzz/regression-nested-quantifier):
// std::regex backtracks exponentially on nested repetition, so "{id:i****nt}" held the matcher
// for seconds on "/users/42". Nested and repeated-alternation constraints are refused; the
// common shapes still register and match.
TEST(RouterPatterns, ExponentialRegexConstraintsAreRefused) {
    gannet::detail::Router r;
    std::uint32_t id = 0;
    for (const char* bad :
         {"/a/{x:i****nt}", "/a/{x:(a+)*}", "/a/{x:(a+)+b}", "/a/{x:(a|ab)*}", "/a/{x:(?:a*b)+}",
          "/a/{x:((ab)+)*}", "/a/{x:a+*}", "/a/{x:(x|y){2,}}", "/a/{x:a{1,99999}}"}) {
        EXPECT_THROW(r.add("GET", bad, id++), gannet::detail::RouteError) << bad;
    }
    for (const char* good :
         {"/g0/{x:[a-z]+}", "/g1/{x:\\d{4}-\\d{2}}", "/g2/{x:(jpg|png)}",
          "/g3/{x:[0-9a-f]{8}(-[0-9a-f]{4}){3}}", "/g4/{x:a+?b}", "/g5/{x:(ab)?c*}",
          "/g6/{x:[(+*)]+}", "/g7/{x:(\\.\\d)+}", "/g8/{x:v\\d+(\\.\\d+)?}"}) {
        EXPECT_NO_THROW(r.add("GET", good, id++)) << good;
    }
    std::vector<gannet::detail::RouteParam> params;
    std::uint32_t found = 0;
    EXPECT_EQ(r.match("GET", "/g3/0123abcd-0000-1111-2222", found, params),
              gannet::detail::MatchKind::found);
    EXPECT_EQ(r.match("GET", "/g8/v12.5", found, params), gannet::detail::MatchKind::found);
}
