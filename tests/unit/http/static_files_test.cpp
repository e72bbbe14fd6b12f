#include "http/static_files.hpp"

#include "http/date_cache.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>
#include <random>
#include <string>
#include <vector>

namespace gannet::http {
// Readable failure messages.
void PrintTo(const ByteRange& r, std::ostream* os) {
    *os << "{" << r.first << ", " << r.length << "}";
}
}  // namespace gannet::http

using namespace gannet::http;

namespace {

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
         {"bytes=5-1", "bytes=a-b", "bytes=-", "bytes=", "bytes=,", "items=0-1", "bytes=+1-2",
          "bytes=0-99999999999999999999", "bytes 0-1"}) {
        EXPECT_EQ(parse_range(ignored, 1000).kind, RangeResult::Kind::none) << ignored;
    }
    // An empty list element is allowed by the list syntax.
    EXPECT_EQ(parse_range("bytes=0-1,", 1000).kind, RangeResult::Kind::single);
}

// --- Several ranges (RFC 9110 14.2) -------------------------------------------------------

std::vector<ByteRange> multiple(std::string_view header, std::uint64_t size = 1000,
                                std::size_t max_ranges = kDefaultMaxRanges) {
    RangeResult r = parse_range(header, size, max_ranges);
    EXPECT_EQ(r.kind, RangeResult::Kind::multiple) << header;
    return r.ranges;
}

ByteRange single(std::string_view header, std::uint64_t size = 1000) {
    RangeResult r = parse_range(header, size);
    EXPECT_EQ(r.kind, RangeResult::Kind::single) << header;
    EXPECT_TRUE(r.ranges.empty()) << header;
    return r.range;
}

// "a-b,c-d,...": n ranges of `len` bytes, `step` bytes apart, from `start`.
std::string spaced_ranges(std::size_t n, std::uint64_t start, std::uint64_t step,
                          std::uint64_t len) {
    std::string h = "bytes=";
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint64_t first = start + i * step;
        h += (i ? "," : "") + std::to_string(first) + "-" + std::to_string(first + len - 1);
    }
    return h;
}

TEST(Ranges, SeveralDisjointRangesInTheOrderRequested) {
    EXPECT_EQ(multiple("bytes=0-9,500-509"), (std::vector<ByteRange>{{0, 10}, {500, 10}}));
    EXPECT_EQ(multiple("bytes=500-509,0-9"), (std::vector<ByteRange>{{500, 10}, {0, 10}}));
    EXPECT_EQ(multiple("bytes=-10, 0-9 ,500-599"),
              (std::vector<ByteRange>{{990, 10}, {0, 10}, {500, 100}}));
    EXPECT_EQ(multiple("bytes=0-9,,500-509,"), (std::vector<ByteRange>{{0, 10}, {500, 10}}));
    EXPECT_EQ(multiple("bytes=0-9,500-5000"), (std::vector<ByteRange>{{0, 10}, {500, 500}}));
}

TEST(Ranges, OverlappingAdjacentAndNearbyRangesAreCoalesced) {
    EXPECT_EQ(single("bytes=0-9,5-14"), (ByteRange{0, 15}));
    EXPECT_EQ(single("bytes=5-14,0-9"), (ByteRange{0, 15}));
    EXPECT_EQ(single("bytes=0-9,10-19"), (ByteRange{0, 20}));     // adjacent
    EXPECT_EQ(single("bytes=0-99,10-19"), (ByteRange{0, 100}));   // contained
    EXPECT_EQ(single("bytes=0-9,0-9"), (ByteRange{0, 10}));       // repeated
    EXPECT_EQ(single("bytes=-100,900-"), (ByteRange{900, 100}));  // the same bytes twice
    EXPECT_EQ(single("bytes=0-9,89-99"), (ByteRange{0, 100}));    // a gap of 79 bytes
    EXPECT_EQ(multiple("bytes=0-9,90-99"), (std::vector<ByteRange>{{0, 10}, {90, 10}}));  // 80
    static_assert(kRangeCoalesceGap == 80);
    // A coalesced part takes the place of its earliest range.
    EXPECT_EQ(multiple("bytes=500-509,0-9,5-14"), (std::vector<ByteRange>{{500, 10}, {0, 15}}));
    EXPECT_EQ(multiple("bytes=500-509,0-9,505-515"), (std::vector<ByteRange>{{500, 16}, {0, 10}}));
    EXPECT_EQ(multiple("bytes=0-9,500-509,200-209,505-600"),
              (std::vector<ByteRange>{{0, 10}, {500, 101}, {200, 10}}));
}

