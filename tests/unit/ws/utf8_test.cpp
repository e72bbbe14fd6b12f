#include "ws/utf8.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace gannet::ws {
namespace {

std::string bytes(std::initializer_list<int> list) {
    std::string s;
    for (int b : list) s.push_back(static_cast<char>(b));
    return s;
}

// Encodes a code point the textbook way (no validity checks: callers pick valid ones).
std::string encode(std::uint32_t cp) {
    if (cp < 0x80) return bytes({static_cast<int>(cp)});
    if (cp < 0x800)
        return bytes({0xC0 | static_cast<int>(cp >> 6), 0x80 | static_cast<int>(cp & 0x3F)});
    if (cp < 0x10000) {
        return bytes({0xE0 | static_cast<int>(cp >> 12), 0x80 | static_cast<int>((cp >> 6) & 0x3F),
                      0x80 | static_cast<int>(cp & 0x3F)});
    }
    return bytes({0xF0 | static_cast<int>(cp >> 18), 0x80 | static_cast<int>((cp >> 12) & 0x3F),
                  0x80 | static_cast<int>((cp >> 6) & 0x3F), 0x80 | static_cast<int>(cp & 0x3F)});
}

// Index of the byte at which a byte-by-byte feed first fails, or -1.
int fail_index(std::string_view s) {
    Utf8Validator v;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (!v.feed(s.substr(i, 1))) return static_cast<int>(i);
    }
    return -1;
}

TEST(Utf8, ValidText) {
    for (std::string_view s : {
             "", "Hello, World!",
             "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5",  // "kosme" in Greek (Autobahn 6.2)
             "\xE2\x82\xAC",                                  // U+20AC
             "\xF0\x9F\x98\x80",                              // U+1F600
             "\xEF\xBB\xBF",                                  // BOM
             "\xEF\xBF\xBE\xEF\xBF\xBF",  // U+FFFE, U+FFFF: noncharacters, valid
         }) {
        EXPECT_TRUE(is_valid_utf8(s)) << s;
    }
    EXPECT_TRUE(is_valid_utf8(std::string_view("\0", 1)));
}

// Markus Kuhn's stress test, section 2: first and last code points of each length, and other
// boundary conditions.
TEST(Utf8, BoundaryCodePoints) {
    for (std::uint32_t cp : {0x0u, 0x7Fu, 0x80u, 0x7FFu, 0x800u, 0xFFFFu, 0x10000u, 0x10FFFFu,
                             0xD7FFu, 0xE000u, 0xFFFDu}) {
        EXPECT_TRUE(is_valid_utf8(encode(cp))) << std::hex << cp;
    }
}

TEST(Utf8, EveryCodePointRoundTrips) {
    for (std::uint32_t cp = 0; cp <= 0x10FFFF; cp += (cp < 0x20000 ? 1 : 61)) {
        const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
        EXPECT_EQ(is_valid_utf8(encode(cp)), !surrogate) << std::hex << cp;
    }
}

TEST(Utf8, InvalidSequences) {
    const std::string cases[] = {
        bytes({0x80}),  // lone continuation bytes (Kuhn 3.1)
        bytes({0xBF}),
        bytes({0x41, 0x80, 0x41}),
        bytes({0xC0, 0x80}),                    // overlong NUL (Kuhn 4.3)
        bytes({0xC1, 0xBF}),                    // overlong U+007F
        bytes({0xE0, 0x80, 0x80}),              // overlong
        bytes({0xE0, 0x9F, 0xBF}),              // overlong U+07FF
        bytes({0xF0, 0x80, 0x80, 0x80}),        // overlong
        bytes({0xF0, 0x8F, 0xBF, 0xBF}),        // overlong U+FFFF
        bytes({0xF8, 0x88, 0x80, 0x80, 0x80}),  // 5-byte forms (Kuhn 1.x, 4.x)
        bytes({0xFC, 0x84, 0x80, 0x80, 0x80, 0x80}),
        bytes({0xED, 0xA0, 0x80}),  // U+D800 (Kuhn 5.1)
        bytes({0xED, 0xAD, 0xBF}),
        bytes({0xED, 0xBF, 0xBF}),                    // U+DFFF
        bytes({0xED, 0xA0, 0x80, 0xED, 0xB0, 0x80}),  // surrogate pair (Kuhn 5.2)
        bytes({0xF4, 0x90, 0x80, 0x80}),              // U+110000
        bytes({0xF5, 0x80, 0x80, 0x80}),
        bytes({0xFE}),  // Kuhn 3.5
        bytes({0xFF}),
        bytes({0xFE, 0xFE, 0xFF, 0xFF}),
        bytes({0xC2, 0x41}),  // lead then ASCII (Kuhn 3.3)
        bytes({0xE2, 0x82, 0x41}),
        bytes({0xF0, 0x9F, 0x98, 0x41}),
        bytes({0xC2, 0xC2, 0x80}),
    };
    for (const std::string& s : cases) {
        EXPECT_FALSE(is_valid_utf8(s)) << testing::PrintToString(s);
        Utf8Validator v;
        EXPECT_FALSE(v.feed(s) && v.finish());
    }
}

TEST(Utf8, TruncatedSequencesAreValidPrefixesButNotComplete) {
    for (const std::string& s : {bytes({0xC2}), bytes({0xE2, 0x82}), bytes({0xF0, 0x9F, 0x98}),
                                 bytes({0x41, 0xF4, 0x8F})}) {
        Utf8Validator v;
        EXPECT_TRUE(v.feed(s));
        EXPECT_FALSE(v.finish());
        EXPECT_FALSE(v.failed());
        EXPECT_FALSE(is_valid_utf8(s));
    }
}

