#include <gannet/cookie.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <initializer_list>
#include <stdexcept>
#include <string>

namespace gannet {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;
using namespace std::string_view_literals;
using Cookies = std::vector<std::pair<std::string_view, std::string_view>>;

// --- parse_cookie_header / find_cookie ---------------------------------------------------------

TEST(ParseCookieHeader, SplitsPairs) {
    EXPECT_EQ(parse_cookie_header("a=1; b=2"), (Cookies{{"a", "1"}, {"b", "2"}}));
    EXPECT_EQ(parse_cookie_header("a=1"), (Cookies{{"a", "1"}}));
    EXPECT_TRUE(parse_cookie_header("").empty());
    EXPECT_TRUE(parse_cookie_header(" ; ;; ").empty());
}

TEST(ParseCookieHeader, ToleratesMissingOrExtraWhitespace) {
    EXPECT_EQ(parse_cookie_header("a=1;b=2;c=3"), (Cookies{{"a", "1"}, {"b", "2"}, {"c", "3"}}));
    EXPECT_EQ(parse_cookie_header("  a = 1 ;\tb=2\t;  "), (Cookies{{"a", "1"}, {"b", "2"}}));
    EXPECT_EQ(parse_cookie_header("a=1;"), (Cookies{{"a", "1"}}));
}

TEST(ParseCookieHeader, EmptyValuesAndEqualsInValues) {
    EXPECT_EQ(parse_cookie_header("a=; b=x=y=="), (Cookies{{"a", ""}, {"b", "x=y=="}}));
}

TEST(ParseCookieHeader, RemovesSurroundingQuotes) {
    EXPECT_EQ(parse_cookie_header(R"(a="x y"; b=""; c="; d="q)"),
              (Cookies{{"a", "x y"}, {"b", ""}, {"c", "\""}, {"d", "\"q"}}));
    EXPECT_EQ(parse_cookie_header(R"(a= "v" )"), (Cookies{{"a", "v"}}));
}

TEST(ParseCookieHeader, KeepsLooseButHarmlessValueBytes) {
    // document.cookie lets scripts set these; browsers send them back as they are.
    EXPECT_EQ(parse_cookie_header("a=x y,z\\; b=caf\xC3\xA9"),
              (Cookies{{"a", "x y,z\\"}, {"b", "caf\xC3\xA9"}}));
}

TEST(ParseCookieHeader, SkipsMalformedPairsAndKeepsTheRest) {
    EXPECT_EQ(parse_cookie_header("flag; a=1"), (Cookies{{"a", "1"}}));              // no '='
    EXPECT_EQ(parse_cookie_header("=x; a=1"), (Cookies{{"a", "1"}}));                // no name
    EXPECT_EQ(parse_cookie_header(" =x; a=1"), (Cookies{{"a", "1"}}));               // no name
    EXPECT_EQ(parse_cookie_header("a b=1; c=2"), (Cookies{{"c", "2"}}));             // space
    EXPECT_EQ(parse_cookie_header("a@=1; c(=2; d=3"), (Cookies{{"d", "3"}}));        // non-token
    EXPECT_EQ(parse_cookie_header("\xC3\xA9=1; d=3"), (Cookies{{"d", "3"}}));        // non-ASCII
    EXPECT_EQ(parse_cookie_header("a=1\x01; b=2\x7F; c=3"), (Cookies{{"c", "3"}}));  // CTL
    EXPECT_EQ(parse_cookie_header("a=x\ty; c=3"), (Cookies{{"c", "3"}}));            // inner TAB
    EXPECT_EQ(parse_cookie_header("a=\"x\0\"; c=3"s), (Cookies{{"c", "3"}}));        // NUL
}

TEST(ParseCookieHeader, KeepsDuplicatesInOrder) {
    EXPECT_EQ(parse_cookie_header("id=specific; id=general"),
              (Cookies{{"id", "specific"}, {"id", "general"}}));
}

TEST(ParseCookieHeader, ViewsPointIntoTheHeader) {
    const std::string header = "session=abc123; theme=dark";
    const auto cookies = parse_cookie_header(header);
    ASSERT_EQ(cookies.size(), 2u);
    EXPECT_EQ(cookies[0].second.data(), header.data() + 8);
    EXPECT_EQ(cookies[1].first.data(), header.data() + 16);
}

TEST(FindCookie, FindsTheFirstMatch) {
    constexpr auto kHeader = "a=1; session=abc; a=2"sv;
    EXPECT_EQ(find_cookie(kHeader, "session"), "abc");
    EXPECT_EQ(find_cookie(kHeader, "a"), "1");
    EXPECT_EQ(find_cookie("x=\"quoted\"", "x"), "quoted");
    EXPECT_EQ(find_cookie("x=", "x"), "");
}

TEST(FindCookie, MissingNamesAndCaseSensitivity) {
    EXPECT_EQ(find_cookie("", "a"), std::nullopt);
    EXPECT_EQ(find_cookie("ab=1; b=2", "a"), std::nullopt);
    EXPECT_EQ(find_cookie("a=1", "ab"), std::nullopt);
    EXPECT_EQ(find_cookie("Session=1", "session"), std::nullopt);
    EXPECT_EQ(find_cookie("x=a=b", "a"), std::nullopt);  // a value is not a name
}

TEST(FindCookie, AgreesWithParseOnMalformedPairs) {
    EXPECT_EQ(find_cookie("a; a=2", "a"), "2");
    EXPECT_EQ(find_cookie("a=bad\x01; a=good", "a"), "good");
    EXPECT_EQ(find_cookie("flag", "flag"), std::nullopt);
    EXPECT_EQ(find_cookie("=x", ""), std::nullopt);
}

// --- SetCookie ---------------------------------------------------------------------------------

// Runs `f`, expecting std::invalid_argument whose message contains every one of `parts`.
void expect_invalid(const std::function<void()>& f, std::initializer_list<std::string_view> parts) {
    try {
        f();
        ADD_FAILURE() << "no exception";
    } catch (const std::invalid_argument& e) {
        const std::string what = e.what();
        for (auto part : parts) {
            EXPECT_NE(what.find(part), std::string::npos) << "'" << part << "' not in: " << what;
        }
    }
}

TEST(SetCookie, SessionCookie) {
    EXPECT_EQ(SetCookie("sid", "abc").to_string(), "sid=abc");
    EXPECT_EQ(SetCookie("sid", "").to_string(), "sid=");
    EXPECT_EQ(SetCookie("sid", "\"abc\"").to_string(), "sid=\"abc\"");
    EXPECT_EQ(SetCookie("sid", "\"\"").to_string(), "sid=\"\"");
    const SetCookie c("n", "v");
    EXPECT_EQ(c.name(), "n");
    EXPECT_EQ(c.value(), "v");
}

TEST(SetCookie, EveryAttribute) {
    const auto when = std::chrono::system_clock::from_time_t(784111777);
    const std::string s = SetCookie("sid", "a1-B2_c3.~!#$%&'()*+/:<=>?@[]^`{|}")
                              .path("/app")
                              .domain("example.com")
                              .expires(when)
                              .max_age(3600s)
                              .secure()
                              .http_only()
                              .same_site(SameSite::lax)
                              .to_string();
    EXPECT_EQ(s,
              "sid=a1-B2_c3.~!#$%&'()*+/:<=>?@[]^`{|}; Path=/app; Domain=example.com; "
              "Expires=Sun, 06 Nov 1994 08:49:37 GMT; Max-Age=3600; Secure; HttpOnly; "
              "SameSite=Lax");
}

TEST(SetCookie, SameSiteModes) {
    EXPECT_EQ(SetCookie("a", "1").same_site(SameSite::strict).to_string(), "a=1; SameSite=Strict");
    EXPECT_EQ(SetCookie("a", "1").same_site(SameSite::lax).to_string(), "a=1; SameSite=Lax");
    // Browsers reject SameSite=None without Secure, so it is added.
    EXPECT_EQ(SetCookie("a", "1").same_site(SameSite::none).to_string(),
              "a=1; Secure; SameSite=None");
    EXPECT_EQ(SetCookie("a", "1").secure().same_site(SameSite::none).to_string(),
              "a=1; Secure; SameSite=None");
    // The last call wins.
    EXPECT_EQ(SetCookie("a", "1").same_site(SameSite::none).same_site(SameSite::lax).to_string(),
              "a=1; SameSite=Lax");
}

TEST(SetCookie, PartitionedImpliesSecure) {
    EXPECT_EQ(SetCookie("a", "1").partitioned().to_string(), "a=1; Secure; Partitioned");
    EXPECT_EQ(SetCookie("a", "1").same_site(SameSite::none).partitioned().to_string(),
              "a=1; Secure; SameSite=None; Partitioned");
}

TEST(SetCookie, MaxAge) {
    EXPECT_EQ(SetCookie("a", "1").max_age(0s).to_string(), "a=1; Max-Age=0");
    EXPECT_EQ(SetCookie("a", "1").max_age(-5s).to_string(), "a=1; Max-Age=0");
    EXPECT_EQ(SetCookie("a", "1").max_age(std::chrono::hours(24 * 400)).to_string(),
              "a=1; Max-Age=34560000");
    EXPECT_EQ(SetCookie("a", "1").max_age(std::chrono::seconds(INT64_MAX)).to_string(),
              "a=1; Max-Age=9223372036854775807");
}

TEST(SetCookie, Expires) {
    using std::chrono::system_clock;
    EXPECT_EQ(SetCookie("a", "1").expires(system_clock::from_time_t(0)).to_string(),
              "a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
    // Sub-second precision is floored, also before the epoch.
    EXPECT_EQ(SetCookie("a", "1")
                  .expires(system_clock::from_time_t(0) - std::chrono::milliseconds(1))
                  .to_string(),
              "a=1; Expires=Wed, 31 Dec 1969 23:59:59 GMT");
    EXPECT_EQ(SetCookie("a", "1")
                  .expires(system_clock::from_time_t(784111777) + std::chrono::milliseconds(999))
                  .to_string(),
              "a=1; Expires=Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST(SetCookie, NamePrefixes) {
    EXPECT_EQ(SetCookie("__Secure-id", "1").to_string(), "__Secure-id=1; Secure");
    EXPECT_EQ(SetCookie("__Host-id", "1").to_string(), "__Host-id=1; Path=/; Secure");
    EXPECT_EQ(SetCookie("__host-id", "1").path("/").to_string(), "__host-id=1; Path=/; Secure");
    EXPECT_EQ(SetCookie("__SECURE-id", "1").to_string(), "__SECURE-id=1; Secure");
    EXPECT_EQ(SetCookie("__Hostile", "1").to_string(), "__Hostile=1");
    expect_invalid([] { SetCookie("__Host-id", "1").domain("example.com"); },
                   {"__Host-id", "Domain"});
    expect_invalid([] { SetCookie("__HOST-id", "1").path("/app"); }, {"__HOST-id", "Path=/"});
}

TEST(SetCookie, RejectsBadNames) {
    expect_invalid([] { SetCookie("", "1"); }, {"name is empty"});
    expect_invalid([] { SetCookie("a b", "1"); }, {"\"a b\"", "name", "0x20", "offset 1"});
    expect_invalid([] { SetCookie("a=b", "1"); }, {"0x3D ('=')"});
    expect_invalid([] { SetCookie("a;b", "1"); }, {"0x3B (';')"});
    expect_invalid([] { SetCookie("(a)", "1"); }, {"0x28"});
    expect_invalid([] { SetCookie("caf\xC3\xA9", "1"); }, {"caf\\xC3\\xA9", "0xC3"});
    expect_invalid([] { SetCookie("a\r\nSet-Cookie: x", "1"); }, {"a\\x0D\\x0A", "0x0D"});
}

TEST(SetCookie, RejectsValuesOutsideCookieOctets) {
    for (auto bad : {"a b"s, "a,b"s, "a;b"s, "a\\b"s, "a\"b"s, "\""s, "\"a"s, "a\""s, "\"a b\""s,
                     "\x7F"s, "\x01"s, "\0"s, "\xC3\xA9"s, "\r\n"s}) {
        expect_invalid([&] { SetCookie("sid", bad); }, {"\"sid\"", "value", "cookie-octet"});
    }
    expect_invalid([] { SetCookie("sid", "ok;bad"); }, {"0x3B (';') at offset 2"});
    expect_invalid([] { SetCookie("sid", "\"a b\""); }, {"0x20 (' ') at offset 2"});
}

TEST(SetCookie, RejectsBadPaths) {
    expect_invalid([] { SetCookie("sid", "1").path(""); }, {"\"sid\"", "Path is empty"});
    expect_invalid([] { SetCookie("sid", "1").path("app"); }, {"Path must start with '/'"});
    expect_invalid([] { SetCookie("sid", "1").path("/a;b"); }, {"Path", "0x3B"});
    expect_invalid([] { SetCookie("sid", "1").path("/a\r\n"); }, {"Path", "0x0D"});
    expect_invalid([] { SetCookie("sid", "1").path("/a\x7F"); }, {"Path", "0x7F"});
    expect_invalid([] { SetCookie("sid", "1").path("/caf\xC3\xA9"); }, {"Path", "0xC3"});
    // Spaces and other printable bytes are allowed in a path-value.
    EXPECT_EQ(SetCookie("sid", "1").path("/a b,c").to_string(), "sid=1; Path=/a b,c");
}

TEST(SetCookie, RejectsBadDomains) {
    expect_invalid([] { SetCookie("sid", "1").domain(""); }, {"\"sid\"", "Domain is empty"});
    expect_invalid([] { SetCookie("sid", "1").domain("a.com; Secure"); }, {"Domain", "0x3B"});
    expect_invalid([] { SetCookie("sid", "1").domain("a.com\n"); }, {"Domain", "0x0A"});
    EXPECT_EQ(SetCookie("sid", "1").domain(".example.com").to_string(),
              "sid=1; Domain=.example.com");
}

TEST(SetCookie, FailedSetterLeavesTheCookieUnchanged) {
    SetCookie c("sid", "1");
    c.path("/ok");
    EXPECT_THROW(c.path("bad"), std::invalid_argument);
    EXPECT_THROW(c.domain(""), std::invalid_argument);
    EXPECT_EQ(c.to_string(), "sid=1; Path=/ok");
}

TEST(SetCookie, RoundTripsThroughTheCookieHeader) {
    const std::string set = SetCookie("sid", "\"v1\"").path("/").http_only().to_string();
    const std::string pair = set.substr(0, set.find(';'));
    EXPECT_EQ(find_cookie(pair, "sid"), "v1");
}

}  // namespace
}  // namespace gannet
