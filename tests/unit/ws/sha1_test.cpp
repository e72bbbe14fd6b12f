#include "ws/sha1.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace gannet::ws {
namespace {

std::string hex(const Sha1Digest& d) {
    std::string s;
    char buf[3];
    for (std::uint8_t b : d) {
        std::snprintf(buf, sizeof buf, "%02x", b);
        s += buf;
    }
    return s;
}

// FIPS 180-2 appendix A and the NIST example values.
TEST(Sha1, FipsAbc) {
    EXPECT_EQ(hex(sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST(Sha1, FipsTwoBlocks) {
    EXPECT_EQ(hex(sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
              "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

TEST(Sha1, Fips896Bits) {
    EXPECT_EQ(hex(sha1("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                       "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu")),
              "a49b2446a02c645bf419f995b67091253a04a259");
}

TEST(Sha1, Empty) {
    EXPECT_EQ(hex(sha1("")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

TEST(Sha1, FipsMillionA) {
    Sha1 s;
    const std::string chunk(1000, 'a');
    for (int i = 0; i < 1000; ++i) s.update(chunk);
    EXPECT_EQ(hex(s.finish()), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

// Lengths around the 55/56/64-byte padding boundaries, fed whole and in odd pieces.
TEST(Sha1, SplitUpdatesMatchOneShot) {
    for (std::size_t len : {0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000}) {
        std::string msg;
        for (std::size_t i = 0; i < len; ++i) msg.push_back(static_cast<char>(i * 7 + 3));
        const Sha1Digest whole = sha1(msg);
        for (std::size_t piece : {1, 3, 17, 64, 100}) {
            Sha1 s;
            for (std::size_t i = 0; i < msg.size(); i += piece) {
                s.update(std::string_view(msg).substr(i, piece));
            }
            EXPECT_EQ(s.finish(), whole) << "len " << len << " piece " << piece;
        }
    }
}

TEST(Sha1, FinishResets) {
    Sha1 s;
    s.update("garbage");
    (void)s.finish();
    s.update("abc");
    EXPECT_EQ(hex(s.finish()), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

}  // namespace
}  // namespace gannet::ws