// Autobahn 6.x: the connection must fail at the first byte that makes the text impossible,
// not when the message or the code point ends.
TEST(Utf8, FailsFastAtTheFirstImpossibleByte) {
    EXPECT_EQ(fail_index(bytes({0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE,
                                0xB5, 0xED, 0xA0, 0x80, 0x65, 0x64, 0x69, 0x74, 0x65, 0x64})),
              12);  // Autobahn 6.4.1: ED A0 fails at A0
    EXPECT_EQ(fail_index(bytes({0xCE, 0xBA, 0xF4, 0x90, 0x80, 0x80})), 3);  // 6.4.2: F4 90
    EXPECT_EQ(fail_index(bytes({0x41, 0xC0})), 1);  // C0 can never start anything
    EXPECT_EQ(fail_index(bytes({0xE0, 0x80})), 1);  // overlong known at the second byte
    EXPECT_EQ(fail_index(bytes({0xF0, 0x8F})), 1);
    EXPECT_EQ(fail_index(bytes({0xF5})), 0);
    EXPECT_EQ(fail_index(bytes({0xE2, 0x82, 0xAC, 0x80})), 3);
    EXPECT_EQ(fail_index(bytes({0xF0, 0x9F, 0x98, 0x80, 0xBF})), 4);
}

TEST(Utf8, FailureIsSticky) {
    Utf8Validator v;
    EXPECT_FALSE(v.feed(bytes({0xFF})));
    EXPECT_TRUE(v.failed());
    EXPECT_FALSE(v.feed("abc"));
    EXPECT_FALSE(v.finish());
    v.reset();
    EXPECT_TRUE(v.feed("abc"));
    EXPECT_TRUE(v.finish());
}

TEST(Utf8, ValidAtEverySplit) {
    const std::string text =
        "ascii then \xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5 and \xF0\x9F\x98\x80 and more "
        "ascii to cross the eight-byte fast path \xE2\x82\xAC.";
    for (std::size_t a = 0; a <= text.size(); ++a) {
        for (std::size_t b = a; b <= text.size(); b += 3) {
            Utf8Validator v;
            ASSERT_TRUE(v.feed(std::string_view(text).substr(0, a)));
            ASSERT_TRUE(v.feed(std::string_view(text).substr(a, b - a)));
            ASSERT_TRUE(v.feed(std::string_view(text).substr(b)));
            ASSERT_TRUE(v.finish());
        }
    }
}

TEST(Utf8, FastPathDoesNotSkipErrorsInLongText) {
    std::string s(1000, 'a');
    for (std::size_t pos : {0u, 7u, 8u, 9u, 500u, 999u}) {
        std::string t = s;
        t[pos] = static_cast<char>(0x80);
        EXPECT_FALSE(is_valid_utf8(t)) << pos;
        EXPECT_EQ(fail_index(t), static_cast<int>(pos));
    }
}

// Reference: can `s` be extended into valid UTF-8? Decodes each sequence; for an incomplete
// last one, checks whether the range of code points its completions cover contains a valid one.
bool reference_prefix_valid(const std::string& s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto b = static_cast<unsigned char>(s[i]);
        std::size_t len = 0;
        std::uint32_t cp = 0;
        if (b < 0x80) {
            ++i;
            continue;
        } else if ((b & 0xE0) == 0xC0) {
            len = 2;
            cp = b & 0x1F;
        } else if ((b & 0xF0) == 0xE0) {
            len = 3;
            cp = b & 0x0F;
        } else if ((b & 0xF8) == 0xF0) {
            len = 4;
            cp = b & 0x07;
        } else {
            return false;
        }
        std::size_t have = 1;
        while (have < len && i + have < s.size()) {
            const auto c = static_cast<unsigned char>(s[i + have]);
            if ((c & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (c & 0x3F);
            ++have;
        }
        const std::size_t missing = len - have;
        const std::uint32_t lo = cp << (6 * missing);
        const std::uint32_t hi = lo | ((1u << (6 * missing)) - 1);
        const std::uint32_t min_cp = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
        const std::uint32_t a = std::max(lo, min_cp);
        const std::uint32_t z = std::min(hi, 0x10FFFFu);
        if (a > z) return false;
        if (a >= 0xD800 && z <= 0xDFFF) return false;
        i += have;
    }
    return true;
}

TEST(Utf8, MatchesReferenceOnRandomBytes) {
    std::mt19937 rng(42);
    // Bias towards interesting bytes so most strings are neither trivially valid nor invalid.
    const int interesting[] = {0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF,
                               0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED,
                               0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF};
    for (int iter = 0; iter < 200000; ++iter) {
        std::string s;
        const std::size_t len = rng() % 7;
        for (std::size_t i = 0; i < len; ++i) {
            s.push_back(static_cast<char>(
                rng() % 4 == 0 ? rng() % 256 : interesting[rng() % std::size(interesting)]));
        }
        Utf8Validator v;
        const bool prefix_ok = v.feed(s);
        ASSERT_EQ(prefix_ok, reference_prefix_valid(s)) << testing::PrintToString(s);
        // Fail-fast: every proper prefix that the reference accepts is accepted too.
        if (!prefix_ok) {
            const int at = fail_index(s);
            ASSERT_GE(at, 0);
            ASSERT_TRUE(reference_prefix_valid(s.substr(0, at)));
            ASSERT_FALSE(reference_prefix_valid(s.substr(0, at + 1)));
        }
    }
}

}  // namespace
}  // namespace gannet::ws