TEST(Ranges, UnsatisfiableRangesInASetAreDropped) {
    EXPECT_EQ(single("bytes=0-9,5000-"), (ByteRange{0, 10}));
    EXPECT_EQ(single("bytes=5000-,-0,990-"), (ByteRange{990, 10}));
    EXPECT_EQ(multiple("bytes=0-9,1000-1009,500-509"),
              (std::vector<ByteRange>{{0, 10}, {500, 10}}));
    EXPECT_EQ(parse_range("bytes=1000-,2000-3000,-0", 1000).kind, RangeResult::Kind::unsatisfiable);
    EXPECT_EQ(parse_range("bytes=0-1,5-6", 0).kind, RangeResult::Kind::unsatisfiable);
}

TEST(Ranges, AnInvalidRangeSpecAnywhereIgnoresTheHeader) {
    for (const char* bad : {"bytes=0-9,5-1", "bytes=0-9,x", "bytes=0-9,-", "bytes=0-9,1000-,a-",
                            "bytes=0-9, 5 - 6", "bytes=0-9;500-509"}) {
        EXPECT_EQ(parse_range(bad, 1000).kind, RangeResult::Kind::none) << bad;
    }
}

TEST(Ranges, MoreThanMaxRangesIgnoresTheHeader) {
    const std::string at_limit = spaced_ranges(kDefaultMaxRanges, 0, 100, 1);
    EXPECT_EQ(multiple(at_limit, 10'000).size(), kDefaultMaxRanges);
    const std::string over = spaced_ranges(kDefaultMaxRanges + 1, 0, 100, 1);
    EXPECT_EQ(parse_range(over, 10'000).kind, RangeResult::Kind::none);
    // Counted as sent, satisfiable or not, coalesced or not, and before any is checked.
    EXPECT_EQ(parse_range(spaced_ranges(kDefaultMaxRanges + 1, 0, 0, 1), 10'000).kind,
              RangeResult::Kind::none);
    EXPECT_EQ(parse_range(spaced_ranges(kDefaultMaxRanges + 1, 20'000, 1, 1), 10'000).kind,
              RangeResult::Kind::none);
    EXPECT_EQ(parse_range("bytes=0-1,500-501", 1000, 1).kind, RangeResult::Kind::none);
    EXPECT_EQ(parse_range("bytes=0-1,", 1000, 1).kind, RangeResult::Kind::single);
    EXPECT_EQ(parse_range("bytes=0-1", 1000, 0).kind, RangeResult::Kind::none);
    EXPECT_EQ(multiple("bytes=0-1,500-501", 1000, 2).size(), 2u);
}

TEST(Ranges, AbusiveSetsCollapse) {
    // The overlap attack of CVE-2011-3192: the whole file, once.
    std::string h = "bytes=0-";
    for (int i = 1; i < 64; ++i) h += ",0-";
    EXPECT_EQ(single(h), (ByteRange{0, 1000}));
    h = "bytes=0-";
    for (int i = 1; i < 64; ++i) h += ",5-" + std::to_string(5 + i);
    EXPECT_EQ(single(h), (ByteRange{0, 1000}));
    // Many tiny ranges close together: one part, not 64 part heads for 64 bytes.
    EXPECT_EQ(single(spaced_ranges(64, 0, 2, 1)), (ByteRange{0, 127}));
    // Descending order changes nothing.
    h = "bytes=";
    for (int i = 63; i >= 0; --i) h += std::to_string(i * 2) + "-" + std::to_string(i * 2) + ",";
    EXPECT_EQ(single(h), (ByteRange{0, 127}));
}

// Invariants over random sets: every requested byte is sent; parts are disjoint and at least
// kRangeCoalesceGap apart; each starts and ends on a requested byte, so no more than the
// requested bytes and the short gaps between them is sent.
TEST(Ranges, RandomSetsKeepTheInvariants) {
    std::mt19937_64 rng(12345);
    for (int round = 0; round < 2000; ++round) {
        const std::uint64_t size = 1 + rng() % 3000;
        const std::size_t n = 2 + rng() % 10;
        std::string h = "bytes=";
        std::vector<bool> wanted(size, false);
        for (std::size_t i = 0; i < n; ++i) {
            std::uint64_t first = rng() % (size + 50);
            std::uint64_t last = first + rng() % 400;
            if (i) h += ",";
            if (rng() % 5 == 0) {  // a suffix range
                const std::uint64_t len = 1 + rng() % 300;
                h += "-" + std::to_string(len);
                first = size - std::min(len, size);
                last = size - 1;
            } else {
                h += std::to_string(first) + "-" + std::to_string(last);
            }
            for (std::uint64_t b = first; b <= last && b < size; ++b) wanted[b] = true;
        }
        const RangeResult r = parse_range(h, size);
        std::vector<ByteRange> parts = r.ranges;
        if (r.kind == RangeResult::Kind::single) parts = {r.range};
        if (r.kind == RangeResult::Kind::unsatisfiable) {
            EXPECT_EQ(std::count(wanted.begin(), wanted.end(), true), 0) << h;
            continue;
        }
        ASSERT_TRUE(r.kind == RangeResult::Kind::single || r.kind == RangeResult::Kind::multiple)
            << h;
        std::vector<bool> sent(size, false);
        for (const ByteRange& p : parts) {
            ASSERT_GT(p.length, 0u) << h;
            ASSERT_LE(p.first + p.length, size) << h;
            EXPECT_TRUE(wanted[p.first]) << h;
            EXPECT_TRUE(wanted[p.first + p.length - 1]) << h;
            for (std::uint64_t b = p.first; b < p.first + p.length; ++b) {
                EXPECT_FALSE(sent[b]) << h << ": byte " << b << " sent twice";
                sent[b] = true;
            }
        }
        for (std::uint64_t b = 0; b < size; ++b) {
            EXPECT_TRUE(!wanted[b] || sent[b]) << h << ": byte " << b << " missing";
        }
        std::sort(parts.begin(), parts.end(),
                  [](const ByteRange& x, const ByteRange& y) { return x.first < y.first; });
        for (std::size_t i = 1; i < parts.size(); ++i) {
            EXPECT_GE(parts[i].first - (parts[i - 1].first + parts[i - 1].length),
                      kRangeCoalesceGap)
                << h;
        }
    }
}

// --- multipart/byteranges layout (RFC 9110 14.6) ----------------------------------------------

TEST(Multipart, LayoutMatchesTheRfcExampleShape) {
    const std::vector<ByteRange> ranges{{500, 500}, {7000, 1000}};
    const MultipartRanges m =
        plan_multipart(ranges, 8000, "application/pdf", "THIS_STRING_SEPARATES");
    EXPECT_EQ(m.content_type, "multipart/byteranges; boundary=THIS_STRING_SEPARATES");
    ASSERT_EQ(m.heads.size(), 2u);
    EXPECT_EQ(m.heads[0],
              "--THIS_STRING_SEPARATES\r\nContent-Type: application/pdf\r\n"
              "Content-Range: bytes 500-999/8000\r\n\r\n");
    EXPECT_EQ(m.heads[1],
              "\r\n--THIS_STRING_SEPARATES\r\nContent-Type: application/pdf\r\n"
              "Content-Range: bytes 7000-7999/8000\r\n\r\n");
    EXPECT_EQ(m.tail, "\r\n--THIS_STRING_SEPARATES--\r\n");
    EXPECT_EQ(m.content_length, m.heads[0].size() + 500 + m.heads[1].size() + 1000 + m.tail.size());
}

TEST(Multipart, ContentLengthIsExactAndPartsParseBack) {
    std::string file(5000, '\0');
    for (std::size_t i = 0; i < file.size(); ++i) file[i] = static_cast<char>('a' + i % 26);
    for (const char* header :
         {"bytes=0-0,4999-4999", "bytes=-1,0-9,1000-1999,3000-", "bytes=10-19,200-299,0-0"}) {
        const RangeResult r = parse_range(header, file.size());
        ASSERT_EQ(r.kind, RangeResult::Kind::multiple) << header;
        const MultipartRanges m = plan_multipart(r.ranges, file.size(), "text/plain", "b0undary");
        std::string body;
        for (std::size_t i = 0; i < r.ranges.size(); ++i) {
            body += m.heads[i];
            body += file.substr(r.ranges[i].first, r.ranges[i].length);
        }
        body += m.tail;
        EXPECT_EQ(body.size(), m.content_length) << header;
        // Split on the delimiter and check each part's Content-Range against its bytes.
        std::size_t pos = 0;
        for (const ByteRange& range : r.ranges) {
            const std::string delim = (pos == 0 ? "" : "\r\n") + std::string("--b0undary\r\n");
            ASSERT_EQ(body.compare(pos, delim.size(), delim), 0) << header;
            const std::size_t fields_end = body.find("\r\n\r\n", pos);
            const std::string fields =
                body.substr(pos + delim.size(), fields_end + 2 - pos - delim.size());
            const std::string want = "Content-Range: bytes " + std::to_string(range.first) + "-" +
                                     std::to_string(range.first + range.length - 1) + "/5000\r\n";
            EXPECT_NE(fields.find(want), std::string::npos) << fields;
            EXPECT_NE(fields.find("Content-Type: text/plain\r\n"), std::string::npos) << fields;
            pos = fields_end + 4;
            EXPECT_EQ(body.substr(pos, range.length), file.substr(range.first, range.length));
            pos += range.length;
        }
        EXPECT_EQ(body.substr(pos), "\r\n--b0undary--\r\n");
    }
}

TEST(Multipart, NoContentTypeWhenTheFileHasNone) {
    const MultipartRanges m = plan_multipart({{0, 1}, {100, 1}}, 200, "", "b");
    EXPECT_EQ(m.heads[0], "--b\r\nContent-Range: bytes 0-0/200\r\n\r\n");
    EXPECT_EQ(m.content_length, m.heads[0].size() + m.heads[1].size() + 2 + m.tail.size());
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

TEST(Conditionals, SeveralRanges) {
    std::string e = make_etag(1000, 5);
    FileValidators v{1000, 1'700'000'000, true, e};
    Conditionals c;
    c.range = std::string_view("bytes=0-9,500-509");
    StaticDecision d = evaluate_conditionals(c, v);
    EXPECT_EQ(d.status, 206);
    EXPECT_EQ(d.ranges, (std::vector<ByteRange>{{0, 10}, {500, 10}}));
    // Coalesced into one: a plain 206, no parts.
    c.range = std::string_view("bytes=0-9,5-19");
    d = evaluate_conditionals(c, v);
    EXPECT_EQ(d.status, 206);
    EXPECT_TRUE(d.ranges.empty());
    EXPECT_EQ(d.range, (ByteRange{0, 20}));
    // If-Range applies to the whole set.
    c.range = std::string_view("bytes=0-9,500-509");
    c.if_range = std::string_view("\"stale\"");
    d = evaluate_conditionals(c, v);
    EXPECT_EQ(d.status, 200);
    EXPECT_TRUE(d.ranges.empty());
    EXPECT_EQ(d.range, (ByteRange{0, 1000}));
    c.if_range = e;
    EXPECT_EQ(evaluate_conditionals(c, v).ranges.size(), 2u);
    // Over max_ranges: the whole file.
    d = evaluate_conditionals(c, v, 1);
    EXPECT_EQ(d.status, 200);
    EXPECT_EQ(d.range, (ByteRange{0, 1000}));
    // None satisfiable: 416.
    c.range = std::string_view("bytes=1000-,2000-");
    EXPECT_EQ(evaluate_conditionals(c, v).status, 416);
}

}  // namespace
