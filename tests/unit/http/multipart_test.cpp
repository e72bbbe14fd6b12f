#include <gannet/multipart.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace gannet;
using Event = MultipartParser::Event;

namespace {

struct Part {
    std::string name;
    std::optional<std::string> filename;
    std::string content_type;
    std::string body;
};

struct Outcome {
    std::vector<Part> parts;
    bool done = false;
    std::string error;
};

// Feeds `input` in pieces of `step` bytes, keeping unconsumed bytes as a real reader does.
Outcome run(std::string_view boundary, std::string_view input, std::size_t step,
            MultipartLimits limits = {}) {
    MultipartParser p(boundary, limits);
    Outcome out;
    std::string buf;
    std::size_t fed = 0;
    bool stop = false;
    while (!stop) {
        auto r = p.next(buf);
        std::string data(r.data);  // r.data points into buf
        buf.erase(0, r.consumed);
        switch (r.event) {
            case Event::need_more:
                if (fed == input.size()) {
                    stop = true;
                } else {
                    std::size_t n = std::min(step, input.size() - fed);
                    buf.append(input.substr(fed, n));
                    fed += n;
                }
                break;
            case Event::part_begin:
                out.parts.push_back(
                    {p.headers().name, p.headers().filename, p.headers().content_type, {}});
                break;
            case Event::data:
                out.parts.back().body.append(data);
                break;
            case Event::part_end:
                break;
            case Event::done:
                out.done = true;
                stop = true;
                break;
            case Event::error:
                out.error = std::string(p.error());
                stop = true;
                break;
        }
    }
    return out;
}

const std::string kBody =
    "preamble to ignore\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"field\"\r\n"
    "\r\n"
    "value\r\n--not the boundary\r\n"
    "--XyZ  \r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"a \\\"q\\\".txt\"\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "line1\r\nline2\r\r\n\r\n"
    "--XyZ\r\n"
    "\r\n"
    "no headers\r\n"
    "--XyZ--\r\n"
    "epilogue";

}  // namespace

TEST(MultipartBoundary, FromContentType) {
    EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=abc"), "abc");
    EXPECT_EQ(multipart_boundary("Multipart/Form-Data; charset=x; BOUNDARY=\"a b:c\""), "a b:c");
    EXPECT_EQ(multipart_boundary("multipart/mixed;boundary=----WebKitFormBoundaryx7"),
              "----WebKitFormBoundaryx7");
    EXPECT_FALSE(multipart_boundary("text/plain; boundary=abc"));
    EXPECT_FALSE(multipart_boundary("multipart/form-data"));
    EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary="));
    EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=\"\""));
    EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=\"ab \""));
    EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=a{b"));
    EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=\"unterminated"));
    EXPECT_TRUE(multipart_boundary("multipart/form-data; boundary=" + std::string(70, 'a')));
    EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'a')));
}

TEST(MultipartParser, PartsInEveryChunking) {
    for (std::size_t step : {1u, 2u, 3u, 5u, 7u, 13u, 64u, 100000u}) {
        Outcome o = run("XyZ", kBody, step);
        ASSERT_TRUE(o.done) << step << " " << o.error;
        ASSERT_EQ(o.parts.size(), 3u) << step;
        EXPECT_EQ(o.parts[0].name, "field");
        EXPECT_FALSE(o.parts[0].filename);
        EXPECT_EQ(o.parts[0].body, "value\r\n--not the boundary");
        EXPECT_EQ(o.parts[1].name, "file");
        EXPECT_EQ(o.parts[1].filename, "a \"q\".txt");
        EXPECT_EQ(o.parts[1].content_type, "text/plain");
        EXPECT_EQ(o.parts[1].body, "line1\r\nline2\r\r\n");
        EXPECT_EQ(o.parts[2].name, "");
        EXPECT_EQ(o.parts[2].body, "no headers");
    }
}

TEST(MultipartParser, FilenameStarAndEmptyBody) {
    std::string body =
        "--b\r\nContent-Disposition: form-data; name=f; filename=\"x\"; "
        "filename*=UTF-8''%E2%82%AC.txt\r\n\r\n\r\n--b--";
    Outcome o = run("b", body, 4);
    ASSERT_TRUE(o.done) << o.error;
    ASSERT_EQ(o.parts.size(), 1u);
    EXPECT_EQ(o.parts[0].filename, "\xE2\x82\xAC.txt");
    EXPECT_EQ(o.parts[0].body, "");
    EXPECT_TRUE(run("b", "--b--", 1).done);  // no parts at all
}

TEST(MultipartParser, Malformed) {
    EXPECT_FALSE(run("b", "--b\r\nno colon\r\n\r\nx\r\n--b--", 3).error.empty());
    EXPECT_FALSE(run("b", "--b\r\n folded: x\r\n\r\nx\r\n--b--", 3).error.empty());
    EXPECT_FALSE(run("b", "--bjunk\r\n\r\nx\r\n--b--", 3).error.empty());
    // Truncated: the parser just wants more; the reader turns that into a 400.
    Outcome t = run("b", "--b\r\n\r\nabc", 3);
    EXPECT_FALSE(t.done);
    EXPECT_TRUE(t.error.empty());
}

TEST(MultipartParser, Limits) {
    std::string big = "--b\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\nx\r\n--b--";
    EXPECT_EQ(run("b", big, 1000).error, "multipart: part headers too large");
    std::string many;
    for (int i = 0; i < 5; ++i) many += "--b\r\n\r\nx\r\n";
    many += "--b--";
    EXPECT_EQ(run("b", many, 7, {.max_header_bytes = 8192, .max_parts = 4}).error,
              "multipart: too many parts");
    EXPECT_TRUE(run("b", many, 7, {.max_header_bytes = 8192, .max_parts = 5}).done);
}

TEST(MultipartParser, LargeBodyStreamsWithBoundedBuffer) {
    std::string payload(1 << 20, 'z');
    for (std::size_t i = 0; i < payload.size(); i += 997) payload[i] = '\r';
    std::string body =
        "--bnd\r\nContent-Disposition: form-data; name=\"f\"; filename=\"z\"\r\n\r\n" + payload +
        "\r\n--bnd--\r\n";
    MultipartParser p("bnd");
    std::string buf;
    std::string got;
    std::size_t fed = 0, max_buf = 0;
    bool done = false;
    while (!done) {
        auto r = p.next(buf);
        if (r.event == Event::data) got.append(r.data);
        buf.erase(0, r.consumed);
        if (r.event == Event::done || r.event == Event::error) done = true;
        if (r.event == Event::need_more) {
            ASSERT_LT(fed, body.size());
            std::size_t n = std::min<std::size_t>(4096, body.size() - fed);
            buf.append(body, fed, n);
            fed += n;
        }
        max_buf = std::max(max_buf, buf.size());
    }
    EXPECT_EQ(got, payload);
    EXPECT_LE(max_buf, 4096u + 16u);
}
