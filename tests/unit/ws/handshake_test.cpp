#include "ws/handshake.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gannet::ws {
namespace {

using http::Header;

// RFC 6455 section 1.3 (SHA-1 b37a4f2c c0624f16 90f64606 cf385945 b2bec4ea).
TEST(Handshake, AcceptKeyRfcExample) {
    EXPECT_EQ(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    EXPECT_EQ(accept_key("wDqumtseNBJdhkihL6PW7w=="), "0FFP+2nmNIf/h+4BP36k9uzrYGk=");
}

std::vector<Header> good_headers() {
    return {
        {"Host", "server.example.com"},   {"Upgrade", "websocket"},
        {"Connection", "Upgrade"},        {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
        {"Origin", "http://example.com"}, {"Sec-WebSocket-Version", "13"},
    };
}

// Replaces (or, with an empty value, removes) every field named `name`.
std::vector<Header> with(std::vector<Header> h, std::string_view name, std::string_view value) {
    std::erase_if(h, [&](const Header& x) { return x.name == name; });
    if (!value.empty()) h.push_back({name, value});
    return h;
}

TEST(Handshake, ValidRequest) {
    const auto headers = good_headers();
    const HandshakeResult r = validate_upgrade("GET", 1, headers);
    ASSERT_TRUE(r.ok()) << r.error.message;
    EXPECT_EQ(r.request.accept_key, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    EXPECT_TRUE(r.request.subprotocols.empty());
    EXPECT_TRUE(r.request.extensions.empty());
}

TEST(Handshake, TokensAreCaseInsensitiveAndListed) {
    auto h = with(good_headers(), "Upgrade", "WebSocket");
    h = with(h, "Connection", "keep-alive, UPGRADE");
    EXPECT_TRUE(validate_upgrade("GET", 1, h).ok());
    h = with(h, "Upgrade", "h2c, websocket");
    EXPECT_TRUE(validate_upgrade("GET", 1, h).ok());
    // Header names too.
    std::vector<Header> lower = {{"upgrade", "websocket"},
                                 {"connection", "upgrade"},
                                 {"sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="},
                                 {"SEC-WEBSOCKET-VERSION", "13"}};
    EXPECT_TRUE(validate_upgrade("GET", 1, lower).ok());
}

TEST(Handshake, ConnectionTokenMaySitInARepeatedField) {
    auto h = with(good_headers(), "Connection", "keep-alive");
    h.push_back({"Connection", "Upgrade"});
    EXPECT_TRUE(validate_upgrade("GET", 1, h).ok());
}

TEST(Handshake, Rejections) {
    struct Case {
        std::string_view method;
        std::uint8_t minor;
        std::vector<Header> headers;
        int status;
    };
    const Case cases[] = {
        {"POST", 1, good_headers(), 400},
        {"get", 1, good_headers(), 400},  // methods are case-sensitive
        {"GET", 0, good_headers(), 400},
        {"GET", 1, with(good_headers(), "Upgrade", ""), 400},
        {"GET", 1, with(good_headers(), "Upgrade", "websocket2"), 400},
        {"GET", 1, with(good_headers(), "Upgrade", "websocket/13"), 400},
        {"GET", 1, with(good_headers(), "Connection", ""), 400},
        {"GET", 1, with(good_headers(), "Connection", "keep-alive"), 400},
        {"GET", 1, with(good_headers(), "Connection", "upgraded"), 400},
        {"GET", 1, with(good_headers(), "Sec-WebSocket-Key", ""), 400},
        {"GET", 1, with(good_headers(), "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ"), 400},
        {"GET", 1, with(good_headers(), "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZR=="), 400},
        {"GET", 1, with(good_headers(), "Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAAAAAA"), 400},
        {"GET", 1, with(good_headers(), "Sec-WebSocket-Key", "not base64 at all!!!!!!!"), 400},
        {"GET", 1, with(good_headers(), "Sec-WebSocket-Version", ""), 426},
        {"GET", 1, with(good_headers(), "Sec-WebSocket-Version", "8"), 426},
        {"GET", 1, with(good_headers(), "Sec-WebSocket-Version", "13, 8"), 426},
        {"GET", 1, with(good_headers(), "Sec-WebSocket-Version", "013"), 426},
        {"GET", 1, with(good_headers(), "Sec-WebSocket-Protocol", "chat, bad/token"), 400},
        {"GET", 1, with(good_headers(), "Sec-WebSocket-Extensions", "permessage-deflate;"), 400},
    };
    for (const Case& c : cases) {
        const HandshakeResult r = validate_upgrade(c.method, c.minor, c.headers);
        EXPECT_EQ(r.error.status, c.status) << c.method << " " << int{c.minor};
        EXPECT_FALSE(r.ok());
        EXPECT_FALSE(r.error.message.empty());
    }
}

TEST(Handshake, VersionMismatchAdvertises13) {
    const auto r = validate_upgrade("GET", 1, with(good_headers(), "Sec-WebSocket-Version", "7"));
    EXPECT_EQ(r.error.status, 426);
    EXPECT_EQ(r.error.header_name, "Sec-WebSocket-Version");
    EXPECT_EQ(r.error.header_value, "13");
}

TEST(Handshake, RepeatedKeyIsRejected) {
    auto h = good_headers();
    h.push_back({"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="});
    EXPECT_EQ(validate_upgrade("GET", 1, h).error.status, 400);
}

TEST(Handshake, RepeatedProtocolAndExtensionFieldsCombine) {
    auto h = good_headers();
    h.push_back({"Sec-WebSocket-Protocol", "chat, superchat"});
    h.push_back({"Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"});
    h.push_back({"Sec-WebSocket-Protocol", "v2.json"});
    h.push_back({"Sec-WebSocket-Extensions", "x-foo, permessage-deflate"});
    const auto r = validate_upgrade("GET", 1, h);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.request.subprotocols, (std::vector<std::string>{"chat", "superchat", "v2.json"}));
    ASSERT_EQ(r.request.extensions.size(), 3u);
    EXPECT_EQ(r.request.extensions[0].name, "permessage-deflate");
    ASSERT_EQ(r.request.extensions[0].params.size(), 1u);
    EXPECT_EQ(r.request.extensions[0].params[0].name, "client_max_window_bits");
    EXPECT_FALSE(r.request.extensions[0].params[0].has_value);
    EXPECT_EQ(r.request.extensions[1].name, "x-foo");
    EXPECT_EQ(r.request.extensions[2].name, "permessage-deflate");
}

TEST(Handshake, IsWebsocketUpgrade) {
    EXPECT_TRUE(is_websocket_upgrade(good_headers()));
    EXPECT_FALSE(is_websocket_upgrade(with(good_headers(), "Upgrade", "h2c")));
    EXPECT_FALSE(is_websocket_upgrade(with(good_headers(), "Upgrade", "")));
}

TEST(ExtensionList, Grammar) {
    std::vector<ExtensionOffer> out;
    ASSERT_TRUE(parse_extension_list(
        "permessage-deflate ; client_max_window_bits ; server_max_window_bits=\"10\", "
        "foo;bar=baz;q=\"a\\b\" ,, ,permessage-deflate",
        out));
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0].name, "permessage-deflate");
    ASSERT_EQ(out[0].params.size(), 2u);
    EXPECT_EQ(out[0].params[1].name, "server_max_window_bits");
    EXPECT_TRUE(out[0].params[1].has_value);
    EXPECT_EQ(out[0].params[1].value, "10");  // unquoted
    EXPECT_EQ(out[1].name, "foo");
    ASSERT_EQ(out[1].params.size(), 2u);
    EXPECT_EQ(out[1].params[0].value, "baz");
    EXPECT_EQ(out[1].params[1].value, "ab");  // quoted-pair unescaped
    EXPECT_TRUE(out[2].params.empty());

    out.clear();
    EXPECT_TRUE(parse_extension_list("", out));
    EXPECT_TRUE(out.empty());
    EXPECT_TRUE(parse_extension_list(" , ", out));
    EXPECT_TRUE(out.empty());
}

TEST(ExtensionList, SyntaxErrors) {
    for (std::string_view bad : {
             "permessage-deflate;",            // missing parameter
             "permessage-deflate; =1",         //
             "permessage-deflate; a=",         // missing value
             "permessage-deflate; a=\"1",      // unterminated quoted string
             "permessage-deflate; a=\"\"",     // quoted value must be a token
             "permessage-deflate; a=\"1 2\"",  //
             "permessage-deflate; a=1 2",      //
             "permessage-deflate x",           //
             "per message-deflate",            //
             ";a",                             // missing extension name
             "a; b=c; d=\"e\" f",              //
             "a=b",                            //
             "a@b",                            //
         }) {
        std::vector<ExtensionOffer> out;
        EXPECT_FALSE(parse_extension_list(bad, out)) << bad;
    }
}

TEST(Subprotocols, ParseAndSelect) {
    std::vector<std::string> offered;
    ASSERT_TRUE(parse_subprotocol_list("chat, superchat ,,v2.json", offered));
    EXPECT_EQ(offered, (std::vector<std::string>{"chat", "superchat", "v2.json"}));

    const std::string_view supported[] = {"mqtt", "superchat", "chat"};
    EXPECT_EQ(select_subprotocol(offered, supported), "superchat");  // the server's preference
    const std::string_view none[] = {"mqtt", "Chat"};                // case-sensitive
    EXPECT_EQ(select_subprotocol(offered, none), "");
    const std::vector<std::string> owned = {"v2.json"};
    EXPECT_EQ(select_subprotocol(offered, owned), "v2.json");
    EXPECT_EQ(select_subprotocol({}, supported), "");

    offered.clear();
    EXPECT_FALSE(parse_subprotocol_list("chat, \"quoted\"", offered));
}

TEST(Handshake, AcceptResponseHead) {
    Response r = accept_response("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    EXPECT_EQ(r.status(), 101);
    EXPECT_EQ(r.get_header("Upgrade"), "websocket");
    EXPECT_EQ(r.get_header("Sec-WebSocket-Accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    EXPECT_EQ(r.get_header("Sec-WebSocket-Protocol"), "");
    EXPECT_EQ(r.get_header("Sec-WebSocket-Extensions"), "");

    r = accept_response("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "chat",
                        "permessage-deflate; server_no_context_takeover");
    EXPECT_EQ(r.get_header("Sec-WebSocket-Protocol"), "chat");
    EXPECT_EQ(r.get_header("Sec-WebSocket-Extensions"),
              "permessage-deflate; server_no_context_takeover");
}

}  // namespace
}  // namespace gannet::ws
