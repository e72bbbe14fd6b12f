#include "http/json_escape.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>

namespace gannet::http {
namespace {

using namespace std::string_literals;

std::string json(std::string_view s) {
    std::string out;
    append_json_string(out, s);
    return out;
}

const std::string kFffd = "\xEF\xBF\xBD";

TEST(AppendJsonString, PlainText) {
    EXPECT_EQ(json(""), "\"\"");
    EXPECT_EQ(json("Hello, World!"), "\"Hello, World!\"");
    EXPECT_EQ(json("/users/{id}?a=1&b=<2>'"), "\"/users/{id}?a=1&b=<2>'\"");
}

TEST(AppendJsonString, AppendsToExistingContent) {
    std::string out = R"({"error":)";
    append_json_string(out, "x\"y");
    out += '}';
    EXPECT_EQ(out, R"({"error":"x\"y"})");
}

TEST(AppendJsonString, EscapesQuoteAndBackslash) {
    EXPECT_EQ(json("\""), R"("\"")");
    EXPECT_EQ(json("\\"), R"("\\")");
    EXPECT_EQ(json("a\"b\\c/d"), R"("a\"b\\c/d")");  // '/' needs no escape
}

TEST(AppendJsonString, EscapesEveryControlCharacter) {
    EXPECT_EQ(json("\b\f\n\r\t"), R"("\b\f\n\r\t")");
    EXPECT_EQ(json("\0"s), R"("\u0000")");
    EXPECT_EQ(json("\x01\x1f\x0b\x1b"), R"("\u0001\u001f\u000b\u001b")");
    for (int c = 0; c < 0x20; ++c) {
        const std::string out = json(std::string(1, static_cast<char>(c)));
        EXPECT_EQ(out[1], '\\') << c;
        for (char o : out) EXPECT_GE(static_cast<unsigned char>(o), 0x20) << c;
    }
}

TEST(AppendJsonString, PassesDelAndLineSeparatorsThrough) {
    EXPECT_EQ(json("\x7F"), "\"\x7F\"");
    EXPECT_EQ(json("\xE2\x80\xA8\xE2\x80\xA9"), "\"\xE2\x80\xA8\xE2\x80\xA9\"");
}

TEST(AppendJsonString, KeepsValidUtf8) {
    const std::string text =
        "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xC2\x80 \xDF\xBF \xE0\xA0\x80 \xED\x9F\xBF "
        "\xEE\x80\x80 \xEF\xBF\xBF \xF0\x90\x80\x80 \xF4\x8F\xBF\xBF";
    EXPECT_EQ(json(text), "\"" + text + "\"");
}

TEST(AppendJsonString, ReplacesEachMaximalSubpartOfIllFormedInput) {
    // The cases of Unicode 15 section 3.9, table 3-8 and its neighbours.
    EXPECT_EQ(json("\x80"), "\"" + kFffd + "\"");  // lone continuation
    EXPECT_EQ(json("a\xBF"
                   "b"),
              "\"a" + kFffd + "b\"");
    EXPECT_EQ(json("\xC0\x80"), "\"" + kFffd + kFffd + "\"");  // overlong NUL
    EXPECT_EQ(json("\xC1\xBF"), "\"" + kFffd + kFffd + "\"");
    EXPECT_EQ(json("\xE0\x80\x80"), "\"" + kFffd + kFffd + kFffd + "\"");  // overlong
    EXPECT_EQ(json("\xED\xA0\x80"), "\"" + kFffd + kFffd + kFffd + "\"");  // surrogate
    EXPECT_EQ(json("\xF0\x80\x80\x80"), "\"" + kFffd + kFffd + kFffd + kFffd + "\"");
    EXPECT_EQ(json("\xF4\x90\x80\x80"), "\"" + kFffd + kFffd + kFffd + kFffd + "\"");  // > 10FFFF
    EXPECT_EQ(json("\xF5\xF8\xFC\xFE\xFF"), "\"" + kFffd + kFffd + kFffd + kFffd + kFffd + "\"");
    EXPECT_EQ(json("\xE2\x82"), "\"" + kFffd + "\"");  // truncated at end
    EXPECT_EQ(json("\xE2\x82"
                   "A"),
              "\"" + kFffd + "A\"");  // truncated early
    EXPECT_EQ(json("\xF0\x9F\x98"), "\"" + kFffd + "\"");
    EXPECT_EQ(json("\xF0\x9F\x98\""), "\"" + kFffd + "\\\"\"");
    EXPECT_EQ(json("\xC3"), "\"" + kFffd + "\"");
    EXPECT_EQ(json("\xC3\xC3\xA9"), "\"" + kFffd + "\xC3\xA9\"");
    EXPECT_EQ(json("\xE1\x80\xE2\xF0\x91\x92\xF1\xBF\x41"),
              "\"" + kFffd + kFffd + kFffd + kFffd + "A\"");  // the Unicode example
}

// An independent strict decoder: true when `s` is well-formed UTF-8.
bool is_valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = 0;
        std::uint32_t cp = 0;
        if (c < 0x80) {
            len = 1;
            cp = c;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > s.size()) return false;
        for (std::size_t k = 1; k < len; ++k) {
            const auto b = static_cast<unsigned char>(s[i + k]);
            if ((b & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (b & 0x3F);
        }
        constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

TEST(AppendJsonString, RandomBytesGiveValidJson) {
    std::mt19937 rng(42);
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_int_distribution<int> length(0, 64);
    for (int round = 0; round < 20000; ++round) {
        std::string in(static_cast<std::size_t>(length(rng)), '\0');
        for (char& c : in) c = static_cast<char>(byte(rng));
        const std::string out = json(in);
        ASSERT_TRUE(is_valid_utf8(out));
        ASSERT_GE(out.size(), 2u);
        ASSERT_EQ(out.front(), '"');
        ASSERT_EQ(out.back(), '"');
        // Inside the quotes: no raw control characters, and every '"' is escaped.
        bool escaped = false;
        for (std::size_t i = 1; i + 1 < out.size(); ++i) {
            const auto c = static_cast<unsigned char>(out[i]);
            ASSERT_GE(c, 0x20);
            if (!escaped) {
                ASSERT_NE(c, '"');
            }
            escaped = !escaped && c == '\\';
        }
        ASSERT_FALSE(escaped);  // the closing quote is not escaped
        // Valid UTF-8 input without specials comes back unchanged.
        if (is_valid_utf8(in) && in.find_first_of("\"\\") == std::string::npos) {
            bool has_ctl = false;
            for (char c : in) has_ctl |= static_cast<unsigned char>(c) < 0x20;
            if (!has_ctl) {
                ASSERT_EQ(out, "\"" + in + "\"");
            }
        }
    }
}

}  // namespace
}  // namespace gannet::http
