#include "ws/handshake.hpp"

#include <gannet/http_types.hpp>

#include <array>

#include "ws/base64.hpp"
#include "ws/sha1.hpp"

namespace gannet::ws {
namespace {

using http::iequals;

bool is_ows(char c) noexcept {
    return c == ' ' || c == '\t';
}

std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
    return s;
}

// tchar (RFC 9110 section 5.6.2).
bool is_tchar(char c) noexcept {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    switch (c) {
        case '!':
        case '#':
        case '$':
        case '%':
        case '&':
        case '\'':
        case '*':
        case '+':
        case '-':
        case '.':
        case '^':
        case '_':
        case '`':
        case '|':
        case '~':
            return true;
        default:
            return false;
    }
}

bool is_token(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (char c : s) {
        if (!is_tchar(c)) return false;
    }
    return true;
}

// Calls fn(element) for each non-empty, OWS-trimmed element of a comma-separated list whose
// elements cannot contain commas (no quoted strings). Stops early when fn returns false.
template <class Fn>
bool for_each_element(std::string_view list, Fn&& fn) {
    while (true) {
        const std::size_t comma = list.find(',');
        const std::string_view element = trim_ows(list.substr(0, comma));
        if (!element.empty() && !fn(element)) return false;
        if (comma == std::string_view::npos) return true;
        list.remove_prefix(comma + 1);
    }
}

bool list_has_token(std::string_view list, std::string_view token) noexcept {
    bool found = false;
    for_each_element(list, [&](std::string_view e) {
        found = iequals(e, token);
        return !found;
    });
    return found;
}

// A cursor over a Sec-WebSocket-Extensions value.
class ExtensionScanner {
  public:
    explicit ExtensionScanner(std::string_view s) noexcept : s_(s) {}

    bool at_end() const noexcept { return pos_ == s_.size(); }
    char peek() const noexcept { return at_end() ? '\0' : s_[pos_]; }
    void advance() noexcept { ++pos_; }
    void skip_ows() noexcept {
        while (!at_end() && is_ows(s_[pos_])) ++pos_;
    }

    std::string_view token() noexcept {
        const std::size_t start = pos_;
        while (!at_end() && is_tchar(s_[pos_])) ++pos_;
        return s_.substr(start, pos_ - start);
    }

    // quoted-string (RFC 9110 section 5.6.4), unescaped into `out`; the opening quote is next.
    bool quoted_string(std::string& out) {
        ++pos_;
        while (!at_end()) {
            const auto c = static_cast<unsigned char>(s_[pos_++]);
            if (c == '"') return true;
            if (c == '\\') {
                if (at_end()) return false;
                const auto e = static_cast<unsigned char>(s_[pos_++]);
                if (e != '\t' && (e < 0x20 || e == 0x7F)) return false;
                out.push_back(static_cast<char>(e));
            } else if (c == '\t' || (c >= 0x20 && c != 0x7F)) {
                out.push_back(static_cast<char>(c));
            } else {
                return false;
            }
        }
        return false;  // unterminated
    }

  private:
    std::string_view s_;
    std::size_t pos_ = 0;
};

HandshakeResult fail(int status, std::string_view message) {
    HandshakeResult r;
    r.error.status = status;
    r.error.message = message;
    return r;
}

}  // namespace

