#include <gannet/url.hpp>

#include <gtest/gtest.h>

#include <iterator>
#include <string>
#include <utility>
#include <vector>

namespace gannet {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

// --- percent_decode ----------------------------------------------------------------------------

TEST(PercentDecode, PlainTextIsUnchanged) {
    EXPECT_EQ(percent_decode(""), "");
    EXPECT_EQ(percent_decode("abc/def?x"), "abc/def?x");
}

TEST(PercentDecode, DecodesEscapesInEitherCase) {
    EXPECT_EQ(percent_decode("%41%62%2f%2F"), "Ab//");
    EXPECT_EQ(percent_decode("a%20b"), "a b");
    EXPECT_EQ(percent_decode("%25"), "%");
    EXPECT_EQ(percent_decode("%2541"), "%41");  // decodes once, not twice
}

TEST(PercentDecode, DecodedBytesMayBeAnyByte) {
    EXPECT_EQ(percent_decode("%00"), "\0"s);
    EXPECT_EQ(percent_decode("%FF%fe"), "\xFF\xFE");
    EXPECT_EQ(percent_decode("%E2%82%AC"), "\xE2\x82\xAC");
}

TEST(PercentDecode, PlusIsOnlyASpaceWhenAsked) {
    EXPECT_EQ(percent_decode("a+b"), "a+b");
    EXPECT_EQ(percent_decode("a+b", true), "a b");
    EXPECT_EQ(percent_decode("%2B+", true), "+ ");
}

TEST(PercentDecode, MalformedEscapesFail) {
    for (auto bad : {"%"sv, "%4"sv, "%zz"sv, "%4z"sv, "%z4"sv, "abc%"sv, "abc%2"sv, "%%41"sv,
                     "%41%"sv, "% 41"sv, "%+1"sv, "%-1"sv}) {
        EXPECT_EQ(percent_decode(bad), std::nullopt) << bad;
        EXPECT_EQ(percent_decode(bad, true), std::nullopt) << bad;
    }
}

TEST(PercentDecodeInto, AppendsToExistingContent) {
    std::string out = "prefix:";
    EXPECT_TRUE(percent_decode_into("a%20b+c", out, true));
    EXPECT_EQ(out, "prefix:a b c");
    EXPECT_TRUE(percent_decode_into("", out, false));
    EXPECT_EQ(out, "prefix:a b c");
}

TEST(PercentDecodeInto, LeavesOutputUnchangedOnError) {
    std::string out = "keep";
    EXPECT_FALSE(percent_decode_into("abc%41%zz", out, false));
    EXPECT_EQ(out, "keep");
    EXPECT_FALSE(percent_decode_into("%", out, true));
    EXPECT_EQ(out, "keep");
}

TEST(PercentDecodeInto, DoesNotReallocateWithEnoughCapacity) {
    std::string out;
    out.reserve(64);
    const char* data = out.data();
    const std::size_t capacity = out.capacity();
    for (int i = 0; i < 4; ++i) {
        out.clear();
        ASSERT_TRUE(percent_decode_into("hello%20world+and%2Fmore", out, true));
        EXPECT_EQ(out, "hello world and/more");
        EXPECT_FALSE(percent_decode_into("bad%2", out, true));
        EXPECT_EQ(out, "hello world and/more");
    }
    EXPECT_EQ(out.data(), data);
    EXPECT_EQ(out.capacity(), capacity);
}

// --- percent_encode ----------------------------------------------------------------------------

TEST(PercentEncode, KeepsUnreserved) {
    const std::string unreserved =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
    EXPECT_EQ(percent_encode(unreserved), unreserved);
    EXPECT_EQ(percent_encode(""), "");
}

TEST(PercentEncode, EncodesEverythingElseUpperCase) {
    EXPECT_EQ(percent_encode("a b"), "a%20b");
    EXPECT_EQ(percent_encode("a+b&c=d/e?f#g%h"), "a%2Bb%26c%3Dd%2Fe%3Ff%23g%25h");
    EXPECT_EQ(percent_encode("\0\x1f\x7f\xff"s), "%00%1F%7F%FF");
    EXPECT_EQ(percent_encode("\xE2\x82\xAC"), "%E2%82%AC");
    EXPECT_EQ(percent_encode("!*'();:@$,[]"), "%21%2A%27%28%29%3B%3A%40%24%2C%5B%5D");
}

TEST(PercentEncode, RoundTripsEveryByte) {
    std::string all;
    for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
    const std::string encoded = percent_encode(all);
    for (char c : encoded) {
        const auto b = static_cast<unsigned char>(c);
        EXPECT_TRUE(b > 0x20 && b < 0x7F) << int(b);
    }
    EXPECT_EQ(percent_decode(encoded), all);
    EXPECT_EQ(percent_decode(encoded, true), all);  // '+' was encoded, so no ambiguity
}

// --- QueryParams -------------------------------------------------------------------------------

std::vector<std::pair<std::string, std::string>> pairs(const QueryParams& q) {
    std::vector<std::pair<std::string, std::string>> out;
    for (auto [k, v] : q) out.emplace_back(k, v);
    return out;
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

TEST(QueryParams, ParsesTheBriefExample) {
    const std::string query = "a=1&b=two&a=3&flag&x=%20y+z";
    const auto q = QueryParams::parse(query);
    EXPECT_EQ(q.size(), 5u);
    EXPECT_EQ(pairs(q), (Pairs{{"a", "1"}, {"b", "two"}, {"a", "3"}, {"flag", ""}, {"x", " y z"}}));
    EXPECT_EQ(q.get("a"), "1");
    EXPECT_EQ(q.get_all("a"), (std::vector<std::string_view>{"1", "3"}));
    EXPECT_EQ(q.get("b"), "two");
    EXPECT_EQ(q.get("x"), " y z");
    EXPECT_TRUE(q.has("flag"));
    EXPECT_EQ(q.get("flag"), "");
    EXPECT_FALSE(q.has("missing"));
    EXPECT_EQ(q.get("missing"), std::nullopt);
    EXPECT_TRUE(q.get_all("missing").empty());
}

TEST(QueryParams, EmptyInputs) {
    const QueryParams none;
    EXPECT_TRUE(none.empty());
    EXPECT_EQ(none.size(), 0u);
    EXPECT_EQ(none.begin(), none.end());
    EXPECT_FALSE(none.has(""));
    EXPECT_TRUE(QueryParams::parse("").empty());
    EXPECT_TRUE(QueryParams::parse("&").empty());
    EXPECT_TRUE(QueryParams::parse("&&&").empty());
}

TEST(QueryParams, SkipsEmptyPieces) {
    const auto q = QueryParams::parse("&a=1&&b=2&");
    EXPECT_EQ(pairs(q), (Pairs{{"a", "1"}, {"b", "2"}}));
}

TEST(QueryParams, SplitsAtTheFirstEquals) {
    const auto q = QueryParams::parse("a=b=c&=v&k=&==");
    EXPECT_EQ(pairs(q), (Pairs{{"a", "b=c"}, {"", "v"}, {"k", ""}, {"", "="}}));
    EXPECT_EQ(q.get(""), "v");
    EXPECT_EQ(q.get("k"), "");
}

TEST(QueryParams, DecodesKeysAndLooksUpByDecodedKey) {
    const auto q = QueryParams::parse("a%20b=1&c+d=2&%65=3");
    EXPECT_EQ(q.get("a b"), "1");
    EXPECT_EQ(q.get("c d"), "2");
    EXPECT_EQ(q.get("e"), "3");
    EXPECT_FALSE(q.has("a%20b"));
}

TEST(QueryParams, KeysAreCaseSensitive) {
    const auto q = QueryParams::parse("Key=1");
    EXPECT_TRUE(q.has("Key"));
    EXPECT_FALSE(q.has("key"));
}

TEST(QueryParams, MalformedEscapesStayLiteralAndTheRestIsDecoded) {
    const auto q = QueryParams::parse("p=100%&x=%41%zz+%4&%=%&y=ok%2");
    EXPECT_EQ(pairs(q), (Pairs{{"p", "100%"}, {"x", "A%zz %4"}, {"%", "%"}, {"y", "ok%2"}}));
}

TEST(QueryParams, DecodedBytesMayBeBinary) {
    const auto q = QueryParams::parse("n=%00&h=%FF&amp=%26&eq=%3D");
    EXPECT_EQ(q.get("n"), "\0"sv);
    EXPECT_EQ(q.get("h"), "\xFF"sv);
    EXPECT_EQ(q.get("amp"), "&");
    EXPECT_EQ(q.get("eq"), "=");
}

TEST(QueryParams, UndecodedPiecesAreViewsIntoTheSource) {
    const std::string query = "plain=value&enc=%41";
    const auto q = QueryParams::parse(query);
    const auto plain = q.get("plain");
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->data(), query.data() + 6);
    const auto enc = q.get("enc");
    ASSERT_TRUE(enc);
    EXPECT_EQ(*enc, "A");
    EXPECT_FALSE(enc->data() >= query.data() && enc->data() < query.data() + query.size());
}

TEST(QueryParams, CopiesAndMovesKeepDecodedValuesValid) {
    const std::string query = "a=%41&b=x+y&c=plain&long=" + std::string(100, 'z') + "%21";
    std::optional<QueryParams> original = QueryParams::parse(query);
    QueryParams copy = *original;
    QueryParams moved = std::move(*original);
    original.reset();  // the decoded storage of the original is gone now
    for (const QueryParams* q : {&copy, &moved}) {
        EXPECT_EQ(q->get("a"), "A");
        EXPECT_EQ(q->get("b"), "x y");
        EXPECT_EQ(q->get("c"), "plain");
        EXPECT_EQ(q->get("long"), std::string(100, 'z') + "!");
    }
    QueryParams assigned;
    assigned = copy;
    EXPECT_EQ(pairs(assigned), pairs(copy));
    assigned = QueryParams::parse("q=%31");
    EXPECT_EQ(assigned.get("q"), "1");
}

TEST(QueryParams, IterationAndIndexing) {
    const auto q = QueryParams::parse("a=1&b=%32&c");
    static_assert(std::forward_iterator<QueryParams::const_iterator>);
    EXPECT_EQ(std::distance(q.begin(), q.end()), 3);
    auto it = q.begin();
    EXPECT_EQ((*it).first, "a");
    auto old = it++;
    EXPECT_EQ((*old).second, "1");
    EXPECT_EQ((*it).second, "2");
    ++it;
    EXPECT_EQ(*it, (QueryParams::value_type{"c", ""}));
    ++it;
    EXPECT_EQ(it, q.end());
    EXPECT_EQ(q[1], (QueryParams::value_type{"b", "2"}));
    EXPECT_NE(QueryParams::const_iterator(), q.begin());
}

TEST(QueryParams, ParseFormTreatsPlusAsSpace) {
    const std::string body = "name=Jane+Doe&comment=a%2Bb+%3D+c&empty=";
    const auto f = QueryParams::parse_form(body);
    EXPECT_EQ(pairs(f), (Pairs{{"name", "Jane Doe"}, {"comment", "a+b = c"}, {"empty", ""}}));
}

TEST(QueryParams, ManyPairs) {
    std::string body;
    for (int i = 0; i < 1000; ++i) {
        body += "k" + std::to_string(i % 10) + "=v%20" + std::to_string(i) + "&";
    }
    const auto f = QueryParams::parse_form(body);
    EXPECT_EQ(f.size(), 1000u);
    EXPECT_EQ(f.get("k3"), "v 3");
    const auto all = f.get_all("k7");
    ASSERT_EQ(all.size(), 100u);
    EXPECT_EQ(all.back(), "v 997");
}

// A temporary std::string would die before the views into it are read.
template <class S>
concept Parsable = requires(S&& s) {
    QueryParams::parse(std::forward<S>(s));
};
template <class S>
concept FormParsable = requires(S&& s) {
    QueryParams::parse_form(std::forward<S>(s));
};

static_assert(!Parsable<std::string>);
static_assert(!Parsable<const std::string>);
static_assert(Parsable<std::string&>);
static_assert(Parsable<const std::string&>);
static_assert(Parsable<std::string_view>);
static_assert(Parsable<const char*>);
static_assert(Parsable<const char (&)[4]>);
static_assert(!FormParsable<std::string>);
static_assert(FormParsable<std::string&>);
static_assert(FormParsable<std::string_view>);

}  // namespace
}  // namespace gannet
