// Tests for ChunkedDecoder (src/http/parser.hpp): RFC 9112 section 7.1 chunked coding, fed in
// arbitrary pieces.
#include "http/parser.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gannet::http {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;
using Status = ChunkedDecoder::Result::Status;

struct Decoded {
    Status status = Status::need_more;
    int error_status = 0;
    std::string body;
    std::size_t left_over = 0;  // input bytes after the end of the chunked body
};

// Feeds `in` to `d` in pieces of the given sizes (the rest in one piece), the way a connection
// would: each piece is given until the decoder has consumed it.
Decoded decode(ChunkedDecoder& d, std::string_view in, const std::vector<std::size_t>& cuts = {}) {
    Decoded out;
    std::size_t pos = 0;
    std::size_t cut = 0;
    while (pos < in.size() || cut == 0) {
        const std::size_t len =
            cut < cuts.size() ? std::min(cuts[cut], in.size() - pos) : in.size() - pos;
        ++cut;
        std::string_view piece = in.substr(pos, len);
        pos += len;
        for (;;) {
            const ChunkedDecoder::Result r = d.next(piece);
            EXPECT_LE(r.consumed, piece.size());
            if (r.status == Status::data) {
                EXPECT_FALSE(r.data.empty());
                // Zero-copy: the data is a view into the piece given.
                EXPECT_GE(r.data.data(), piece.data());
                EXPECT_LE(r.data.data() + r.data.size(), piece.data() + piece.size());
                out.body.append(r.data);
                piece.remove_prefix(r.consumed);
                continue;
            }
            out.status = r.status;
            if (r.status == Status::error) {
                out.error_status = r.error_status;
                EXPECT_FALSE(r.reason.empty());
                return out;
            }
            if (r.status == Status::done) {
                out.left_over = piece.size() - r.consumed + (in.size() - pos);
                return out;
            }
            EXPECT_EQ(r.consumed, piece.size());  // need_more consumes everything
            break;
        }
        if (pos == in.size()) break;
    }
    return out;
}

Decoded decode(std::string_view in, std::uint64_t max_body = UINT64_MAX,
               std::size_t max_trailer = std::size_t{16} * 1024) {
    ChunkedDecoder d(max_body, max_trailer);
    return decode(d, in);
}

Decoded decode_bytewise(std::string_view in) {
    ChunkedDecoder d;
    return decode(d, in, std::vector<std::size_t>(in.size(), 1));
}

int error_of(std::string_view in) {
    const Decoded whole = decode(in);
    const Decoded bytes = decode_bytewise(in);
    EXPECT_EQ(whole.status, bytes.status) << testing::PrintToString(std::string(in));
    EXPECT_EQ(whole.error_status, bytes.error_status) << testing::PrintToString(std::string(in));
    return whole.status == Status::error ? whole.error_status : 0;
}