std::string accept_key(std::string_view sec_websocket_key) {
    Sha1 sha;
    sha.update(sec_websocket_key);
    sha.update(kHandshakeGuid);
    const Sha1Digest digest = sha.finish();
    return base64_encode(
        std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

bool parse_extension_list(std::string_view value, std::vector<ExtensionOffer>& out) {
    ExtensionScanner sc(value);
    while (true) {
        sc.skip_ows();
        if (sc.at_end()) return true;
        if (sc.peek() == ',') {  // empty element
            sc.advance();
            continue;
        }
        const std::string_view name = sc.token();
        if (name.empty()) return false;
        ExtensionOffer offer;
        offer.name = name;
        sc.skip_ows();
        while (sc.peek() == ';') {
            sc.advance();
            sc.skip_ows();
            const std::string_view param_name = sc.token();
            if (param_name.empty()) return false;
            ExtensionParam param;
            param.name = param_name;
            sc.skip_ows();
            if (sc.peek() == '=') {
                sc.advance();
                sc.skip_ows();
                if (sc.peek() == '"') {
                    if (!sc.quoted_string(param.value)) return false;
                    // RFC 6455 section 9.1: the unescaped value must still be a token.
                    if (!is_token(param.value)) return false;
                } else {
                    const std::string_view v = sc.token();
                    if (v.empty()) return false;
                    param.value = v;
                }
                param.has_value = true;
                sc.skip_ows();
            }
            offer.params.push_back(std::move(param));
        }
        if (!sc.at_end() && sc.peek() != ',') return false;
        out.push_back(std::move(offer));
    }
}

bool parse_subprotocol_list(std::string_view value, std::vector<std::string>& out) {
    return for_each_element(value, [&out](std::string_view e) {
        if (!is_token(e)) return false;
        out.emplace_back(e);
        return true;
    });
}

bool is_websocket_upgrade(std::span<const http::Header> headers) noexcept {
    for (const http::Header& h : headers) {
        if (iequals(h.name, "upgrade") && list_has_token(h.value, "websocket")) return true;
    }
    return false;
}

HandshakeResult validate_upgrade(std::string_view method, std::uint8_t version_minor,
                                 std::span<const http::Header> headers) {
    if (method != "GET") return fail(400, "WebSocket upgrade requires GET");
    if (version_minor != 1) return fail(400, "WebSocket upgrade requires HTTP/1.1");

    bool upgrade = false;
    bool connection = false;
    int version_count = 0;
    bool version_13 = false;
    int key_count = 0;
    std::string_view key;
    for (const http::Header& h : headers) {
        if (iequals(h.name, "upgrade")) {
            upgrade = upgrade || list_has_token(h.value, "websocket");
        } else if (iequals(h.name, "connection")) {
            connection = connection || list_has_token(h.value, "upgrade");
        } else if (iequals(h.name, "sec-websocket-version")) {
            for_each_element(h.value, [&](std::string_view e) {
                ++version_count;
                version_13 = e == "13";
                return true;
            });
        } else if (iequals(h.name, "sec-websocket-key")) {
            ++key_count;
            key = trim_ows(h.value);
        }
    }
    if (!upgrade) return fail(400, "missing Upgrade: websocket");
    if (!connection) return fail(400, "missing Connection: upgrade");
    if (version_count != 1 || !version_13) {
        HandshakeResult r = fail(426, "unsupported Sec-WebSocket-Version");
        r.error.header_name = "Sec-WebSocket-Version";
        r.error.header_value = "13";
        return r;
    }
    if (key_count != 1) return fail(400, "missing or repeated Sec-WebSocket-Key");
    // A 16-byte nonce encodes to exactly 24 characters; checking first bounds the decode work.
    if (key.size() != 24) return fail(400, "invalid Sec-WebSocket-Key");
    const std::optional<std::string> nonce = base64_decode(key);
    if (!nonce || nonce->size() != 16) return fail(400, "invalid Sec-WebSocket-Key");

    HandshakeResult r;
    for (const http::Header& h : headers) {
        if (iequals(h.name, "sec-websocket-protocol")) {
            if (!parse_subprotocol_list(h.value, r.request.subprotocols)) {
                return fail(400, "malformed Sec-WebSocket-Protocol");
            }
        } else if (iequals(h.name, "sec-websocket-extensions")) {
            if (!parse_extension_list(h.value, r.request.extensions)) {
                return fail(400, "malformed Sec-WebSocket-Extensions");
            }
        }
    }
    r.request.accept_key = accept_key(key);
    return r;
}

namespace {

template <class String>
std::string_view select_first(std::span<const std::string> offered,
                              std::span<const String> supported) noexcept {
    for (const String& s : supported) {
        for (const std::string& o : offered) {
            if (o == s) return std::string_view(s);
        }
    }
    return {};
}

}  // namespace

std::string_view select_subprotocol(std::span<const std::string> offered,
                                    std::span<const std::string_view> supported) noexcept {
    return select_first(offered, supported);
}

std::string_view select_subprotocol(std::span<const std::string> offered,
                                    std::span<const std::string> supported) noexcept {
    return select_first(offered, supported);
}

Response accept_response(std::string_view accept_key, std::string_view subprotocol,
                         std::string_view extensions) {
    Response res(101);
    res.header("Upgrade", "websocket");
    res.header("Sec-WebSocket-Accept", accept_key);
    if (!subprotocol.empty()) res.header("Sec-WebSocket-Protocol", subprotocol);
    if (!extensions.empty()) res.header("Sec-WebSocket-Extensions", extensions);
    return res;
}

}  // namespace gannet::ws
