#include "http/serializer.hpp"

#include <gannet/response.hpp>

#include <gtest/gtest.h>

using gannet::Response;
using gannet::http::ResponseContext;

namespace {
constexpr std::string_view kDate = "Mon, 23 Nov 2026 22:00:00 GMT";
}

TEST(Serializer, PlainTextKeepAlive) {
    std::string out;
    gannet::http::serialize(Response::text("Hello, World!"), {kDate, false, true, 1}, out);
    EXPECT_EQ(out,
              "HTTP/1.1 200 OK\r\nServer: gannet\r\nDate: Mon, 23 Nov 2026 22:00:00 GMT\r\n"
              "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 13\r\n\r\nHello, World!");
}

TEST(Serializer, HeadKeepsLengthButDropsBody) {
    std::string out;
    gannet::http::serialize(Response::text("abc"), {kDate, true, true, 1}, out);
    EXPECT_NE(out.find("Content-Length: 3\r\n\r\n"), std::string::npos);
    EXPECT_EQ(out.substr(out.size() - 4), "\r\n\r\n");
}

TEST(Serializer, CloseAndHttp10KeepAlive) {
    std::string out;
    gannet::http::serialize(Response::text("x"), {kDate, false, false, 1}, out);
    EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
    out.clear();
    gannet::http::serialize(Response::text("x"), {kDate, false, true, 0}, out);
    EXPECT_NE(out.find("Connection: keep-alive\r\n"), std::string::npos);
}

TEST(Serializer, NoBodyStatusesHaveNoLength) {
    for (int s : {204, 304}) {
        std::string out;
        Response r(s);
        gannet::http::serialize(r, {kDate, false, true, 1}, out);
        EXPECT_EQ(out.find("Content-Length"), std::string::npos) << s;
        EXPECT_EQ(out.substr(out.size() - 4), "\r\n\r\n");
    }
}

TEST(Serializer, StreamedHeadChoosesFraming) {
    std::string out;
    Response meta(200);
    EXPECT_TRUE(gannet::http::serialize_head(meta, {kDate, false, true, 1}, std::nullopt, out));
    EXPECT_NE(out.find("Transfer-Encoding: chunked\r\n"), std::string::npos);
    out.clear();
    EXPECT_FALSE(gannet::http::serialize_head(meta, {kDate, false, true, 1}, 10, out));
    EXPECT_NE(out.find("Content-Length: 10\r\n"), std::string::npos);
    out.clear();
    EXPECT_FALSE(gannet::http::serialize_head(meta, {kDate, false, false, 0}, std::nullopt, out));
    EXPECT_EQ(out.find("Transfer-Encoding"), std::string::npos);
}

TEST(Serializer, Chunks) {
    std::string out;
    gannet::http::append_chunk("hello", out);
    gannet::http::append_chunk("", out);
    gannet::http::append_chunk(std::string(300, 'a'), out);
    EXPECT_EQ(out.substr(0, 10), "5\r\nhello\r\n");
    EXPECT_EQ(out.substr(10, 5), "12c\r\n");
}

TEST(Serializer, ErrorResponseCloses) {
    std::string out;
    gannet::http::serialize_error(431, "header section too large", kDate, out);
    EXPECT_EQ(out.rfind("HTTP/1.1 431 ", 0), 0u);
    EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
    auto body = out.substr(out.find("\r\n\r\n") + 4);
    auto len_pos = out.find("Content-Length: ") + 16;
    EXPECT_EQ(std::stoul(out.substr(len_pos)), body.size());
}

TEST(Response, RejectsResponseSplittingAndManagedFields) {
    Response r;
    EXPECT_THROW(r.header("X-A", "a\r\nSet-Cookie: x=1"), std::invalid_argument);
    EXPECT_THROW(r.header("Bad Name", "v"), std::invalid_argument);
    EXPECT_THROW(r.header("Content-Length", "5"), std::invalid_argument);
    EXPECT_THROW(r.header("transfer-encoding", "chunked"), std::invalid_argument);
    EXPECT_THROW(r.status(42), std::invalid_argument);
    EXPECT_NO_THROW(r.header("X-Ok", "tab\tand obs-text \xc3\xa9"));
    EXPECT_EQ(r.get_header("x-ok"), "tab\tand obs-text \xc3\xa9");
}

TEST(Response, ConnectionCloseHeaderBecomesAFlag) {
    Response r;
    r.header("Connection", "close");
    EXPECT_TRUE(r.wants_close());
    EXPECT_TRUE(r.headers().empty());
}

TEST(Response, InlineAndHeapBodiesSurviveMovesAndCopies) {
    Response small = Response::text("small");
    Response big = Response::text(std::string(1000, 'b'));
    big.append("c");
    Response moved_small = std::move(small);
    Response copied_big = big;
    EXPECT_EQ(moved_small.body(), "small");
    EXPECT_EQ(copied_big.body().size(), 1001u);
    Response grown = Response::text(std::string(Response::kInlineBody, 'x'));
    grown.append("y");  // crosses from inline to heap
    EXPECT_EQ(grown.body().size(), Response::kInlineBody + 1);
    EXPECT_EQ(grown.body().back(), 'y');
    Response typed = Response::json("{}");
    typed.content_type("application/problem+json");
    Response typed_moved = std::move(typed);
    EXPECT_EQ(typed_moved.content_type(), "application/problem+json");
}
