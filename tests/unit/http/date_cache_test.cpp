#include "http/date_cache.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <ctime>
#include <limits>
#include <random>
#include <string>

namespace gannet::http {
namespace {

using namespace std::string_view_literals;

constexpr std::time_t kRfcExample = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT
// A fixed "now" (2025-06-15T12:00:00Z) for the RFC 850 two-digit year window.
constexpr std::time_t kNow2025 = 1749988800;

// The C library's answer, as an independent reference.
std::string reference_format(std::time_t t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    const std::size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return {buf, n};
}

// --- format_http_date --------------------------------------------------------------------------

TEST(FormatHttpDate, KnownDates) {
    EXPECT_EQ(format_http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    EXPECT_EQ(format_http_date(kRfcExample), "Sun, 06 Nov 1994 08:49:37 GMT");
    EXPECT_EQ(format_http_date(951782400), "Tue, 29 Feb 2000 00:00:00 GMT");   // leap day
    EXPECT_EQ(format_http_date(4107542400), "Mon, 01 Mar 2100 00:00:00 GMT");  // 2100: no leap
    EXPECT_EQ(format_http_date(2147483648), "Tue, 19 Jan 2038 03:14:08 GMT");  // past int32
    EXPECT_EQ(format_http_date(86399), "Thu, 01 Jan 1970 23:59:59 GMT");
}

TEST(FormatHttpDate, BeforeTheEpoch) {
    EXPECT_EQ(format_http_date(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
    EXPECT_EQ(format_http_date(-86400), "Wed, 31 Dec 1969 00:00:00 GMT");
    EXPECT_EQ(format_http_date(-86401), "Tue, 30 Dec 1969 23:59:59 GMT");
    EXPECT_EQ(format_http_date(-2208988800), "Mon, 01 Jan 1900 00:00:00 GMT");
}

TEST(FormatHttpDate, ClampsToFourDigitYears) {
    EXPECT_EQ(format_http_date(-62135596800), "Mon, 01 Jan 0001 00:00:00 GMT");
    EXPECT_EQ(format_http_date(-62135596801), "Mon, 01 Jan 0001 00:00:00 GMT");
    EXPECT_EQ(format_http_date(std::numeric_limits<std::time_t>::min()),
              "Mon, 01 Jan 0001 00:00:00 GMT");
    EXPECT_EQ(format_http_date(253402300799), "Fri, 31 Dec 9999 23:59:59 GMT");
    EXPECT_EQ(format_http_date(253402300800), "Fri, 31 Dec 9999 23:59:59 GMT");
    EXPECT_EQ(format_http_date(std::numeric_limits<std::time_t>::max()),
              "Fri, 31 Dec 9999 23:59:59 GMT");
}

TEST(FormatHttpDate, MatchesTheCLibrary) {
    std::mt19937_64 rng(12345);
    std::uniform_int_distribution<std::int64_t> dist(-2208988800, 253402300799);  // 1900..9999
    for (int i = 0; i < 20000; ++i) {
        const auto t = static_cast<std::time_t>(dist(rng));
        ASSERT_EQ(format_http_date(t), reference_format(t)) << t;
    }
    // Every day boundary for a few years around the epoch and around 2000.
    for (std::time_t t = std::time_t{-3} * 366 * 86400; t < std::time_t{3} * 366 * 86400;
         t += 86400) {
        ASSERT_EQ(format_http_date(t), reference_format(t)) << t;
        ASSERT_EQ(format_http_date(t - 1), reference_format(t - 1)) << t;
    }
}

TEST(FormatHttpDate, ToBufferWritesExactlyTheLength) {
    char buf[kHttpDateLength + 2];
    buf[kHttpDateLength] = '#';
    buf[kHttpDateLength + 1] = '#';
    format_http_date_to(kRfcExample, buf);
    EXPECT_EQ(std::string_view(buf, kHttpDateLength), "Sun, 06 Nov 1994 08:49:37 GMT");
    EXPECT_EQ(buf[kHttpDateLength], '#');
}

// --- parse_http_date ---------------------------------------------------------------------------

TEST(ParseHttpDate, AllThreeFormats) {
    EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), kRfcExample);
    EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", kNow2025), kRfcExample);
    EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994"), kRfcExample);
    EXPECT_EQ(parse_http_date("Sun Nov 06 08:49:37 1994"), kRfcExample);
}

TEST(ParseHttpDate, RoundTripsFormattedDates) {
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<std::int64_t> dist(-62135596800, 253402300799);
    for (int i = 0; i < 20000; ++i) {
        const auto t = static_cast<std::time_t>(dist(rng));
        ASSERT_EQ(parse_http_date(format_http_date(t)), t) << t;
    }
}

TEST(ParseHttpDate, EveryMonthAndDayName) {
    EXPECT_EQ(parse_http_date("Mon, 31 Jan 2000 00:00:00 GMT"), 949276800);
    EXPECT_EQ(parse_http_date("Tue, 29 Feb 2000 00:00:00 GMT"), 951782400);
    EXPECT_EQ(parse_http_date("Wed, 01 Mar 2000 00:00:00 GMT"), 951868800);
    EXPECT_EQ(parse_http_date("Thu, 30 Apr 1970 00:00:00 GMT"), 10281600);
    EXPECT_EQ(parse_http_date("Fri, 01 May 1970 00:00:00 GMT"), 10368000);
    EXPECT_EQ(parse_http_date("Tue, 30 Jun 1970 00:00:00 GMT"), 15552000);
    EXPECT_EQ(parse_http_date("Fri, 31 Jul 1970 00:00:00 GMT"), 18230400);
    EXPECT_EQ(parse_http_date("Mon, 31 Aug 1970 00:00:00 GMT"), 20908800);
    EXPECT_EQ(parse_http_date("Wed, 30 Sep 1970 00:00:00 GMT"), 23500800);
    EXPECT_EQ(parse_http_date("Sat, 31 Oct 1970 00:00:00 GMT"), 26179200);
    EXPECT_EQ(parse_http_date("Mon, 30 Nov 1970 00:00:00 GMT"), 28771200);
    EXPECT_EQ(parse_http_date("Thu, 31 Dec 1970 23:59:59 GMT"), 31535999);
    for (auto day : {"Monday"sv, "Tuesday"sv, "Wednesday"sv, "Thursday"sv, "Friday"sv, "Saturday"sv,
                     "Sunday"sv}) {
        EXPECT_EQ(parse_http_date(std::string(day) + ", 06-Nov-94 08:49:37 GMT", kNow2025),
                  kRfcExample)
            << day;
    }
}

TEST(ParseHttpDate, DayNameIsNotCheckedAgainstTheDate) {
    EXPECT_EQ(parse_http_date("Mon, 06 Nov 1994 08:49:37 GMT"), kRfcExample);
    EXPECT_EQ(parse_http_date("Fri Nov  6 08:49:37 1994"), kRfcExample);
}

TEST(ParseHttpDate, LeapSecondRollsOver) {
    EXPECT_EQ(parse_http_date("Sat, 31 Dec 2016 23:59:60 GMT"), 1483228800);
}

TEST(ParseHttpDate, Rfc850TwoDigitYearWindow) {
    // RFC 9110 5.6.7: more than 50 years ahead means the previous century.
    EXPECT_EQ(parse_http_date("Wednesday, 01-Jan-70 00:00:00 GMT", kNow2025), 3155760000);  // 2070
    EXPECT_EQ(parse_http_date("Tuesday, 01-Jan-75 00:00:00 GMT", kNow2025), 3313526400);    // 2075
    EXPECT_EQ(parse_http_date("Thursday, 01-Jan-76 00:00:00 GMT", kNow2025), 189302400);    // 1976
    EXPECT_EQ(parse_http_date("Saturday, 01-Jan-00 00:00:00 GMT", kNow2025), 946684800);    // 2000
    EXPECT_EQ(parse_http_date("Friday, 01-Jan-99 00:00:00 GMT", kNow2025), 915148800);      // 1999
    // Near the end of a century the window reaches into the next one.
    constexpr std::time_t kNow2090 = 3786912000;  // 2090-01-01
    EXPECT_EQ(parse_http_date("Friday, 01-Jan-00 00:00:00 GMT", kNow2090), 4102444800);    // 2100
    EXPECT_EQ(parse_http_date("Saturday, 01-Jan-50 00:00:00 GMT", kNow2090), 2524608000);  // 2050
    // The one-argument form uses the real clock: "94" is 1994 until 2044.
    EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), kRfcExample);
}

TEST(ParseHttpDate, RejectsMalformedImfFixdate) {
    for (auto bad : {
             ""sv,
             "Sun, 06 Nov 1994 08:49:37 gmt"sv,  // case-sensitive
             "Sun, 06 Nov 1994 08:49:37 UTC"sv,
             "sun, 06 Nov 1994 08:49:37 GMT"sv,
             "Sun, 06 nov 1994 08:49:37 GMT"sv,
             "Sux, 06 Nov 1994 08:49:37 GMT"sv,
             "Sun, 06 Nox 1994 08:49:37 GMT"sv,
             "Sun, 00 Nov 1994 08:49:37 GMT"sv,
             "Sun, 31 Nov 1994 08:49:37 GMT"sv,
             "Sun, 32 Dec 1994 08:49:37 GMT"sv,
             "Sun, 29 Feb 1900 08:49:37 GMT"sv,  // 1900 is not a leap year
             "Sun, 29 Feb 1995 08:49:37 GMT"sv,
             "Sun, 06 Nov 1994 24:00:00 GMT"sv,
             "Sun, 06 Nov 1994 08:60:37 GMT"sv,
             "Sun, 06 Nov 1994 08:49:61 GMT"sv,
             "Sun, 06 Nov 1994 08-49-37 GMT"sv,
             "Sun, 6 Nov 1994 08:49:37 GMT"sv,
             "Sun,  6 Nov 1994 08:49:37 GMT"sv,
             "Sun, 06 Nov 94 08:49:37 GMT"sv,
             "Sun, 06 Nov 199x 08:49:37 GMT"sv,
             "Sun, 0x Nov 1994 08:49:37 GMT"sv,
             "Sun, 06 Nov 1994 0x:49:37 GMT"sv,
             "Sun, 06 Nov 1994 08:49:3x GMT"sv,
             "Sun, 06 Nov 1994 08:49:37 GMT "sv,
             " Sun, 06 Nov 1994 08:49:37 GMT"sv,
             "Sun, 06 Nov 1994 08:49:37 GMTX"sv,
             "Sun, 06 Nov 1994 08:49:37"sv,
             "Sun,06 Nov 1994 08:49:37 GMT "sv,
             "Sun, 06 Nov 1994 08:49:37 GMT; length=1"sv,
             "Sunday, 06 Nov 1994 08:49:37 GMT"sv,
             "1994-11-06T08:49:37Z"sv,
         }) {
        EXPECT_EQ(parse_http_date(bad, kNow2025), std::nullopt) << bad;
    }
}

TEST(ParseHttpDate, RejectsMalformedRfc850) {
    for (auto bad : {
             "Sun, 06-Nov-94 08:49:37 GMT"sv,  // short day name
             "sunday, 06-Nov-94 08:49:37 GMT"sv,
             "Someday, 06-Nov-94 08:49:37 GMT"sv,
             "Sunday 06-Nov-94 08:49:37 GMT"sv,
             "Sunday,06-Nov-94 08:49:37 GMT"sv,
             "Sunday, 06 Nov 94 08:49:37 GMT"sv,
             "Sunday, 06-Nov-1994 08:49:37 GMT"sv,
             "Sunday, 06-Nov-9x 08:49:37 GMT"sv,
             "Sunday, 6-Nov-94 08:49:37 GMT"sv,
             "Sunday, 31-Nov-94 08:49:37 GMT"sv,
             "Sunday, 06-Nov-94 25:49:37 GMT"sv,
             "Sunday, 06-Nov-94 08:49:37 UTC"sv,
             "Sunday, 06-Nov-94 08:49:37 GMT "sv,
             "Sunday, 06-Nov-94 08:49:37"sv,
             ","sv,
         }) {
        EXPECT_EQ(parse_http_date(bad, kNow2025), std::nullopt) << bad;
    }
}

TEST(ParseHttpDate, RejectsMalformedAsctime) {
    for (auto bad : {
             "Sun Nov 6 08:49:37 1994"sv,
             "Sun Nov  6 08:49:37 1994 "sv,
             "Sun Nov 6  08:49:37 1994"sv,
             "Sun Nov  x 08:49:37 1994"sv,
             "Sun Nov x6 08:49:37 1994"sv,
             "Sun Nov  0 08:49:37 1994"sv,
             "Sun Nov 31 08:49:37 1994"sv,
             "Sun Nox  6 08:49:37 1994"sv,
             "Sux Nov  6 08:49:37 1994"sv,
             "Sun Nov  6 08:49:37 94  "sv,
             "Sun Nov  6 08:49:37 199x"sv,
             "Sun Nov  6 08:49:60x1994"sv,
             "Sun,Nov  6 08:49:37 1994"sv,
             "Sun-Nov  6 08:49:37 1994"sv,
             "Sun Nov--6 08:49:37 1994"sv,
         }) {
        EXPECT_EQ(parse_http_date(bad, kNow2025), std::nullopt) << bad;
    }
}

// --- DateCache ---------------------------------------------------------------------------------

TEST(DateCache, AtFormatsTheGivenSecond) {
    DateCache cache;
    EXPECT_EQ(cache.at(kRfcExample), "Sun, 06 Nov 1994 08:49:37 GMT");
    EXPECT_EQ(cache.at(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    EXPECT_EQ(cache.at(kRfcExample + 1), "Sun, 06 Nov 1994 08:49:38 GMT");
}

TEST(DateCache, ViewsPointIntoTheCacheAndAreUpdatedInPlace) {
    DateCache cache;
    const std::string_view first = cache.at(kRfcExample);
    const std::string_view again = cache.at(kRfcExample);
    EXPECT_EQ(first.data(), again.data());
    EXPECT_EQ(first.size(), kHttpDateLength);
    const std::string_view next = cache.at(kRfcExample + 60);
    EXPECT_EQ(next.data(), first.data());
    EXPECT_EQ(first, "Sun, 06 Nov 1994 08:50:37 GMT");  // same bytes, new second
}

TEST(DateCache, NowIsTheCurrentSecond) {
    DateCache cache;
    const std::time_t before = std::time(nullptr);
    const std::string_view now = cache.now();
    const std::time_t after = std::time(nullptr);
    ASSERT_EQ(now.size(), kHttpDateLength);
    const auto parsed = parse_http_date(now);
    ASSERT_TRUE(parsed) << now;
    // The coarse clock may trail the precise one by a tick.
    EXPECT_GE(*parsed, before - 1);
    EXPECT_LE(*parsed, after);
    EXPECT_EQ(cache.now().data(), now.data());
}

TEST(DateCache, NowAfterAtGoesBackToTheClock) {
    DateCache cache;
    cache.at(0);
    const auto parsed = parse_http_date(cache.now());
    ASSERT_TRUE(parsed);
    EXPECT_GT(*parsed, 1700000000);
}

}  // namespace
}  // namespace gannet::http
