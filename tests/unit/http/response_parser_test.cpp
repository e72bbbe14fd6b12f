// Tests for ResponseParser (src/http/parser.hpp): the status line, the field rules it shares
// with the request parser, RFC 9112 6.3 framing, limits and incremental feeding.
#include "http/parser.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <string_view>

namespace gannet::http {
namespace {

using Status = ParseResult::Status;
using Framing = ResponseFraming;

constexpr int kOk = 0;
constexpr int kMore = -1;

struct Parsed {
    std::shared_ptr<const std::string> input;
    ParseResult result;
    ResponseHead head;
};

Parsed parse(std::string_view buffer, bool head_request = false, ParserLimits limits = {}) {
    Parsed p;
    p.input = std::make_shared<const std::string>(buffer);
    p.result = ResponseParser(limits).parse(*p.input, p.head, head_request);
    return p;
}

// kOk, kMore or the error class.
int outcome(std::string_view buffer, bool head_request = false, ParserLimits limits = {}) {
    const ParseResult r = parse(buffer, head_request, limits).result;
    switch (r.status) {
        case Status::complete:
            return kOk;
        case Status::incomplete:
            return kMore;
        case Status::error:
            return r.error_status;
    }
    return -2;
}

std::string res(std::string_view fields, std::string_view line = "HTTP/1.1 200 OK") {
    return std::string(line) + "\r\n" + std::string(fields) + "\r\n";
}

TEST(ResponseParser, SimpleResponse) {
    const std::string in = res("Content-Type: text/plain\r\nContent-Length: 5\r\n") + "hello";
    const Parsed p = parse(in);
    ASSERT_EQ(p.result.status, Status::complete) << p.result.reason;
    EXPECT_EQ(p.result.consumed, in.size() - 5);
    EXPECT_EQ(p.head.status, 200);
    EXPECT_EQ(p.head.reason, "OK");
    EXPECT_EQ(p.head.version_minor, 1);
    ASSERT_EQ(p.head.headers.size(), 2u);
    EXPECT_EQ(p.head.headers[0].name, "Content-Type");
    EXPECT_EQ(p.head.header("content-type"), "text/plain");
    EXPECT_EQ(p.head.framing, Framing::length);
    EXPECT_EQ(p.head.content_length, 5u);
    EXPECT_TRUE(p.head.keep_alive);
}

TEST(ResponseParser, ReasonPhraseMayBeEmptyOrHoldSpacesAndObsText) {
    Parsed p = parse(res("Content-Length: 0\r\n", "HTTP/1.1 204 "));
    ASSERT_EQ(p.result.status, Status::complete) << p.result.reason;
    EXPECT_EQ(p.head.reason, "");
    p = parse(res("Content-Length: 0\r\n", "HTTP/1.1 404 Not \tFound \xE9"));
    ASSERT_EQ(p.result.status, Status::complete) << p.result.reason;
    EXPECT_EQ(p.head.reason, "Not \tFound \xE9");
    EXPECT_EQ(p.head.status, 404);
}

TEST(ResponseParser, StatusLineIsStrict) {
    EXPECT_EQ(outcome(res("", "HTTP/1.1 200")), 400);  // the space before the reason is required
    EXPECT_EQ(outcome(res("", "HTTP/1.1 20 OK")), 400);
    EXPECT_EQ(outcome(res("", "HTTP/1.1 2000 OK")), 400);
    EXPECT_EQ(outcome(res("", "HTTP/1.1 099 Low")), 400);
    EXPECT_EQ(outcome(res("", "HTTP/1.1  200 OK")), 400);
    EXPECT_EQ(outcome(res("", "HTTP/1.1 2x0 OK")), 400);
    EXPECT_EQ(outcome(res("", "http/1.1 200 OK")), 400);
    EXPECT_EQ(outcome(res("", "HTTP/1.1\t200 OK")), 400);
    EXPECT_EQ(outcome(res("", "HTTP/11 200 OK")), 400);
    EXPECT_EQ(outcome(res("", "HTTP/1.1 200 O\x01K")), 400);
    EXPECT_EQ(outcome("HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n"), 400);  // bare LF
    EXPECT_EQ(outcome("HTTP/1.1 200 OK\rContent-Length: 0\r\n\r\n"), 400);  // bare CR
    EXPECT_EQ(outcome("\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), 400);
    EXPECT_EQ(outcome("garbage"), 400);  // fails at its first byte, before a head could end
    EXPECT_EQ(outcome("HTTP/2.0 200 OK\r\n\r\n"), 505);
    EXPECT_EQ(outcome("HTTP/0.9 200 OK\r\n\r\n"), 505);
}

TEST(ResponseParser, VersionsAndKeepAlive) {
    Parsed p = parse(res("Content-Length: 0\r\n", "HTTP/1.0 200 OK"));
    ASSERT_EQ(p.result.status, Status::complete);
    EXPECT_EQ(p.head.version_minor, 0);
    EXPECT_FALSE(p.head.keep_alive);
    p = parse(res("Content-Length: 0\r\nConnection: keep-alive\r\n", "HTTP/1.0 200 OK"));
    EXPECT_TRUE(p.head.keep_alive);
    p = parse(res("Content-Length: 0\r\nConnection: x, Close\r\n"));
    EXPECT_FALSE(p.head.keep_alive);
    p = parse(res("Content-Length: 0\r\n", "HTTP/1.7 200 OK"));
    ASSERT_EQ(p.result.status, Status::complete);
    EXPECT_EQ(p.head.version_minor, 1);
}

TEST(ResponseParser, StatusCodesBeyond599AreKept) {
    const Parsed p = parse(res("Content-Length: 0\r\n", "HTTP/1.1 799 Custom"));
    ASSERT_EQ(p.result.status, Status::complete);
    EXPECT_EQ(p.head.status, 799);
}

TEST(ResponseParser, FieldLinesFollowTheRequestParsersRules) {
    EXPECT_EQ(outcome(res("Content-Length: 0\r\n X: folded\r\n")), 400);  // obs-fold
    EXPECT_EQ(outcome(res("Content-Length: 0\r\nX : y\r\n")), 400);
    EXPECT_EQ(outcome(res("Content-Length: 0\r\nX\r\n")), 400);
    EXPECT_EQ(outcome(res("Content-Length: 0\r\nX: a\x7F\r\n")), 400);
    EXPECT_EQ(outcome(res("Content-Length: 0\r\nX(: a\r\n")), 400);
    EXPECT_EQ(outcome("HTTP/1.1 200 OK\r\nContent-Length: 0\nX: y\r\n\r\n"), 400);
    EXPECT_EQ(outcome("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\n"), 400);
    EXPECT_EQ(outcome("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX: a\rb\r\n\r\n"), 400);
}

TEST(ResponseParser, ContentLengthMustBeSingleAndDecimal) {
    EXPECT_EQ(outcome(res("Content-Length: 5\r\nContent-Length: 5\r\n")), 400);
    EXPECT_EQ(outcome(res("Content-Length: 5, 5\r\n")), 400);
    EXPECT_EQ(outcome(res("Content-Length: -1\r\n")), 400);
    EXPECT_EQ(outcome(res("Content-Length: 0x5\r\n")), 400);
    EXPECT_EQ(outcome(res("Content-Length: \r\n")), 400);
    EXPECT_EQ(outcome(res("Content-Length: 99999999999999999999999\r\n")), 400);
    const Parsed p = parse(res("Content-Length: 18446744073709551615\r\n"));
    ASSERT_EQ(p.result.status, Status::complete);
    EXPECT_EQ(p.head.content_length, UINT64_MAX);
    // A malformed one is refused even where it does not frame anything.
    EXPECT_EQ(outcome(res("Content-Length: x\r\n", "HTTP/1.1 204 No Content")), 400);
}

TEST(ResponseParser, TransferEncodingRules) {
    Parsed p = parse(res("Transfer-Encoding: chunked\r\n"));
    ASSERT_EQ(p.result.status, Status::complete);
    EXPECT_EQ(p.head.framing, Framing::chunked);
    p = parse(res("Transfer-Encoding: CHUNKED\r\n"));
    EXPECT_EQ(p.head.framing, Framing::chunked);
    EXPECT_EQ(outcome(res("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n")), 400);
    EXPECT_EQ(outcome(res("Transfer-Encoding: gzip\r\n")), 400);
    EXPECT_EQ(outcome(res("Transfer-Encoding: gzip, chunked\r\n")), 501);
    EXPECT_EQ(outcome(res("Transfer-Encoding: chunked, chunked\r\n")), 400);
    EXPECT_EQ(outcome(res("Transfer-Encoding: chunked,\r\n")), 400);
    EXPECT_EQ(outcome(res("Transfer-Encoding: chunked\r\n", "HTTP/1.0 200 OK")), 400);
    EXPECT_EQ(outcome(res("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n")), 400);
}

TEST(ResponseParser, FramingPerRfc9112Section6_3) {
    // No body for HEAD, 1xx, 204 and 304, whatever the fields say.
    Parsed p = parse(res("Content-Length: 100\r\n"), true);
    EXPECT_EQ(p.head.framing, Framing::none);
    p = parse(res("Transfer-Encoding: chunked\r\n"), true);
    EXPECT_EQ(p.head.framing, Framing::none);
    p = parse(res("Content-Length: 100\r\n", "HTTP/1.1 304 Not Modified"));
    EXPECT_EQ(p.head.framing, Framing::none);
    p = parse(res("", "HTTP/1.1 204 No Content"));
    EXPECT_EQ(p.head.framing, Framing::none);
    EXPECT_TRUE(p.head.keep_alive);
    p = parse(res("", "HTTP/1.1 100 Continue"));
    ASSERT_EQ(p.result.status, Status::complete);
    EXPECT_EQ(p.head.status, 100);
    EXPECT_EQ(p.head.framing, Framing::none);
    // Content-Length: 0 has nothing to read.
    p = parse(res("Content-Length: 0\r\n"));
    EXPECT_EQ(p.head.framing, Framing::none);
    // Neither field: read until close, and the connection cannot be reused.
    p = parse(res("Content-Type: text/plain\r\n"));
    EXPECT_EQ(p.head.framing, Framing::until_close);
    EXPECT_FALSE(p.head.keep_alive);
}

TEST(ResponseParser, SwitchingProtocolsNeedsUpgrade) {
    Parsed p = parse(
        res("Connection: Upgrade\r\nUpgrade: websocket\r\n", "HTTP/1.1 101 Switching Protocols"));
    ASSERT_EQ(p.result.status, Status::complete);
    EXPECT_EQ(p.head.status, 101);
    EXPECT_EQ(p.head.framing, Framing::none);
    EXPECT_EQ(outcome(res("Connection: Upgrade\r\n", "HTTP/1.1 101 Switching Protocols")), 400);
}

TEST(ResponseParser, Limits) {
    ParserLimits small{64, 128, 3};
    EXPECT_EQ(outcome(res("A: 1\r\nB: 2\r\nC: 3\r\n"), false, small), kOk);
    EXPECT_EQ(outcome(res("A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n"), false, small), 431);
    EXPECT_EQ(outcome(res("X: " + std::string(200, 'v') + "\r\n"), false, small), 431);
    // A reason phrase that never ends is bounded by the head limit too.
    EXPECT_EQ(outcome("HTTP/1.1 200 " + std::string(200, 'r'), false, small), 431);
    // Just under the limit, incomplete, is still waiting.
    EXPECT_EQ(outcome("HTTP/1.1 200 " + std::string(100, 'r'), false, small), kMore);
}

TEST(ResponseParser, IncrementalFeedingGivesTheSameVerdict) {
    const std::vector<std::string> inputs = {
        res("Content-Length: 5\r\nX-Long: " + std::string(100, 'a') + "\r\n") + "hello",
        res("Transfer-Encoding: chunked\r\n") + "5\r\nhello\r\n0\r\n\r\n",
        res("", "HTTP/1.1 101 Switching Protocols"),
        "HTTP/1.1 200 OK\r\nX: a\nb\r\n\r\n",
        res("A: 1\r\n", "HTTP/1.1 200 "),
    };
    for (const std::string& in : inputs) {
        const Parsed whole = parse(in);
        for (std::size_t n = 0; n < in.size(); ++n) {
            const Parsed part = parse(std::string_view(in).substr(0, n));
            if (part.result.status == Status::error) {
                EXPECT_EQ(whole.result.status, Status::error) << in;
                break;
            }
            if (part.result.status == Status::complete) {
                EXPECT_EQ(part.result.consumed, whole.result.consumed) << in;
                break;
            }
        }
    }
}

TEST(ResponseParser, RandomBytesNeverCrash) {
    std::mt19937 rng(12);
    const std::string alphabet = "HTTP/1.0 23\r\n:;,Content-Length:Transfer-Encoding chunked\t ";
    for (int i = 0; i < 20000; ++i) {
        std::string in = "HTTP/1.1 200 OK\r\n";
        const std::size_t len = rng() % 80;
        for (std::size_t k = 0; k < len; ++k) in += alphabet[rng() % alphabet.size()];
        ResponseHead head;
        (void)ResponseParser().parse(in, head, (rng() & 1) != 0);
    }
}

}  // namespace
}  // namespace gannet::http
