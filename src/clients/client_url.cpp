#include "clients/client_url.hpp"

#include <charconv>

namespace gannet::clients {
namespace {

bool is_alpha(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}
// reg-name = *( unreserved / pct-encoded / sub-delims ) (RFC 3986 3.2.2).
bool is_reg_name_char(char c) noexcept {
    return is_alpha(c) || is_digit(c) ||
           std::string_view("-._~%!$&'()*+,;=").find(c) != std::string_view::npos;
}
bool is_ipv6_char(char c) noexcept {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
}
// A request-target byte: visible ASCII except '#' (the request parser's kTargetChar), so that
// whatever the client sends, a strict server parses as the same target.
bool is_target_char(char c) noexcept {
    return c >= 0x21 && c <= 0x7E && c != '#';
}
bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if ((a[i] | 0x20) != (b[i] | 0x20)) return false;
    }
    return true;
}

// Removes "." and ".." segments (RFC 3986 5.2.4) from an absolute path.
std::string remove_dot_segments(std::string_view path) {
    std::string out;
    std::size_t i = 0;
    while (i < path.size()) {
        std::size_t next = path.find('/', i + 1);
        if (next == std::string_view::npos) next = path.size();
        std::string_view seg = path.substr(i, next - i);  // starts with '/'
        if (seg == "/.") {
            if (next == path.size()) out += '/';
        } else if (seg == "/..") {
            const std::size_t cut = out.rfind('/');
            out.resize(cut == std::string::npos ? 0 : cut);
            if (next == path.size()) out += '/';
        } else {
            out += seg;
        }
        i = next;
    }
    return out.empty() ? "/" : out;
}

}  // namespace

std::string_view parse_url(std::string_view url, Url& out) {
    out = Url{};
    const std::size_t hash = url.find('#');
    if (hash != std::string_view::npos) url = url.substr(0, hash);
    const std::size_t sep = url.find("://");
    if (sep == std::string_view::npos) return "not an absolute http:// URL";
    const std::string_view scheme = url.substr(0, sep);
    if (iequals(scheme, "https")) return "https is not supported yet (no TLS stream)";
    if (!iequals(scheme, "http")) return "unsupported scheme (only http)";
    std::string_view rest = url.substr(sep + 3);
    const std::size_t auth_end = rest.find_first_of("/?");
    const std::string_view authority = rest.substr(0, auth_end);
    const std::string_view path_query =
        auth_end == std::string_view::npos ? std::string_view{} : rest.substr(auth_end);
    if (authority.find('@') != std::string_view::npos) return "userinfo in URL";
    if (authority.empty()) return "no host in URL";

    std::string_view host;
    std::string_view port_text;
    if (authority[0] == '[') {
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos || close == 1) return "malformed IPv6 literal";
        host = authority.substr(1, close - 1);
        for (char c : host) {
            if (!is_ipv6_char(c)) return "malformed IPv6 literal";
        }
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after[0] != ':') return "junk after IPv6 literal";
            port_text = after.substr(1);
        }
    } else {
        const std::size_t colon = authority.find(':');
        host = authority.substr(0, colon);
        if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
        if (host.empty()) return "no host in URL";
        for (char c : host) {
            if (!is_reg_name_char(c)) return "invalid character in host";
        }
    }
    unsigned port = 80;
    if (!port_text.empty()) {
        unsigned v = 0;
        const auto [end, ec] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), v);
        if (ec != std::errc{} || end != port_text.data() + port_text.size() || v == 0 ||
            v > 65535 || !is_digit(port_text[0])) {
            return "invalid port";
        }
        port = v;
    }
    for (char c : path_query) {
        if (!is_target_char(c)) return "invalid character in path or query (encode it)";
    }

    Origin& o = out.origin;
    o.scheme = "http";
    o.host.assign(host);
    // Host names are case-insensitive: one pool for "Example.com" and "example.com".
    for (char& c : o.host) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c | 0x20);
    }
    o.port = static_cast<std::uint16_t>(port);
    const bool v6 = authority[0] == '[';
    o.authority = v6 ? "[" + o.host + "]" : o.host;
    if (port != 80) o.authority += ":" + std::to_string(port);
    o.key = "http://" + (v6 ? "[" + o.host + "]" : o.host) + ":" + std::to_string(port);
    if (path_query.empty() || path_query[0] == '?') {
        out.target = "/";
        out.target += path_query;
    } else {
        out.target.assign(path_query);
    }
    out.text = "http://" + o.authority + out.target;
    return {};
}

std::string resolve_location(const Url& base, std::string_view location) {
    // Surrounding whitespace has been trimmed by the parser; a fragment is dropped.
    const std::size_t hash = location.find('#');
    if (hash != std::string_view::npos) location = location.substr(0, hash);
    if (location.empty()) return {};
    const std::size_t colon = location.find(':');
    const std::size_t slash = location.find('/');
    if (colon != std::string_view::npos && (slash == std::string_view::npos || colon < slash)) {
        return std::string(location);  // absolute: has a scheme
    }
    const std::string prefix = base.origin.scheme + "://";
    if (location.substr(0, 2) == "//") return base.origin.scheme + ":" + std::string(location);
    if (location[0] == '/' || location[0] == '?') {
        if (location[0] == '?') {
            const std::string path = base.target.substr(0, base.target.find('?'));
            return prefix + base.origin.authority + path + std::string(location);
        }
        const std::size_t q = location.find('?');
        std::string result =
            prefix + base.origin.authority + remove_dot_segments(location.substr(0, q));
        if (q != std::string_view::npos) result += location.substr(q);
        return result;
    }
    // A relative path: merged with the base path's directory (RFC 3986 5.2.3).
    const std::string base_path = base.target.substr(0, base.target.find('?'));
    const std::string dir = base_path.substr(0, base_path.rfind('/') + 1);
    const std::size_t q = location.find('?');
    std::string merged = dir + std::string(location.substr(0, q));
    std::string result = prefix + base.origin.authority + remove_dot_segments(merged);
    if (q != std::string_view::npos) result += location.substr(q);
    return result;
}

}  // namespace gannet::clients
