// Byte-level tests of the text/event-stream framing (WHATWG HTML, server-sent events).
#include "sse/encoder.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>

using gannet::Event;
using namespace std::chrono_literals;

namespace {

std::string encode(const Event& e) {
    std::string out;
    gannet::sse::append_event(e, out);
    return out;
}

std::string comment(std::string_view text) {
    std::string out;
    gannet::sse::append_comment(text, out);
    return out;
}

}  // namespace

TEST(SseEncoder, FullEvent) {
    EXPECT_EQ(encode({.event = "tick", .data = "1", .id = "42"}),
              "event: tick\nid: 42\ndata: 1\n\n");
}

TEST(SseEncoder, DataOnly) {
    EXPECT_EQ(encode({.data = "hello"}), "data: hello\n\n");
}

TEST(SseEncoder, MultiLineDataSplitsOnLf) {
    EXPECT_EQ(encode({.data = "a\nb\nc"}), "data: a\ndata: b\ndata: c\n\n");
}

TEST(SseEncoder, MultiLineDataSplitsOnCrLfAndCr) {
    EXPECT_EQ(encode({.data = "a\r\nb\rc"}), "data: a\ndata: b\ndata: c\n\n");
    // CR LF is one break; LF CR is two.
    EXPECT_EQ(encode({.data = "a\n\rb"}), "data: a\ndata:\ndata: b\n\n");
}

TEST(SseEncoder, TrailingAndBlankLinesAreKept) {
    EXPECT_EQ(encode({.data = "a\n"}), "data: a\ndata:\n\n");
    EXPECT_EQ(encode({.data = "\n\n"}), "data:\ndata:\ndata:\n\n");
}

TEST(SseEncoder, EmptyDataStillDispatches) {
    EXPECT_EQ(encode({}), "data:\n\n");
    EXPECT_EQ(encode({.event = "ping"}), "event: ping\ndata:\n\n");
}

TEST(SseEncoder, LeadingSpaceSurvivesTheClientStrip) {
    // The client strips one space after the colon; ours, so the data's own space is kept.
    EXPECT_EQ(encode({.data = " x"}), "data:  x\n\n");
}

TEST(SseEncoder, UnicodeDataIsPassedThrough) {
    EXPECT_EQ(encode({.data = "h\xC3\xA9llo \xF0\x9F\x90\xA6"}),
              "data: h\xC3\xA9llo \xF0\x9F\x90\xA6\n\n");
    // U+2028 LINE SEPARATOR is not a line break in event streams.
    EXPECT_EQ(encode({.data = "a\xE2\x80\xA8"
                              "b"}),
              "data: a\xE2\x80\xA8"
              "b\n\n");
}

TEST(SseEncoder, ColonInDataIsPlain) {
    EXPECT_EQ(encode({.data = "a: b"}), "data: a: b\n\n");
}

TEST(SseEncoder, RetryInWholeMilliseconds) {
    EXPECT_EQ(encode({.data = "x", .retry = 3s}), "retry: 3000\ndata: x\n\n");
    EXPECT_EQ(encode({.retry = 1500ms}), "retry: 1500\n\n");
    EXPECT_EQ(encode({.retry = 0ms}), "retry: 0\n\n");
}

TEST(SseEncoder, IdOnlyIsBookkeeping) {
    EXPECT_EQ(encode({.id = "7"}), "id: 7\n\n");
}

TEST(SseEncoder, RejectsLineBreaksInEventAndId) {
    EXPECT_THROW(encode({.event = "a\nb"}), std::invalid_argument);
    EXPECT_THROW(encode({.event = "a\rb"}), std::invalid_argument);
    EXPECT_THROW(encode({.id = "1\n"}), std::invalid_argument);
    EXPECT_THROW(encode({.id = "1\r2"}), std::invalid_argument);
    EXPECT_THROW(encode({.id = std::string_view("1\0"
                                                "2",
                                                3)}),
                 std::invalid_argument);
    EXPECT_THROW(encode({.retry = -1ms}), std::invalid_argument);
    std::string out = "keep";
    EXPECT_THROW(gannet::sse::append_event({.event = "x\n"}, out), std::invalid_argument);
    EXPECT_EQ(out, "keep");  // nothing half-written
}

TEST(SseEncoder, Comments) {
    EXPECT_EQ(comment("ping"), ": ping\n");
    EXPECT_EQ(comment(""), ":\n");
    EXPECT_EQ(comment("a\r\nb"), ": a\n: b\n");
}

TEST(SseEncoder, ForEachLine) {
    std::vector<std::string> lines;
    gannet::sse::for_each_line("x\r\n\ry\n", [&](std::string_view l) { lines.emplace_back(l); });
    EXPECT_EQ(lines, (std::vector<std::string>{"x", "", "y", ""}));
}