TEST(ChunkedDecoder, Simple) {
    const Decoded d = decode("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
    EXPECT_EQ(d.status, Status::done);
    EXPECT_EQ(d.body, "hello world");
    EXPECT_EQ(d.left_over, 0u);
}

TEST(ChunkedDecoder, OneDataSpanPerCall) {
    ChunkedDecoder d;
    const std::string in = "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\nNEXT";
    std::string_view rest = in;
    ChunkedDecoder::Result r = d.next(rest);
    ASSERT_EQ(r.status, Status::data);
    EXPECT_EQ(r.data, "abc");
    EXPECT_EQ(r.consumed, 6u);
    EXPECT_EQ(r.data.data(), in.data() + 3);
    rest.remove_prefix(r.consumed);
    r = d.next(rest);
    ASSERT_EQ(r.status, Status::data);
    EXPECT_EQ(r.data, "de");
    rest.remove_prefix(r.consumed);
    r = d.next(rest);
    ASSERT_EQ(r.status, Status::done);
    rest.remove_prefix(r.consumed);
    EXPECT_EQ(rest, "NEXT");  // the next request is not consumed
    EXPECT_EQ(d.total(), 5u);
    // Calls after the end consume nothing.
    r = d.next(rest);
    EXPECT_EQ(r.status, Status::done);
    EXPECT_EQ(r.consumed, 0u);
}

TEST(ChunkedDecoder, DataSplitAcrossCalls) {
    ChunkedDecoder d;
    ChunkedDecoder::Result r = d.next("a\r\n0123");
    ASSERT_EQ(r.status, Status::data);
    EXPECT_EQ(r.data, "0123");
    EXPECT_EQ(r.consumed, 7u);
    r = d.next("");
    EXPECT_EQ(r.status, Status::need_more);
    EXPECT_EQ(r.consumed, 0u);
    r = d.next("456789\r");
    ASSERT_EQ(r.status, Status::data);
    EXPECT_EQ(r.data, "456789");
    EXPECT_EQ(r.consumed, 6u);
    r = d.next("\r");
    EXPECT_EQ(r.status, Status::need_more);
    EXPECT_EQ(r.consumed, 1u);
    r = d.next("\n0\r\n\r\n");
    EXPECT_EQ(r.status, Status::done);
    EXPECT_EQ(r.consumed, 6u);
    EXPECT_EQ(d.total(), 10u);
}

TEST(ChunkedDecoder, EmptyBody) {
    const Decoded d = decode("0\r\n\r\n");
    EXPECT_EQ(d.status, Status::done);
    EXPECT_EQ(d.body, "");
    EXPECT_EQ(decode("000\r\n\r\n").status, Status::done);
}

TEST(ChunkedDecoder, HexSizes) {
    EXPECT_EQ(decode("A\r\n0123456789\r\n0\r\n\r\n").body, "0123456789");
    EXPECT_EQ(decode("a\r\n0123456789\r\n0\r\n\r\n").body, "0123456789");
    EXPECT_EQ(decode("0000000000000003\r\nabc\r\n0\r\n\r\n").body, "abc");  // 16 digits
    const std::string big(0x1F, 'x');
    EXPECT_EQ(decode("1f\r\n" + big + "\r\n0\r\n\r\n").body, big);
    EXPECT_EQ(decode("1F\r\n" + big + "\r\n0\r\n\r\n").body, big);
}

TEST(ChunkedDecoder, SizeErrors) {
    EXPECT_EQ(error_of("00000000000000003\r\nabc\r\n0\r\n\r\n"), 400);  // 17 digits
    EXPECT_EQ(error_of("10000000000000000\r\n"), 400);
    EXPECT_EQ(error_of("\r\nabc\r\n"), 400);  // empty size
    EXPECT_EQ(error_of(";a\r\n"), 400);
    EXPECT_EQ(error_of("g\r\n"), 400);
    EXPECT_EQ(error_of("0x3\r\nabc\r\n"), 400);
    EXPECT_EQ(error_of("+3\r\nabc\r\n"), 400);
    EXPECT_EQ(error_of("-1\r\n"), 400);
    EXPECT_EQ(error_of(" 3\r\nabc\r\n"), 400);
    EXPECT_EQ(error_of("3 \r\nabc\r\n0\r\n\r\n"), 400);  // BWS only before ';'
    EXPECT_EQ(error_of("3\t\r\nabc\r\n0\r\n\r\n"), 400);
    EXPECT_EQ(error_of("3 3\r\nabc\r\n"), 400);
    EXPECT_EQ(error_of("3,\r\nabc\r\n"), 400);
    EXPECT_EQ(error_of("3\0\r\nabc\r\n"s), 400);
}

TEST(ChunkedDecoder, LineEndingErrors) {
    EXPECT_EQ(error_of("3\nabc\r\n0\r\n\r\n"), 400);     // bare LF after size
    EXPECT_EQ(error_of("3\rabc\r\n0\r\n\r\n"), 400);     // bare CR after size
    EXPECT_EQ(error_of("3\r\nabc\n0\r\n\r\n"), 400);     // bare LF after data
    EXPECT_EQ(error_of("3\r\nabc\r0\r\n\r\n"), 400);     // bare CR after data
    EXPECT_EQ(error_of("3\r\nabcd\r\n0\r\n\r\n"), 400);  // data longer than the size
    EXPECT_EQ(error_of("3\r\nab\r\n0\r\n\r\n"), 400);    // shorter (CR taken as data)
    EXPECT_EQ(error_of("3\r\nabc0\r\n\r\n"), 400);       // no CRLF at all
    EXPECT_EQ(error_of("0\r\n\n"), 400);                 // bare LF ending the trailers
    EXPECT_EQ(error_of("0\r\n\r\r\n"), 400);
    EXPECT_EQ(error_of("0\n\r\n"), 400);
    EXPECT_EQ(error_of("0;a\n\r\n"), 400);
    EXPECT_EQ(error_of("0;a=\"b\n\"\r\n\r\n"), 400);
    EXPECT_EQ(error_of("0;a=\"b\r\"\r\n\r\n"), 400);
}

TEST(ChunkedDecoder, ExtensionsAreParsedAndIgnored) {
    for (std::string_view ext :
         {";a", ";a=b", ";a=\"b\"", ";a=\"\"", ";a=\"q\\\"x\\\\\"", ";a;b;c=d", "; a",
          "; a = b ; c = \"d e\" ", ";a=\"\xff obs\"", ";!#$%&'*+-.^_`|~=!#$%&'*+-.^_`|~",
          ";a=\"(),/:;<=>?@[]{}\"", ";a=\"\t\""}) {
        const std::string in =
            std::string("3").append(ext) + "\r\nabc\r\n0" + std::string(ext) + "\r\n\r\n";
        const Decoded d = decode(in);
        EXPECT_EQ(d.status, Status::done) << ext;
        EXPECT_EQ(d.body, "abc") << ext;
        const Decoded b = decode_bytewise(in);
        EXPECT_EQ(b.status, Status::done) << ext;
        EXPECT_EQ(b.body, "abc") << ext;
    }
}

// llhttp refuses whitespace between the chunk size and ';' (RFC 9112 allows it as BWS); the
// strictest peer is our floor, so these are errors (docs/architecture.md, "HTTP rules and limits").
TEST(ChunkedDecoder, WhitespaceAfterSizeIsRefused) {
    for (std::string_view ext : {" ;a", "\t; a", " ; a = b"}) {
        const std::string in = std::string("3").append(ext) + "\r\nabc\r\n0\r\n\r\n";
        EXPECT_EQ(decode(in).status, Status::error) << ext;
        EXPECT_EQ(decode_bytewise(in).status, Status::error) << ext;
    }
}

TEST(ChunkedDecoder, ExtensionErrors) {
    for (std::string_view ext : {";",           "; ",          ";;",
                                 ";=b",         ";a=",         ";a= ",
                                 ";a=b=c",      ";a=\"b",      ";a=\"b\"c",
                                 ";a b",        ";a=b c",      ";a=(b)",
                                 ";a=\"\x01\"", ";a=\"\x7f\"", ";a=\"\\\x01\"",
                                 ";a=b\x01",    ";a\x7f",      ";a,b",
                                 " a",          ";\"a\"",      ";a=\"b\"\"c\""}) {
        const std::string in = std::string("3").append(ext) + "\r\nabc\r\n0\r\n\r\n";
        EXPECT_EQ(error_of(in), 400) << testing::PrintToString(std::string(ext));
    }
}

TEST(ChunkedDecoder, ExtensionLengthIsBounded) {
    // 1024 bytes from the first ';' to the CR included.
    const std::string ok = ";a=" + std::string(1020, 'v');
    EXPECT_EQ(decode("3" + ok + "\r\nabc\r\n0\r\n\r\n").status, Status::done);
    EXPECT_EQ(error_of("3" + ok + "v\r\nabc\r\n0\r\n\r\n"), 400);
    // The bound is per chunk line, not per body.
    std::string many;
    for (int i = 0; i < 10; ++i) many += "1" + ok + "\r\nx\r\n";
    EXPECT_EQ(decode(many + "0\r\n\r\n").body, std::string(10, 'x'));
    // A never-ending extension fails without buffering.
    ChunkedDecoder d;
    const std::string endless = "1;a=" + std::string(5000, 'v');
    EXPECT_EQ(d.next(endless).error_status, 400);
}

TEST(ChunkedDecoder, Trailers) {
    ChunkedDecoder d;
    const Decoded r =
        decode(d, "3\r\nabc\r\n0\r\nX-Checksum:  abc \r\nX-Empty:\r\nx-t: a\tb\r\n\r\n");
    EXPECT_EQ(r.status, Status::done);
    EXPECT_EQ(r.body, "abc");
    using Trailers = std::vector<std::pair<std::string, std::string>>;
    EXPECT_EQ(d.trailers(), (Trailers{{"X-Checksum", "abc"}, {"X-Empty", ""}, {"x-t", "a\tb"}}));

    ChunkedDecoder b;
    decode(b, "3\r\nabc\r\n0\r\nX-Checksum:  abc \r\nX-Empty:\r\nx-t: a\tb\r\n\r\n",
           std::vector<std::size_t>(64, 1));
    EXPECT_EQ(b.trailers(), d.trailers());
}

TEST(ChunkedDecoder, TrailerErrors) {
    for (std::string_view t : std::initializer_list<std::string_view>{
             "X : a\r\n", "X\t: a\r\n", " X: a\r\n", "X: a\r\n b\r\n", "X: a\r\n\tb\r\n", "X a\r\n",
             ": a\r\n", "X(: a\r\n", "X: a\0\r\n"sv, "X: a\x7f\r\n", "X: a\rb\r\n",
             "X: a\nY: b\r\n", "X\r\n"}) {
        EXPECT_EQ(error_of("0\r\n" + std::string(t) + "\r\n"), 400)
            << testing::PrintToString(std::string(t));
    }
}

TEST(ChunkedDecoder, TrailerSectionIsBounded) {
    // 431, like an oversized header section. The bound counts every trailer byte, CRLFs
    // included, and the final empty line.
    const std::string field = "X: " + std::string(95, 'v') + "\r\n";  // 100 bytes
    EXPECT_EQ(decode("0\r\n" + field + "\r\n", UINT64_MAX, 102).status, Status::done);
    EXPECT_EQ(decode("0\r\n" + field + "\r\n", UINT64_MAX, 101).error_status, 431);
    EXPECT_EQ(decode("0\r\n" + field + field + "\r\n", UINT64_MAX, 150).error_status, 431);
    // Detected before the line ends.
    ChunkedDecoder d(UINT64_MAX, 100);
    EXPECT_EQ(d.next("0\r\nX: " + std::string(200, 'v')).error_status, 431);
}

TEST(ChunkedDecoder, MaxBody) {
    EXPECT_EQ(decode("5\r\nhello\r\n0\r\n\r\n", 5).status, Status::done);
    EXPECT_EQ(decode("5\r\nhello\r\n1\r\n!\r\n0\r\n\r\n", 5).error_status, 413);
    EXPECT_EQ(decode("3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n", 5).error_status, 413);
    // Refused on the size line, before a byte of the chunk is read.
    ChunkedDecoder d(10);
    const ChunkedDecoder::Result r = d.next("ffffffffffffffff\r\n");
    EXPECT_EQ(r.status, Status::error);
    EXPECT_EQ(r.error_status, 413);
    EXPECT_EQ(d.total(), 0u);
}

TEST(ChunkedDecoder, ErrorsAreSticky) {
    ChunkedDecoder d;
    ChunkedDecoder::Result r = d.next("z");
    ASSERT_EQ(r.status, Status::error);
    r = d.next("3\r\nabc\r\n0\r\n\r\n");
    EXPECT_EQ(r.status, Status::error);
    EXPECT_EQ(r.error_status, 400);
    r = d.next("");
    EXPECT_EQ(r.status, Status::error);
}

TEST(ChunkedDecoder, ResetForTheNextRequest) {
    ChunkedDecoder d;
    decode(d, "3\r\nabc\r\n0\r\nT: 1\r\n\r\n");
    ASSERT_EQ(d.trailers().size(), 1u);
    d.reset();
    EXPECT_EQ(d.total(), 0u);
    EXPECT_TRUE(d.trailers().empty());
    const Decoded r = decode(d, "2\r\nxy\r\n0\r\n\r\n");
    EXPECT_EQ(r.status, Status::done);
    EXPECT_EQ(r.body, "xy");
    d.next("z");
    d.reset();
    EXPECT_EQ(decode(d, "0\r\n\r\n").status, Status::done);
}

// Random bodies, chunkings, extensions and trailers, fed in random pieces (fixed seed): the
// decoded body and trailers never depend on where the input is cut.
TEST(ChunkedDecoder, RandomSplits) {
    std::mt19937_64 rng(20240601);
    const std::string_view exts[] = {"", "", ";a", ";name=value", "; q=\"x;y\\\"z\"", ";a;b=c"};
    for (int iter = 0; iter < 500; ++iter) {
        std::string body;
        std::string wire;
        const int chunks = static_cast<int>(rng() % 6);
        for (int c = 0; c < chunks; ++c) {
            const std::size_t len = 1 + rng() % 300;
            std::string data;
            for (std::size_t i = 0; i < len; ++i) data += static_cast<char>(rng() & 0xFF);
            char size[32];
            std::snprintf(size, sizeof size, (rng() & 1) ? "%zx" : "%04zX", len);
            wire += size;
            wire += exts[rng() % std::size(exts)];
            wire += "\r\n" + data + "\r\n";
            body += data;
        }
        wire += "0";
        wire += exts[rng() % std::size(exts)];
        wire += "\r\n";
        std::vector<std::pair<std::string, std::string>> trailers;
        const int ntrailers = static_cast<int>(rng() % 3);
        for (int t = 0; t < ntrailers; ++t) {
            // (std::string("T") + ...: "T" + std::string trips GCC 12's -Wrestrict false positive.)
            trailers.emplace_back(std::string("T") + std::to_string(t),
                                  std::string("v") + std::to_string(rng() % 1000));
            wire += trailers.back().first + ": " + trailers.back().second + "\r\n";
        }
        wire += "\r\n";
        const std::string after = (rng() & 1) ? "GET / HTTP/1.1\r\n" : "";
        const std::string in = wire + after;

        std::vector<std::size_t> cuts;
        const int mode = static_cast<int>(rng() % 3);
        for (std::size_t total = 0; total < in.size();) {
            const std::size_t len = mode == 0 ? 1 : 1 + rng() % (mode == 1 ? 8 : 200);
            cuts.push_back(len);
            total += len;
        }
        ChunkedDecoder d;
        const Decoded r = decode(d, in, cuts);
        ASSERT_EQ(r.status, Status::done) << iter;
        ASSERT_EQ(r.body, body) << iter;
        ASSERT_EQ(r.left_over, after.size()) << iter;
        ASSERT_EQ(d.total(), body.size());
        ASSERT_EQ(d.trailers(), trailers);
    }
}

}  // namespace
}  // namespace gannet::http
