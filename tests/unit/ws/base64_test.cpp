#include "ws/base64.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace gannet::ws {
namespace {

// RFC 4648 section 10.
TEST(Base64, Rfc4648Vectors) {
    const std::pair<std::string_view, std::string_view> cases[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    for (const auto& [plain, encoded] : cases) {
        EXPECT_EQ(base64_encode(plain), encoded);
        EXPECT_EQ(base64_encoded_size(plain.size()), encoded.size());
        const auto decoded = base64_decode(encoded);
        ASSERT_TRUE(decoded.has_value()) << encoded;
        EXPECT_EQ(*decoded, plain);
    }
}

TEST(Base64, RoundTripsBinary) {
    std::mt19937 rng(1234);
    for (std::size_t len = 0; len < 100; ++len) {
        std::string data(len, '\0');
        for (char& c : data) c = static_cast<char>(rng());
        const std::string enc = base64_encode(data);
        ASSERT_EQ(enc.size(), base64_encoded_size(len));
        const auto dec = base64_decode(enc);
        ASSERT_TRUE(dec.has_value());
        EXPECT_EQ(*dec, data);
    }
}

TEST(Base64, EncodeIntoBuffer) {
    char buf[8];
    EXPECT_EQ(base64_encode("foob", buf), 8u);
    EXPECT_EQ(std::string_view(buf, 8), "Zm9vYg==");
}

TEST(Base64, AllSymbols) {
    std::string bytes;
    for (int i = 0; i < 64; i += 4) {
        // 3 bytes carrying the 6-bit values i, i+1, i+2, i+3.
        const unsigned v = (i << 18) | ((i + 1) << 12) | ((i + 2) << 6) | (i + 3);
        bytes.push_back(static_cast<char>(v >> 16));
        bytes.push_back(static_cast<char>(v >> 8));
        bytes.push_back(static_cast<char>(v));
    }
    EXPECT_EQ(base64_encode(bytes),
              "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
}

TEST(Base64, DecodeRejectsMalformed) {
    for (std::string_view bad : {
             "Z",          // length not a multiple of 4
             "Zg=",        //
             "Zg",         // missing padding
             "Zm9vY",      //
             "Zg=a",       // '=' not at the end
             "Z===",       // three padding characters
             "====",       //
             "=Zg=",       //
             "Zg==Zg==",   // padding in the middle
             "Zh==",       // non-zero leftover bits (non-canonical "f")
             "Zm9=",       // non-canonical "fo"
             "Zm9v\n",     // whitespace
             "Zm 9",       //
             "Zm9\t",      //
             "Zm9v Yg==",  //
             "Zm-v",       // URL-safe alphabet is not accepted
             "Zm_v",       //
             "Zm9\x80",    // non-ASCII
         }) {
        EXPECT_FALSE(base64_decode(bad).has_value()) << bad;
    }
}

}  // namespace
}  // namespace gannet::ws
