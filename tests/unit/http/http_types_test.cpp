// Tests for the helpers of include/gannet/http_types.hpp.
#include <gannet/http_types.hpp>

#include <gtest/gtest.h>

namespace gannet::http {
namespace {

TEST(HttpTypes, Iequals) {
    EXPECT_TRUE(iequals("Content-Length", "content-length"));
    EXPECT_TRUE(iequals("HOST", "host"));
    EXPECT_TRUE(iequals("", ""));
    EXPECT_FALSE(iequals("host", "hosts"));
    EXPECT_FALSE(iequals("host", "hose"));
    // ASCII only: '@' and '`' are not the case pairs of '`' and '@'; bytes >= 0x80 are compared
    // as they are.
    EXPECT_FALSE(iequals("@", "`"));
    EXPECT_FALSE(iequals("[", "{"));
    EXPECT_FALSE(iequals("\xc3\x89", "\xc3\xa9"));
    EXPECT_TRUE(iequals("\xc3\xa9", "\xc3\xa9"));
}

TEST(HttpTypes, HasToken) {
    EXPECT_TRUE(has_token("close", "close"));
    EXPECT_TRUE(has_token("keep-alive, Upgrade", "upgrade"));
    EXPECT_TRUE(has_token("  a ,\tB\t, c", "b"));
    EXPECT_TRUE(has_token("a,,b", "b"));
    EXPECT_TRUE(has_token(",b,", "b"));
    EXPECT_FALSE(has_token("keep-alive, Upgrade", "keep"));
    EXPECT_FALSE(has_token("closed", "close"));
    EXPECT_FALSE(has_token("a b", "a"));
    EXPECT_FALSE(has_token("", "a"));
    EXPECT_FALSE(has_token("a,,b", ""));
}

TEST(HttpTypes, HeaderLookup) {
    RequestHead head;
    head.headers.push_back({"Content-Type", "text/plain"});
    head.headers.push_back({"X-Dup", "first"});
    head.headers.push_back({"x-dup", "second"});
    EXPECT_EQ(head.header("content-type"), "text/plain");
    EXPECT_EQ(head.header("X-DUP"), "first");
    EXPECT_EQ(head.header("absent"), "");
    EXPECT_EQ(head.header("absent").data(), nullptr);
}

TEST(HttpTypes, ClearKeepsCapacity) {
    RequestHead head;
    head.headers.resize(10);
    head.keep_alive = false;
    head.upgrade = true;
    head.version_minor = 0;
    head.body_kind = BodyKind::chunked;
    const std::size_t capacity = head.headers.capacity();
    head.clear();
    EXPECT_TRUE(head.headers.empty());
    EXPECT_EQ(head.headers.capacity(), capacity);
    EXPECT_TRUE(head.keep_alive);
    EXPECT_FALSE(head.upgrade);
    EXPECT_EQ(head.version_minor, 1);
    EXPECT_EQ(head.body_kind, BodyKind::none);
}

TEST(HttpTypes, ReasonPhrases) {
    const std::pair<int, std::string_view> expected[] = {
        {100, "Continue"},
        {101, "Switching Protocols"},
        {103, "Early Hints"},
        {200, "OK"},
        {201, "Created"},
        {202, "Accepted"},
        {203, "Non-Authoritative Information"},
        {204, "No Content"},
        {205, "Reset Content"},
        {206, "Partial Content"},
        {300, "Multiple Choices"},
        {301, "Moved Permanently"},
        {302, "Found"},
        {303, "See Other"},
        {304, "Not Modified"},
        {305, "Use Proxy"},
        {307, "Temporary Redirect"},
        {308, "Permanent Redirect"},
        {400, "Bad Request"},
        {401, "Unauthorized"},
        {402, "Payment Required"},
        {403, "Forbidden"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {406, "Not Acceptable"},
        {407, "Proxy Authentication Required"},
        {408, "Request Timeout"},
        {409, "Conflict"},
        {410, "Gone"},
        {411, "Length Required"},
        {412, "Precondition Failed"},
        {413, "Content Too Large"},
        {414, "URI Too Long"},
        {415, "Unsupported Media Type"},
        {416, "Range Not Satisfiable"},
        {417, "Expectation Failed"},
        {418, "I'm a teapot"},
        {421, "Misdirected Request"},
        {422, "Unprocessable Content"},
        {425, "Too Early"},
        {426, "Upgrade Required"},
        {428, "Precondition Required"},
        {429, "Too Many Requests"},
        {431, "Request Header Fields Too Large"},
        {451, "Unavailable For Legal Reasons"},
        {500, "Internal Server Error"},
        {501, "Not Implemented"},
        {502, "Bad Gateway"},
        {503, "Service Unavailable"},
        {504, "Gateway Timeout"},
        {505, "HTTP Version Not Supported"},
        {511, "Network Authentication Required"},
    };
    for (const auto& [code, phrase] : expected) EXPECT_EQ(reason_phrase(code), phrase) << code;
    for (int code : {0, -1, 99, 102, 199, 299, 420, 499, 599, 600, 1000}) {
        EXPECT_EQ(reason_phrase(code), "Unknown") << code;
    }
}

}  // namespace
}  // namespace gannet::http
