#include "http/static_files.hpp"

#include "http/date_cache.hpp"

#include <gtest/gtest.h>

using namespace gannet::http;

TEST(StaticPath, AcceptsPlainPaths) {
    auto p = normalize_static_path("/a/b%20c.css");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->relative, "a/b c.css");
    EXPECT_FALSE(p->trailing_slash);
    EXPECT_FALSE(p->dotfile);
    p = normalize_static_path("");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->relative, "");
    EXPECT_FALSE(p->trailing_slash);
    p = normalize_static_path("/");
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->trailing_slash);
    p = normalize_static_path("/docs/");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->relative, "docs");
    EXPECT_TRUE(p->trailing_slash);
    p = normalize_static_path("/a/.env");
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->dotfile);
    p = normalize_static_path("/a..b/c.");
    ASSERT_TRUE(p);
    EXPECT_FALSE(p->dotfile);
}

TEST(StaticPath, RejectsTraversalAndTricks) {
    for (const char* bad :
         {"/../etc/passwd", "/a/../../etc", "/%2e%2e/%2e%2e/etc/passwd", "/%2E%2E/x", "/..%2fetc",
          "/a%2fb", "/a%2Fb", "//etc/passwd", "/a//b", "/./a", "/a/.", "/a/%2e", "/a\\b", "/a%5cb",
          "/a%00b", "/a%zz", "/a%4", "etc/passwd", "/.."}) {
        EXPECT_FALSE(normalize_static_path(bad)) << bad;
    }
}

TEST(Range, Forms) {
    auto r = parse_range("bytes=0-99", 1000);
    EXPECT_EQ(r.kind, RangeResult::Kind::single);
    EXPECT_EQ(r.range.first, 0u);
    EXPECT_EQ(r.range.length, 100u);
    r = parse_range("bytes=900-", 1000);
    EXPECT_EQ(r.kind, RangeResult::Kind::single);
    EXPECT_EQ(r.range.first, 900u);
    EXPECT_EQ(r.range.length, 100u);
    r = parse_range("bytes=-100", 1000);
    EXPECT_EQ(r.range.first, 900u);
    EXPECT_EQ(r.range.length, 100u);
    r = parse_range("bytes=-5000", 1000);  // suffix longer than the file: all of it
    EXPECT_EQ(r.range.first, 0u);
    EXPECT_EQ(r.range.length, 1000u);
    r = parse_range("bytes=990-5000", 1000);  // last clamped
    EXPECT_EQ(r.range.length, 10u);
    r = parse_range("Bytes = 1-1", 1000);
    EXPECT_EQ(r.kind, RangeResult::Kind::single);
    EXPECT_EQ(r.range.length, 1u);
}

TEST(Range, UnsatisfiableAndIgnored) {
    EXPECT_EQ(parse_range("bytes=1000-", 1000).kind, RangeResult::Kind::unsatisfiable);
    EXPECT_EQ(parse_range("bytes=1000-2000", 1000).kind, RangeResult::Kind::unsatisfiable);
    EXPECT_EQ(parse_range("bytes=-0", 1000).kind, RangeResult::Kind::unsatisfiable);
    EXPECT_EQ(parse_range("bytes=0-", 0).kind, RangeResult::Kind::unsatisfiable);
    EXPECT_EQ(parse_range("bytes=-1", 0).kind, RangeResult::Kind::unsatisfiable);
    for (const char* ignored :
         {"bytes=5-1", "bytes=a-b", "bytes=-", "bytes=", "items=0-1", "bytes=0-1,5-6", "bytes=+1-2",
          "bytes=0-99999999999999999999", "bytes 0-1"}) {
        EXPECT_EQ(parse_range(ignored, 1000).kind, RangeResult::Kind::none) << ignored;
    }
    // An empty list element is allowed by the list syntax.
    EXPECT_EQ(parse_range("bytes=0-1,", 1000).kind, RangeResult::Kind::single);
}

TEST(ETag, MakeAndMatch) {
    std::string e = make_etag(0x1234, 0x5678);
    EXPECT_EQ(e, "\"1234-5678\"");
    EXPECT_TRUE(etag_list_matches_weak(e, e));
    EXPECT_TRUE(etag_list_matches_weak("W/" + e, e));
    EXPECT_TRUE(etag_list_matches_weak("\"x\", " + e, e));
    EXPECT_TRUE(etag_list_matches_weak(" * ", e));
    EXPECT_FALSE(etag_list_matches_weak("\"x\"", e));
    EXPECT_FALSE(etag_list_matches_weak("1234-5678", e));  // unquoted: malformed
    EXPECT_TRUE(etag_list_matches_strong(e, e));
    EXPECT_FALSE(etag_list_matches_strong("W/" + e, e));
    EXPECT_FALSE(etag_list_matches_weak(e, ""));
    EXPECT_TRUE(etag_list_matches_strong("*", ""));
}

TEST(Conditionals, Order) {
    std::string e = make_etag(100, 5);
    std::time_t mtime = 1'700'000'000;
    std::string lm = format_http_date(mtime);
    std::string older = format_http_date(mtime - 10);
    FileValidators v{100, mtime, true, e};
    Conditionals c;
    EXPECT_EQ(evaluate_conditionals(c, v).status, 200);
    EXPECT_EQ(evaluate_conditionals(c, v).range.length, 100u);
    c.if_none_match = e;
    EXPECT_EQ(evaluate_conditionals(c, v).status, 304);
    // If-None-Match takes precedence over If-Modified-Since.
    c.if_none_match = std::string_view("\"other\"");
    c.if_modified_since = lm;
    EXPECT_EQ(evaluate_conditionals(c, v).status, 200);
    c.if_none_match.reset();
    EXPECT_EQ(evaluate_conditionals(c, v).status, 304);
    c.if_modified_since = older;
    EXPECT_EQ(evaluate_conditionals(c, v).status, 200);
    c.if_modified_since = std::string_view("garbage");
    EXPECT_EQ(evaluate_conditionals(c, v).status, 200);
    c = {};
    c.if_match = std::string_view("\"nope\"");
    EXPECT_EQ(evaluate_conditionals(c, v).status, 412);
    c = {};
    c.if_unmodified_since = older;
    EXPECT_EQ(evaluate_conditionals(c, v).status, 412);
}

TEST(Conditionals, RangeAndIfRange) {
    std::string e = make_etag(100, 5);
    std::time_t mtime = 1'700'000'000;
    std::string lm = format_http_date(mtime);
    FileValidators v{100, mtime, true, e};
    Conditionals c;
    c.range = std::string_view("bytes=10-19");
    auto d = evaluate_conditionals(c, v);
    EXPECT_EQ(d.status, 206);
    EXPECT_EQ(d.range.first, 10u);
    EXPECT_EQ(d.range.length, 10u);
    c.if_range = e;
    EXPECT_EQ(evaluate_conditionals(c, v).status, 206);
    c.if_range = std::string_view("\"stale\"");
    EXPECT_EQ(evaluate_conditionals(c, v).status, 200);
    std::string weak = "W/" + e;
    c.if_range = weak;
    EXPECT_EQ(evaluate_conditionals(c, v).status, 200);
    c.if_range = lm;
    EXPECT_EQ(evaluate_conditionals(c, v).status, 206);
    std::string other = format_http_date(mtime + 1);
    c.if_range = other;
    EXPECT_EQ(evaluate_conditionals(c, v).status, 200);
    c.if_range.reset();
    c.range = std::string_view("bytes=100-");
    EXPECT_EQ(evaluate_conditionals(c, v).status, 416);
}
