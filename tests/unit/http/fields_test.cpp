// FieldList: order, case-insensitive look-up and removal, empty names and values.
#include <gannet/fields.hpp>
#include <gannet/response.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gannet {
namespace {

std::vector<std::string> lines(const FieldList& f) {
    std::vector<std::string> out;
    for (auto [name, value] : f) out.push_back(std::string(name) + "=" + std::string(value));
    return out;
}

TEST(FieldList, KeepsOrderAndRepeats) {
    FieldList f;
    EXPECT_TRUE(f.empty());
    f.add("Set-Cookie", "a=1");
    f.add("X-Empty", "");
    f.add("Set-Cookie", "b=2");
    EXPECT_EQ(f.size(), 3u);
    EXPECT_EQ(lines(f), (std::vector<std::string>{"Set-Cookie=a=1", "X-Empty=", "Set-Cookie=b=2"}));
    EXPECT_EQ(f.get("set-cookie"), "a=1");
    EXPECT_EQ(f.get("x-empty"), "");
    EXPECT_FALSE(f.get("X-Missing"));
}

TEST(FieldList, RemovesEveryFieldOfAName) {
    FieldList f;
    f.add("A", "1");
    f.add("b", "2");
    f.add("a", "3");
    EXPECT_EQ(f.remove("A"), 2u);
    EXPECT_EQ(lines(f), (std::vector<std::string>{"b=2"}));
    EXPECT_EQ(f.remove("A"), 0u);
    f.clear();
    EXPECT_TRUE(f.empty());
}

TEST(FieldList, LongValuesSurviveCopiesOfTheResponse) {
    Response r(200);
    std::string big(70000, 'v');  // longer than 16 bits of length
    r.header("X-Big", big);
    r.header("X-After", "ok");
    Response copy = r;
    Response moved = std::move(r);
    EXPECT_EQ(copy.get_header("x-big").size(), big.size());
    EXPECT_EQ(moved.get_header("X-After"), "ok");
    EXPECT_EQ(moved.remove_header("x-big"), 1u);
    EXPECT_EQ(moved.headers().size(), 1u);
}

}  // namespace
}  // namespace gannet
