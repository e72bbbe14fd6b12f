// Tests for RequestParser (src/http/parser.hpp): RFC 9112 request-head syntax, the framing and
// limit rules of docs/architecture.md, "HTTP rules and limits", incremental feeding and smuggling vectors.
#include "http/parser.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace gannet::http {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;
using Status = ParseResult::Status;

// Sentinel "statuses" for outcome(): complete and incomplete.
constexpr int kOk = 0;
constexpr int kMore = -1;

// Owns a copy of the input, so that the views in `head` outlive temporaries in the tests.
struct Parsed {
    std::shared_ptr<const std::string> input;
    ParseResult result;
    RequestHead head;
};

Parsed parse(std::string_view buffer, ParserLimits limits = {}) {
    Parsed p;
    p.input = std::make_shared<const std::string>(buffer);
    p.result = RequestParser(limits).parse(*p.input, p.head);
    return p;
}

// kOk, kMore or the error status.
int outcome(std::string_view buffer, ParserLimits limits = {}) {
    const ParseResult r = parse(buffer, limits).result;
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

// A minimal valid HTTP/1.1 request with extra field lines.
std::string req(std::string_view fields, std::string_view line = "GET / HTTP/1.1") {
    return std::string(line) + "\r\nHost: example.com\r\n" + std::string(fields) + "\r\n";
}

bool points_into(std::string_view part, std::string_view whole) {
    return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

// --- Valid requests ------------------------------------------------------------------------

TEST(RequestParser, SimpleGet) {
    const std::string in = "GET /index.html HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n";
    const Parsed p = parse(in);
    ASSERT_EQ(p.result.status, Status::complete) << p.result.reason;
    EXPECT_EQ(p.result.consumed, in.size());
    EXPECT_EQ(p.head.method, "GET");
    EXPECT_EQ(p.head.target, "/index.html");
    EXPECT_EQ(p.head.path, "/index.html");
    EXPECT_EQ(p.head.query, "");
    EXPECT_EQ(p.head.version_minor, 1);
    ASSERT_EQ(p.head.headers.size(), 2u);
    EXPECT_EQ(p.head.headers[0].name, "Host");
    EXPECT_EQ(p.head.headers[0].value, "example.com");
    EXPECT_EQ(p.head.headers[1].name, "Accept");
    EXPECT_EQ(p.head.headers[1].value, "*/*");
    EXPECT_EQ(p.head.host, "example.com");
    EXPECT_EQ(p.head.body_kind, BodyKind::none);
    EXPECT_TRUE(p.head.keep_alive);
    EXPECT_FALSE(p.head.expect_continue);
    EXPECT_FALSE(p.head.upgrade);
}

TEST(RequestParser, ViewsPointIntoBuffer) {
    const std::string in = req("X-A: 1\r\n", "POST /p?q=1 HTTP/1.1");
    const Parsed p = parse(in);
    ASSERT_EQ(p.result.status, Status::complete);
    for (std::string_view v :
         {p.head.method, p.head.target, p.head.path, p.head.query, p.head.host}) {
        EXPECT_TRUE(points_into(v, *p.input)) << v;
    }
    for (const Header& h : p.head.headers) {
        EXPECT_TRUE(points_into(h.name, *p.input));
        EXPECT_TRUE(points_into(h.value, *p.input));
    }
}

TEST(RequestParser, Http10WithoutHost) {
    const Parsed p = parse("GET / HTTP/1.0\r\n\r\n");
    ASSERT_EQ(p.result.status, Status::complete) << p.result.reason;
    EXPECT_EQ(p.head.version_minor, 0);
    EXPECT_EQ(p.head.host, "");
    EXPECT_FALSE(p.head.keep_alive);
    EXPECT_EQ(p.result.consumed, 18u);
}

TEST(RequestParser, QuerySplitsAtFirstQuestionMark) {
    Parsed p = parse(req("", "GET /a/b?x=1&y=?2 HTTP/1.1"));
    ASSERT_EQ(p.result.status, Status::complete);
    EXPECT_EQ(p.head.path, "/a/b");
    EXPECT_EQ(p.head.query, "x=1&y=?2");

    p = parse(req("", "GET /a? HTTP/1.1"));
    ASSERT_EQ(p.result.status, Status::complete);
    EXPECT_EQ(p.head.path, "/a");
    EXPECT_EQ(p.head.query, "");

    p = parse(req("", "GET //double//slash HTTP/1.1"));
    ASSERT_EQ(p.result.status, Status::complete);
    EXPECT_EQ(p.head.path, "//double//slash");
}

TEST(RequestParser, TargetAcceptsAllVisibleAscii) {
    const std::string in = req("", "GET /!$&'()*+,;=:@-._~%20\"<>[]\\^`{|}?a=/? HTTP/1.1");
    const Parsed p = parse(in);
    ASSERT_EQ(p.result.status, Status::complete) << p.result.reason;
    EXPECT_EQ(p.head.path, "/!$&'()*+,;=:@-._~%20\"<>[]\\^`{|}");
    EXPECT_EQ(p.head.query, "a=/?");
}

TEST(RequestParser, AnyTokenIsAMethod) {
    for (std::string_view m :
         {"GET", "HEAD", "POST", "PURGE", "M-SEARCH", "get", "X!#$%&'*+.^_`|~9"}) {
        const std::string in = req("", std::string(m) + " / HTTP/1.1");
        const Parsed p = parse(in);
        ASSERT_EQ(p.result.status, Status::complete) << m;
        EXPECT_EQ(p.head.method, m);
    }
}

TEST(RequestParser, AbsoluteForm) {
    Parsed p = parse(req("", "GET http://api.example.com:8080/v1/x?y=2 HTTP/1.1"));
    ASSERT_EQ(p.result.status, Status::complete) << p.result.reason;
    EXPECT_EQ(p.head.target, "http://api.example.com:8080/v1/x?y=2");
    EXPECT_EQ(p.head.path, "/v1/x");
    EXPECT_EQ(p.head.query, "y=2");
    // RFC 9112 3.2.2: the target's authority wins over the Host field.
    EXPECT_EQ(p.head.host, "api.example.com:8080");
    EXPECT_EQ(p.head.header("host"), "example.com");

    p = parse(req("", "GET HTTPS://h HTTP/1.1"));
    ASSERT_EQ(p.result.status, Status::complete);
    EXPECT_EQ(p.head.path, "/");
    EXPECT_EQ(p.head.query, "");
    EXPECT_EQ(p.head.host, "h");

    p = parse(req("", "GET http://h?q HTTP/1.1"));
    ASSERT_EQ(p.result.status, Status::complete);
    EXPECT_EQ(p.head.path, "/");
    EXPECT_EQ(p.head.query, "q");

    p = parse(req("", "GET http://[::1]:80/ HTTP/1.1"));
    ASSERT_EQ(p.result.status, Status::complete);
    EXPECT_EQ(p.head.host, "[::1]:80");

    // RFC 9112 3.2.4: OPTIONS to an absolute URI with an empty path means the server itself.
    p = parse(req("", "OPTIONS http://h:81 HTTP/1.1"));
    ASSERT_EQ(p.result.status, Status::complete);
    EXPECT_EQ(p.head.path, "*");
}

TEST(RequestParser, AbsoluteFormErrors) {
    EXPECT_EQ(outcome(req("", "GET ftp://h/ HTTP/1.1")), 400);
    EXPECT_EQ(outcome(req("", "GET http:/h/ HTTP/1.1")), 400);
    EXPECT_EQ(outcome(req("", "GET http:///x HTTP/1.1")), 400);
    EXPECT_EQ(outcome(req("", "GET http://user@h/ HTTP/1.1")), 400);  // userinfo
    EXPECT_EQ(outcome(req("", "GET http://h:8x/ HTTP/1.1")), 400);
    EXPECT_EQ(outcome(req("", "GET http://h\"/ HTTP/1.1")), 400);
    EXPECT_EQ(outcome(req("", "GET example.com/x HTTP/1.1")), 400);
    // The Host field is still required (RFC 9112 3.2).
    EXPECT_EQ(outcome("GET http://h/ HTTP/1.1\r\n\r\n"), 400);
}

TEST(RequestParser, AsteriskForm) {
    const Parsed p = parse(req("", "OPTIONS * HTTP/1.1"));
    ASSERT_EQ(p.result.status, Status::complete);
    EXPECT_EQ(p.head.path, "*");
    EXPECT_EQ(p.head.target, "*");
    EXPECT_EQ(outcome(req("", "GET * HTTP/1.1")), 400);
    EXPECT_EQ(outcome(req("", "OPTIONS *x HTTP/1.1")), 400);
    EXPECT_EQ(outcome(req("", "OPTIONS ** HTTP/1.1")), 400);
}

TEST(RequestParser, ConnectAuthorityForm) {
    Parsed p = parse(req("", "CONNECT example.com:443 HTTP/1.1"));
    ASSERT_EQ(p.result.status, Status::complete) << p.result.reason;
    EXPECT_EQ(p.head.path, "example.com:443");
    EXPECT_EQ(p.head.query, "");
    p = parse(req("", "CONNECT [2001:db8::1]:443 HTTP/1.1"));
    ASSERT_EQ(p.result.status, Status::complete) << p.result.reason;

    EXPECT_EQ(outcome(req("", "CONNECT example.com HTTP/1.1")), 400);  // port required
    EXPECT_EQ(outcome(req("", "CONNECT example.com: HTTP/1.1")), 400);
    EXPECT_EQ(outcome(req("", "CONNECT / HTTP/1.1")), 400);
    EXPECT_EQ(outcome(req("", "CONNECT http://h:1/ HTTP/1.1")), 400);
    EXPECT_EQ(outcome(req("", "CONNECT u@h:1 HTTP/1.1")), 400);
    EXPECT_EQ(outcome(req("", "GET example.com:443 HTTP/1.1")), 400);  // only CONNECT
}

// --- Request line errors -------------------------------------------------------------------

TEST(RequestParser, MethodErrors) {
    EXPECT_EQ(outcome(req("", " / HTTP/1.1")), 400);
    EXPECT_EQ(outcome(req("", "G(T / HTTP/1.1")), 400);
    EXPECT_EQ(outcome(req("", "GE\"T / HTTP/1.1")), 400);
    EXPECT_EQ(outcome(req("", "GET\t/ HTTP/1.1")), 400);
    EXPECT_EQ(outcome(req("", "G\x80T / HTTP/1.1")), 400);
    EXPECT_EQ(outcome(req("", "G\0T / HTTP/1.1"s)), 400);
    EXPECT_EQ(outcome("GET\r\n\r\n"), 400);
}

TEST(RequestParser, ExactlyOneSpaceBetweenParts) {
    EXPECT_EQ(outcome(req("", "GET  / HTTP/1.1")), 400);
    EXPECT_EQ(outcome(req("", "GET /  HTTP/1.1")), 400);
    EXPECT_EQ(outcome(req("", "GET / HTTP/1.1 ")), 400);
    EXPECT_EQ(outcome(req("", "GET / HTTP/1.1\t")), 400);
    EXPECT_EQ(outcome(req("", "GET /\tHTTP/1.1")), 400);
    EXPECT_EQ(outcome(req("", "GET / x HTTP/1.1")), 400);
}

TEST(RequestParser, TargetCharacters) {
    EXPECT_EQ(outcome(req("", "GET /a\x7f HTTP/1.1")), 400);
    EXPECT_EQ(outcome(req("", "GET /\xc3\xa9 HTTP/1.1")), 400);
    EXPECT_EQ(outcome(req("", "GET /a\x01 HTTP/1.1")), 400);
    EXPECT_EQ(outcome(req("", "GET /a\0b HTTP/1.1"s)), 400);
    EXPECT_EQ(outcome(req("", "GET /a#frag HTTP/1.1")), 400);
    EXPECT_EQ(outcome(req("", "GET /a?b#frag HTTP/1.1")), 400);
    EXPECT_EQ(outcome(req("", "GET a HTTP/1.1")), 400);  // no known form
    // Bad bytes at every offset of a long target (exercises the 8-byte scan).
    for (std::size_t len = 1; len < 40; ++len) {
        for (std::size_t at = 1; at < len; ++at) {
            for (char bad : {'\x7f', '\x80', '\xff', '#', '\t', '\x1f'}) {
                std::string t(len, 'a');
                t[0] = '/';
                t[at] = bad;
                ASSERT_EQ(outcome(req("", "GET " + t + " HTTP/1.1")), 400) << len << " " << at;
            }
        }
        std::string t(len, 'z');
        t[0] = '/';
        ASSERT_EQ(outcome(req("", "GET " + t + " HTTP/1.1")), kOk) << len;
    }
}

TEST(RequestParser, Http09AndMissingParts) {
    EXPECT_EQ(outcome("GET /\r\n\r\n"), 400);
    EXPECT_EQ(outcome("GET /\r\n"), 400);
    EXPECT_EQ(outcome("GET \r\n\r\n"), 400);
    EXPECT_EQ(outcome("GET / \r\n\r\n"), 400);
    EXPECT_EQ(outcome("GET\r\n"), 400);
    EXPECT_EQ(outcome("\r\n\r\n"), kMore);
}

struct VersionCase {
    std::string_view version;
    int expected;
};

TEST(RequestParser, Versions) {
    const VersionCase cases[] = {
        {"HTTP/1.1", kOk},  {"HTTP/1.0", kOk}, {"HTTP/2.0", 505},  {"HTTP/3.0", 505},
        {"HTTP/1.2", kOk},  {"HTTP/1.9", kOk}, {"HTTP/0.9", 505},  {"HTTP/9.9", 505},
        {"HTTP/2.1", 505},  {"HTTP/0.0", 505}, {"http/1.1", 400},  {"HTTP/1", 400},
        {"HTTP/1.10", 400}, {"HTTP/11", 400},  {"HTTP/1.", 400},   {"HTTP/1.x", 400},
        {"HTTP/a.1", 400},  {"HTTP 1.1", 400}, {"HTTPS/1.1", 400}, {"HTTP/1,1", 400},
        {"HTTP/01.1", 400}, {"Http/1.1", 400}, {"HTTP/2", 400},    {"", 400},
        {"HTTP/1.1x", 400}, {"HTTP/+.1", 400},
    };
    for (const VersionCase& c : cases) {
        const std::string in = "GET / " + std::string(c.version) + "\r\nHost: h\r\n\r\n";
        EXPECT_EQ(outcome(in), c.expected) << c.version;
    }
    // An HTTP/2 preface sent to an HTTP/1 server: 505, not "asterisk needs OPTIONS".
    EXPECT_EQ(outcome("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 505);
}

// RFC 9110 2.5: a higher minor version is processed as the highest one implemented, HTTP/1.1,
// with all of its rules (Host required, keep-alive by default, Transfer-Encoding, Expect).
TEST(RequestParser, HigherMinorVersionIsHttp11) {
    for (std::string_view v : {"HTTP/1.2", "HTTP/1.9"}) {
        const std::string line = "POST / " + std::string(v);
        const Parsed p = parse(req("Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n", line));
        ASSERT_EQ(p.result.status, Status::complete) << v << ": " << p.result.reason;
        EXPECT_EQ(p.head.version_minor, 1) << v;
        EXPECT_TRUE(p.head.keep_alive) << v;
        EXPECT_TRUE(p.head.expect_continue) << v;
        EXPECT_EQ(p.head.body_kind, BodyKind::chunked) << v;
        EXPECT_EQ(outcome("GET / " + std::string(v) + "\r\n\r\n"), 400) << v;  // no Host
    }
    // Fed a byte at a time: the slow path of the version check agrees.
    const std::string in = req("", "GET / HTTP/1.2");
    for (std::size_t n = 1; n < in.size(); ++n) {
        EXPECT_EQ(outcome(in.substr(0, n)), kMore) << n;
    }
}

// --- Line endings --------------------------------------------------------------------------

TEST(RequestParser, BareLfIsRejected) {
    // RFC 9112 2.2 lets a recipient accept a bare LF as a line terminator; we never do.
    EXPECT_EQ(outcome("GET / HTTP/1.1\nHost: h\r\n\r\n"), 400);
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\nHost: h\n\r\n"), 400);
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\nHost: h\r\n\n"), 400);
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\nHost: h\r\nX: a\nY: b\r\n\r\n"), 400);
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\nHost: h\r\n\nX: y\r\n\r\n"), 400);
    EXPECT_EQ(outcome("GET / HTTP/1.1\n\n"), 400);
    EXPECT_EQ(outcome("\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
    // Detected before the head is complete.
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\nHost: h\nX"), 400);
}

TEST(RequestParser, BareCrIsRejected) {
    EXPECT_EQ(outcome("GET / HTTP/1.1\rHost: h\r\n\r\n"), 400);
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\nHost: h\r\r\n\r\n"), 400);
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n"), 400);
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\nHost: h\r\n\rX: y\r\n\r\n"), 400);
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\nHost: h\r\n\r\r\n\r\n"), 400);
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\nX\r: y\r\nHost: h\r\n\r\n"), 400);
    EXPECT_EQ(outcome("GET /\r HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
    EXPECT_EQ(outcome("\rGET / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
}

TEST(RequestParser, LeadingEmptyLines) {
    const std::string base = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
    for (int k = 0; k <= 4; ++k) {
        std::string in;
        for (int i = 0; i < k; ++i) in += "\r\n";
        in += base;
        const Parsed p = parse(in);
        ASSERT_EQ(p.result.status, Status::complete) << k;
        EXPECT_EQ(p.result.consumed, in.size());
        EXPECT_EQ(p.head.method, "GET");
    }
    EXPECT_EQ(outcome("\r\n\r\n\r\n\r\n\r\n" + base), 400);
    EXPECT_EQ(outcome("\r\n\r\n\r\n\r\n\r\n"), 400);
    EXPECT_EQ(outcome("\r\n\r\n\r\n\r\n\r"), kMore);
    EXPECT_EQ(outcome("\r"), kMore);
    EXPECT_EQ(outcome("\r\n"), kMore);
    // They count toward the head limit.
    ParserLimits limits;
    limits.max_header_bytes = base.size() + 1;
    EXPECT_EQ(outcome("\r\n" + base, limits), 431);
    EXPECT_EQ(outcome("\r" + base, limits), 400);
}

// --- Field lines ---------------------------------------------------------------------------

TEST(RequestParser, FieldValueTrimmingAndContent) {
    const std::string in =
        req("A:  x  \r\n"
            "B:\tx y\t\r\n"
            "C:\r\n"
            "D:    \r\n"
            "E: \xff\x80 obs-text\r\n"
            "F:a\t\tb\r\n"
            "G: \"quoted, list\" , x\r\n");
    const Parsed p = parse(in);
    ASSERT_EQ(p.result.status, Status::complete) << p.result.reason;
    EXPECT_EQ(p.head.header("A"), "x");
    EXPECT_EQ(p.head.header("B"), "x y");
    EXPECT_EQ(p.head.header("C"), "");
    EXPECT_EQ(p.head.header("D"), "");
    EXPECT_EQ(p.head.header("E"), "\xff\x80 obs-text");
    EXPECT_EQ(p.head.header("F"), "a\t\tb");
    EXPECT_EQ(p.head.header("G"), "\"quoted, list\" , x");
    EXPECT_EQ(p.head.headers.size(), 8u);
}

TEST(RequestParser, HeaderLookupIsCaseInsensitiveAndFirstWins) {
    const Parsed p = parse(req("X-Thing: 1\r\nx-thing: 2\r\n"));
    ASSERT_EQ(p.result.status, Status::complete);
    EXPECT_EQ(p.head.header("X-THING"), "1");
    EXPECT_EQ(p.head.header("missing"), "");
}

TEST(RequestParser, FieldLineErrors) {
    EXPECT_EQ(outcome(req("X: a\r\n b\r\n")), 400);                 // obs-fold
    EXPECT_EQ(outcome(req("X: a\r\n\tb\r\n")), 400);                // obs-fold with HTAB
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\n Host: h\r\n\r\n"), 400);  // whitespace after start line
    EXPECT_EQ(outcome(req("X : a\r\n")), 400);                      // whitespace before colon
    EXPECT_EQ(outcome(req("X\t: a\r\n")), 400);
    EXPECT_EQ(outcome(req("X a\r\n")), 400);  // no colon
    EXPECT_EQ(outcome(req("Xa\r\n")), 400);
    EXPECT_EQ(outcome(req(": a\r\n")), 400);  // empty name
    EXPECT_EQ(outcome(req("X(: a\r\n")), 400);
    EXPECT_EQ(outcome(req("X\x80: a\r\n")), 400);
    EXPECT_EQ(outcome(req("X/Y: a\r\n")), 400);
    EXPECT_EQ(outcome(req("X: a\0b\r\n"s)), 400);
    EXPECT_EQ(outcome(req("X: a\x7f\r\n")), 400);
    EXPECT_EQ(outcome(req("X: a\x01\r\n")), 400);
    EXPECT_EQ(outcome(req("X: a\x1b[0m\r\n")), 400);
    EXPECT_EQ(outcome(req("X: \x0b"
                          "a\r\n")),
              400);
    EXPECT_EQ(outcome(req("X: \x0c"
                          "a\r\n")),
              400);
}

TEST(RequestParser, FieldValueCharactersAtEveryOffset) {
    // Exercises the 8-byte value scan on both sides of each word boundary.
    for (std::size_t len = 1; len < 40; ++len) {
        for (std::size_t at = 0; at < len; ++at) {
            for (char bad : {'\0', '\x01', '\n', '\r', '\x1f', '\x7f'}) {
                std::string v(len, 'v');
                v[at] = bad;
                ASSERT_EQ(outcome(req("X: " + v + "\r\n")), 400) << len << " " << at << int(bad);
            }
            for (char good : {'\t', ' ', '\x80', '\xff', '~', '!'}) {
                std::string v(len, 'v');
                v[at] = good;
                v.back() = 'v';
                const std::string in = req("X: " + v + "\r\n");
                const Parsed p = parse(in);
                ASSERT_EQ(p.result.status, Status::complete) << len << " " << at;
                std::string_view expect = v;
                while (!expect.empty() && (expect[0] == ' ' || expect[0] == '\t')) {
                    expect.remove_prefix(1);
                }
                ASSERT_EQ(p.head.header("x"), expect);
            }
        }
    }
}

// --- Limits --------------------------------------------------------------------------------

TEST(RequestParser, MaxHeaders) {
    ParserLimits limits;
    limits.max_headers = 5;
    std::string fields;
    for (int i = 0; i < 4; ++i) fields += "X-" + std::to_string(i) + ": v\r\n";
    EXPECT_EQ(outcome(req(fields), limits), kOk);  // Host + 4
    EXPECT_EQ(outcome(req(fields + "Y: z\r\n"), limits), 431);
}

TEST(RequestParser, MaxHeaderBytes) {
    const std::string in = req("X-Pad: " + std::string(100, 'p') + "\r\n");
    ParserLimits limits;
    limits.max_header_bytes = in.size();
    EXPECT_EQ(outcome(in, limits), kOk);
    // The bytes after the head are not part of it.
    EXPECT_EQ(outcome(in + "BODY", limits), kOk);
    limits.max_header_bytes = in.size() - 1;
    EXPECT_EQ(outcome(in, limits), 431);
    EXPECT_EQ(outcome(in + "BODY", limits), 431);
    // Incomplete, and already too long: detected without waiting for the end.
    EXPECT_EQ(outcome(in.substr(0, in.size() - 2), limits), kMore);
    EXPECT_EQ(outcome(in.substr(0, in.size() - 1), limits), 431);
    EXPECT_EQ(outcome(std::string(20000, 'A')), 431);
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\nX: " + std::string(20000, 'a')), 431);
}

TEST(RequestParser, TargetLimit) {
    ParserLimits limits;
    limits.max_target = 100;
    const std::string ok = "/" + std::string(99, 'a');
    const std::string over = "/" + std::string(100, 'a');
    EXPECT_EQ(outcome(req("", "GET " + ok + " HTTP/1.1"), limits), kOk);
    EXPECT_EQ(outcome(req("", "GET " + over + " HTTP/1.1"), limits), 414);
    // Early: the request line is not complete yet.
    EXPECT_EQ(outcome("GET " + ok, limits), kMore);
    EXPECT_EQ(outcome("GET " + over, limits), 414);
    // 414 wins over 431 while still in the request line.
    limits.max_header_bytes = 50;
    EXPECT_EQ(outcome("GET " + over, limits), 414);
    EXPECT_EQ(outcome("GET /" + std::string(60, 'a'), limits), 431);
    // The default limits: 8 KiB target.
    EXPECT_EQ(outcome("GET /" + std::string(std::size_t{8} * 1024, 'a')), 414);
    EXPECT_EQ(outcome(req("", "GET /" + std::string(std::size_t{8} * 1024 - 1, 'a') + " HTTP/1.1")),
              kOk);
}

// --- Host ----------------------------------------------------------------------------------

TEST(RequestParser, Host) {
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\n\r\n"), 400);
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"), 400);
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n"), 400);
    EXPECT_EQ(outcome("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), 400);
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), 400);
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\nHost: u@a\r\n\r\n"), 400);
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\nHost: a\"b\r\n\r\n"), 400);
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\nHost: a:b\r\n\r\n"), 400);
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\nHost: a:1:2\r\n\r\n"), 400);
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\nHost: :80\r\n\r\n"), 400);
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n"), 400);
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\nHost: a]\r\n\r\n"), 400);
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\nHost: \xc3\xa9\r\n\r\n"), 400);
    for (std::string_view h : {"example.com", "example.com:8080", "EXAMPLE.com.", "127.0.0.1:1",
                               "[::1]", "[::1]:443", "a-b_c~d!$&'()*+,;=%41", "h:"}) {
        const std::string in = "GET / HTTP/1.1\r\nHost:  " + std::string(h) + " \r\n\r\n";
        const Parsed p = parse(in);
        ASSERT_EQ(p.result.status, Status::complete) << h << ": " << p.result.reason;
        EXPECT_EQ(p.head.host, h);
    }
    const Parsed p = parse("GET / HTTP/1.0\r\nHost: x\r\n\r\n");
    EXPECT_EQ(p.head.host, "x");
}

// RFC 9110 7.2: Host = uri-host [ ":" port ], and uri-host may be an empty reg-name.
TEST(RequestParser, EmptyHostIsValid) {
    for (std::string_view in :
         {"GET / HTTP/1.1\r\nHost:\r\n\r\n", "GET / HTTP/1.1\r\nHost: \r\n\r\n",
          "GET / HTTP/1.1\r\nHost: \t \r\n\r\n", "GET / HTTP/1.0\r\nHost:\r\n\r\n"}) {
        const Parsed p = parse(in);
        ASSERT_EQ(p.result.status, Status::complete) << in << ": " << p.result.reason;
        EXPECT_EQ(p.head.host, "");
        EXPECT_EQ(p.head.header("Host"), "");
    }
    // Empty still counts as present: a second Host field is a repeat.
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\nHost:\r\nHost:\r\n\r\n"), 400);
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\nHost:\r\nHost: a\r\n\r\n"), 400);
    // A port without a host is not an empty host.
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\nHost: :80\r\n\r\n"), 400);
}

// RFC 9112 3.2.2: with an absolute-form target the Host value is ignored (the target's authority
// is used), but RFC 9112 3.2 still requires one, well-formed, Host field.
TEST(RequestParser, AbsoluteFormIgnoresHostValue) {
    for (std::string_view host : {"", "other.example", "other.example:81"}) {
        const std::string in =
            "GET http://api.example.com/x HTTP/1.1\r\nHost: " + std::string(host) + "\r\n\r\n";
        const Parsed p = parse(in);
        ASSERT_EQ(p.result.status, Status::complete) << host << ": " << p.result.reason;
        EXPECT_EQ(p.head.host, "api.example.com") << host;
        EXPECT_EQ(p.head.path, "/x");
    }
    EXPECT_EQ(outcome("GET http://h/ HTTP/1.1\r\n\r\n"), 400);                        // missing
    EXPECT_EQ(outcome("GET http://h/ HTTP/1.1\r\nHost: h\r\nHost: h\r\n\r\n"), 400);  // repeated
    EXPECT_EQ(outcome("GET http://h/ HTTP/1.1\r\nHost: a b\r\n\r\n"), 400);           // malformed
    // HTTP/1.0 needs no Host, absolute-form or not.
    const Parsed p = parse("GET http://h:8/ HTTP/1.0\r\n\r\n");
    ASSERT_EQ(p.result.status, Status::complete) << p.result.reason;
    EXPECT_EQ(p.head.host, "h:8");
}

// --- Body framing --------------------------------------------------------------------------

TEST(RequestParser, ContentLength) {
    Parsed p = parse(req("Content-Length: 42\r\n", "POST / HTTP/1.1"));
    ASSERT_EQ(p.result.status, Status::complete);
    EXPECT_EQ(p.head.body_kind, BodyKind::length);
    EXPECT_EQ(p.head.content_length, 42u);

    p = parse(req("content-length:   7  \r\n", "POST / HTTP/1.1"));  // OWS around is fine
    ASSERT_EQ(p.result.status, Status::complete);
    EXPECT_EQ(p.head.content_length, 7u);

    p = parse(req("Content-Length: 0007\r\n", "POST / HTTP/1.1"));
    ASSERT_EQ(p.result.status, Status::complete);
    EXPECT_EQ(p.head.content_length, 7u);

    // Zero means nothing to read: reported as BodyKind::none.
    p = parse(req("Content-Length: 0\r\n", "POST / HTTP/1.1"));
    ASSERT_EQ(p.result.status, Status::complete);
    EXPECT_EQ(p.head.body_kind, BodyKind::none);
    EXPECT_EQ(p.head.content_length, 0u);

    p = parse(req("Content-Length: 18446744073709551615\r\n", "POST / HTTP/1.1"));
    ASSERT_EQ(p.result.status, Status::complete);
    EXPECT_EQ(p.head.content_length, UINT64_MAX);

    p = parse(req("Content-Length: 5\r\n", "POST / HTTP/1.0"));
    ASSERT_EQ(p.result.status, Status::complete);
    EXPECT_EQ(p.head.body_kind, BodyKind::length);
}

TEST(RequestParser, ContentLengthErrors) {
    for (std::string_view v :
         {"", "+5", "-5", "5 5", "5,5", "5, 5", "5,", ",5", "0x5", "5a", "a", "5.0", "1e3",
          "18446744073709551616", "99999999999999999999999", "\"5\"", "5\x0b"}) {
        EXPECT_EQ(outcome(req("Content-Length: " + std::string(v) + "\r\n")), 400) << v;
    }
    // Repeated, even with the same value (stricter than RFC 9110 8.6, like Go).
    EXPECT_EQ(outcome(req("Content-Length: 5\r\nContent-Length: 5\r\n")), 400);
    EXPECT_EQ(outcome(req("Content-Length: 5\r\nContent-Length: 6\r\n")), 400);
}

TEST(RequestParser, TransferEncodingChunked) {
    for (std::string_view v : {"chunked", "CHUNKED", "Chunked", " chunked "}) {
        const Parsed p =
            parse(req("Transfer-Encoding: " + std::string(v) + "\r\n", "POST / HTTP/1.1"));
        ASSERT_EQ(p.result.status, Status::complete) << v;
        EXPECT_EQ(p.head.body_kind, BodyKind::chunked);
    }
}

struct FramingCase {
    std::string_view fields;
    int expected;
};

TEST(RequestParser, TransferEncodingErrors) {
    const FramingCase cases[] = {
        {"Transfer-Encoding: gzip, chunked\r\n", 501},
        {"Transfer-Encoding: deflate,chunked\r\n", 501},
        {"Transfer-Encoding: identity, chunked\r\n", 501},
        {"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", 501},
        {"Transfer-Encoding: chunked, gzip\r\n", 400},
        {"Transfer-Encoding: gzip\r\n", 400},
        {"Transfer-Encoding: identity\r\n", 400},
        {"Transfer-Encoding: chunked, identity\r\n", 400},
        {"Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n", 400},
        {"Transfer-Encoding: chunked, chunked\r\n", 400},
        {"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", 400},
        {"Transfer-Encoding: chunked,\r\n", 400},
        {"Transfer-Encoding: ,chunked\r\n", 400},
        {"Transfer-Encoding: chunked\r\nTransfer-Encoding:\r\n", 400},
        {"Transfer-Encoding:\r\n", 400},
        {"Transfer-Encoding: \r\n", 400},
        {"Transfer-Encoding: chunked;q=1\r\n", 400},
        {"Transfer-Encoding: chunkedx\r\n", 400},
        {"Transfer-Encoding: \"chunked\"\r\n", 400},
        {"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", 400},
        {"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", 400},
        {"Content-Length: 5\r\nTransfer-Encoding: gzip, chunked\r\n", 400},
    };
    for (const FramingCase& c : cases) {
        EXPECT_EQ(outcome(req(c.fields, "POST / HTTP/1.1")), c.expected) << c.fields;
    }
    // RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 is faulty framing.
    EXPECT_EQ(outcome("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
}

TEST(RequestParser, SmugglingVectors) {
    // Each must be refused; none may be read as a body of some length.
    const FramingCase cases[] = {
        {"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", 400},
        {"Transfer-Encoding: chunked\r\nContent-Length: 0\r\n", 400},
        {"Transfer-Encoding: chunked, identity\r\n", 400},
        {"Transfer-Encoding : chunked\r\n", 400},
        {"Transfer-Encoding\t: chunked\r\n", 400},
        {" Transfer-Encoding: chunked\r\n", 400},
        {"Transfer-Encoding:\x0b"
         "chunked\r\n",
         400},
        {"Transfer-Encoding: \x0b"
         "chunked\r\n",
         400},
        {"Transfer-Encoding: chunked\x0b\r\n", 400},
        {"Transfer-Encoding: \x0c"
         "chunked\r\n",
         400},
        {"Transfer-Encoding: \0chunked\r\n"sv, 400},
        {"Transfer-Encoding:\r\n chunked\r\n", 400},  // obs-fold
        {"Transfer-Encoding: x\r\n chunked\r\n", 400},
        {"X: y\r\n Transfer-Encoding: chunked\r\n", 400},
        {"Transfer-Encoding: chunked\rX: y\r\n", 400},  // bare CR
        {"Transfer-Encoding: xchunked\r\n", 400},
        {"Transfer-Encoding: chunk\r\n", 400},
        {"Transfer-Encoding: chunked\nX: y\r\n", 400},
        {"Content-Length: +5\r\n", 400},
        {"Content-Length: -0\r\n", 400},
        {"Content-Length: 5 5\r\n", 400},
        {"Content-Length: 5, 5\r\n", 400},
        {"Content-Length: 5\r\nContent-Length: 5\r\n", 400},
        {"Content-Length :5\r\n", 400},
        {"Content-Length:\x0b"
         "5\r\n",
         400},
        {" Content-Length: 5\r\n", 400},
        {"Content-Length: 5\r\n Content-Length: 6\r\n", 400},
        {"Content-Length: 0x5\r\n", 400},
        {"Content-Length: 5\0\r\n"sv, 400},
        {"Content-Length: 1_0\r\n", 400},
        {"Content-Length: \r\n", 400},
        {"Content-Length: 5\rContent-Length: 6\r\n", 400},
        {"Host: evil\r\n", 400},
    };
    for (const FramingCase& c : cases) {
        EXPECT_EQ(outcome(req(c.fields, "POST / HTTP/1.1")), c.expected) << c.fields;
    }
    // Look-alike names are other fields, not framing: no body.
    for (std::string_view f : {"Transfer_Encoding: chunked\r\n", "Content_Length: 5\r\n",
                               "Transfer-Encodings: chunked\r\n", "XContent-Length: 5\r\n"}) {
        const Parsed p = parse(req(f, "POST / HTTP/1.1"));
        ASSERT_EQ(p.result.status, Status::complete) << f;
        EXPECT_EQ(p.head.body_kind, BodyKind::none) << f;
    }
}

// --- Connection, Upgrade, Expect -----------------------------------------------------------

TEST(RequestParser, KeepAlive) {
    EXPECT_TRUE(parse(req("")).head.keep_alive);
    EXPECT_FALSE(parse(req("Connection: close\r\n")).head.keep_alive);
    EXPECT_FALSE(parse(req("Connection: CLOSE\r\n")).head.keep_alive);
    EXPECT_FALSE(parse(req("Connection: keep-alive, close\r\n")).head.keep_alive);
    EXPECT_FALSE(parse(req("Connection: foo\r\nConnection: close\r\n")).head.keep_alive);
    EXPECT_TRUE(parse(req("Connection: closed\r\n")).head.keep_alive);
    EXPECT_FALSE(parse("GET / HTTP/1.0\r\n\r\n").head.keep_alive);
    EXPECT_TRUE(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").head.keep_alive);
    EXPECT_FALSE(parse("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n").head.keep_alive);
}

TEST(RequestParser, Upgrade) {
    Parsed p = parse(req("Connection: Upgrade\r\nUpgrade: websocket\r\n"));
    ASSERT_EQ(p.result.status, Status::complete);
    EXPECT_TRUE(p.head.upgrade);
    EXPECT_TRUE(p.head.keep_alive);
    EXPECT_TRUE(parse(req("Upgrade: h2c\r\nConnection: keep-alive, upgrade\r\n")).head.upgrade);
    EXPECT_FALSE(parse(req("Connection: upgrade\r\n")).head.upgrade);
    EXPECT_FALSE(parse(req("Upgrade: websocket\r\n")).head.upgrade);
    EXPECT_FALSE(parse(req("Connection: upgrade\r\nUpgrade:\r\n")).head.upgrade);
    // RFC 9110 7.8: ignored in HTTP/1.0.
    EXPECT_FALSE(
        parse("GET / HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n").head.upgrade);
}

TEST(RequestParser, Expect) {
    Parsed p = parse(req("Expect: 100-continue\r\nContent-Length: 10\r\n", "PUT / HTTP/1.1"));
    ASSERT_EQ(p.result.status, Status::complete);
    EXPECT_TRUE(p.head.expect_continue);
    EXPECT_TRUE(parse(req("Expect: 100-Continue\r\n")).head.expect_continue);
    EXPECT_EQ(outcome(req("Expect: 100-continue, foo\r\n")), 417);
    EXPECT_EQ(outcome(req("Expect: 200-ok\r\n")), 417);
    EXPECT_EQ(outcome(req("Expect:\r\n")), 417);
    EXPECT_EQ(outcome(req("Expect: 100-continue\r\nExpect: x\r\n")), 417);
    // HTTP/1.0 ignores Expect.
    p = parse("PUT / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n");
    ASSERT_EQ(p.result.status, Status::complete);
    EXPECT_FALSE(p.head.expect_continue);
    EXPECT_EQ(outcome("PUT / HTTP/1.0\r\nExpect: other\r\n\r\n"), kOk);
}

TEST(RequestParser, ErrorPrecedence) {
    // Framing (400) before unsupported coding (501) before expectation (417).
    EXPECT_EQ(outcome(req("Expect: x\r\nTransfer-Encoding: gzip, chunked\r\n")), 501);
    EXPECT_EQ(outcome(req("Expect: x\r\nTransfer-Encoding: gzip\r\n")), 400);
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\nExpect: x\r\n\r\n"), 400);
}

// --- Buffering -----------------------------------------------------------------------------

TEST(RequestParser, PipelinedRequests) {
    const std::string first = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n";
    const std::string second = "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n";
    const std::string all = first + second + "abc" + first;
    RequestParser parser;
    RequestHead head;
    ParseResult r = parser.parse(all, head);
    ASSERT_EQ(r.status, Status::complete);
    EXPECT_EQ(r.consumed, first.size());
    EXPECT_EQ(head.path, "/a");

    std::string_view rest = std::string_view(all).substr(r.consumed);
    r = parser.parse(rest, head);
    ASSERT_EQ(r.status, Status::complete);
    EXPECT_EQ(r.consumed, second.size());
    EXPECT_EQ(head.path, "/b");
    EXPECT_EQ(head.content_length, 3u);

    rest = rest.substr(r.consumed + 3);
    r = parser.parse(rest, head);
    ASSERT_EQ(r.status, Status::complete);
    EXPECT_EQ(r.consumed, first.size());
    EXPECT_EQ(head.path, "/a");
    EXPECT_EQ(head.body_kind, BodyKind::none);
}

TEST(RequestParser, BodyBytesAreNotConsumed) {
    const std::string head = req("Content-Length: 4\r\n", "POST / HTTP/1.1");
    // The body starts with CRLFs that could be mistaken for the end of the head.
    const Parsed p = parse(head + "\r\n\r\n");
    ASSERT_EQ(p.result.status, Status::complete);
    EXPECT_EQ(p.result.consumed, head.size());
}

void expect_same_head(const RequestHead& a, const RequestHead& b) {
    EXPECT_EQ(a.method, b.method);
    EXPECT_EQ(a.target, b.target);
    EXPECT_EQ(a.path, b.path);
    EXPECT_EQ(a.query, b.query);
    EXPECT_EQ(a.version_minor, b.version_minor);
    EXPECT_EQ(a.body_kind, b.body_kind);
    EXPECT_EQ(a.content_length, b.content_length);
    EXPECT_EQ(a.keep_alive, b.keep_alive);
    EXPECT_EQ(a.expect_continue, b.expect_continue);
    EXPECT_EQ(a.upgrade, b.upgrade);
    EXPECT_EQ(a.host, b.host);
    ASSERT_EQ(a.headers.size(), b.headers.size());
    for (std::size_t i = 0; i < a.headers.size(); ++i) {
        EXPECT_EQ(a.headers[i].name, b.headers[i].name);
        EXPECT_EQ(a.headers[i].value, b.headers[i].value);
    }
}

const std::string kValidRequests[] = {
    "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
    "GET / HTTP/1.0\r\n\r\n",
    "\r\n\r\nGET /x?y HTTP/1.1\r\nHost: h\r\n\r\n",
    ("POST /upload?id=7 HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: curl/8.0\r\n"
     "Accept: */*\r\nContent-Type: application/json\r\nContent-Length: 1234\r\n"
     "Expect: 100-continue\r\n\r\n"),
    "PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
    ("GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"),
    "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
    "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n",
    "GET http://h/p HTTP/1.1\r\nHost: h\r\nEmpty:\r\nTabs:\t a\tb \t\r\n\r\n",
};

TEST(RequestParser, ByteByByteFeeding) {
    RequestParser parser;
    for (const std::string& in : kValidRequests) {
        RequestHead whole;
        const ParseResult full = parser.parse(in, whole);
        ASSERT_EQ(full.status, Status::complete) << in << full.reason;
        ASSERT_EQ(full.consumed, in.size());
        RequestHead head;
        for (std::size_t len = 0; len < in.size(); ++len) {
            const ParseResult r = parser.parse(std::string_view(in).substr(0, len), head);
            ASSERT_EQ(r.status, Status::incomplete) << in << " at " << len << ": " << r.reason;
        }
        // Parsing a copy in another buffer yields the same values.
        const std::string copy = in;
        const ParseResult again = parser.parse(copy, head);
        ASSERT_EQ(again.status, Status::complete);
        EXPECT_EQ(again.consumed, full.consumed);
        expect_same_head(head, whole);
    }
}

TEST(RequestParser, EarlyErrorsOnIncompleteHead) {
    EXPECT_EQ(outcome("G(", {}), 400);
    EXPECT_EQ(outcome("GET  ", {}), 400);
    EXPECT_EQ(outcome("GET /\x01", {}), 400);
    EXPECT_EQ(outcome("GET / http", {}), 400);
    EXPECT_EQ(outcome("GET / HTTP/1.1 ", {}), 400);
    EXPECT_EQ(outcome("GET / HTTP/2.0\r", {}), kMore);
    EXPECT_EQ(outcome("GET / HTTP/2.0\r\n", {}), 505);
    EXPECT_EQ(outcome("GET / HTTP/1.1\r\nHost: h\r\n", {}), kMore);
}

// A prefix of a valid head is never an error, and a parse is never affected by what follows
// the head. Checked on random mutations of valid requests (fixed seed).
TEST(RequestParser, PrefixesOfMutatedRequests) {
    std::mt19937 rng(12345);
    const char alphabet[] = {'\r', '\n', ' ',    '\t',   ':', ',', '/', '?', '#', 'a', 'Z',
                             '0',  '\0', '\x7f', '\x80', 'H', 'T', 'P', '1', '.', ';'};
    RequestParser parser;
    RequestHead head;
    int complete = 0;
    for (int iter = 0; iter < 3000; ++iter) {
        std::string in = kValidRequests[rng() % std::size(kValidRequests)];
        const int edits = 1 + static_cast<int>(rng() % 3);
        for (int e = 0; e < edits; ++e) {
            const std::size_t at = rng() % in.size();
            const char c = alphabet[rng() % sizeof alphabet];
            switch (rng() % 3) {
                case 0:
                    in[at] = c;
                    break;
                case 1:
                    in.insert(in.begin() + static_cast<std::ptrdiff_t>(at), c);
                    break;
                default:
                    in.erase(at, 1);
                    break;
            }
        }
        const ParseResult full = parser.parse(in, head);
        if (full.status == Status::error) {
            ASSERT_NE(full.error_status, 0);
            ASSERT_FALSE(full.reason.empty());
            continue;
        }
        if (full.status != Status::complete) continue;
        ++complete;
        for (std::size_t len = 0; len < full.consumed; ++len) {
            const ParseResult r = parser.parse(std::string_view(in).substr(0, len), head);
            ASSERT_EQ(r.status, Status::incomplete)
                << testing::PrintToString(in) << " at " << len << ": " << r.reason;
        }
        const ParseResult cut = parser.parse(std::string_view(in).substr(0, full.consumed), head);
        ASSERT_EQ(cut.status, Status::complete) << testing::PrintToString(in);
        ASSERT_EQ(cut.consumed, full.consumed);
    }
    EXPECT_GT(complete, 100);
}

TEST(RequestParser, HeadersKeepCapacity) {
    const std::string in = req("A: 1\r\nB: 2\r\nC: 3\r\n");
    RequestParser parser;
    RequestHead head;
    ASSERT_EQ(parser.parse(in, head).status, Status::complete);
    const Header* data = head.headers.data();
    const std::size_t capacity = head.headers.capacity();
    ASSERT_EQ(parser.parse(in, head).status, Status::complete);
    EXPECT_EQ(head.headers.data(), data);
    EXPECT_EQ(head.headers.capacity(), capacity);
    EXPECT_EQ(head.headers.size(), 4u);
}

TEST(RequestParser, ClearsOutputFirst) {
    RequestParser parser;
    RequestHead head;
    ASSERT_EQ(parser.parse(req("Connection: close\r\nContent-Length: 3\r\n"), head).status,
              Status::complete);
    EXPECT_EQ(parser.parse("GET / HTT", head).status, Status::incomplete);
    EXPECT_TRUE(head.keep_alive);
    EXPECT_EQ(head.body_kind, BodyKind::none);
    EXPECT_TRUE(head.headers.empty());
}

}  // namespace
}  // namespace gannet::http
