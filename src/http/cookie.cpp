#include <gannet/cookie.hpp>

#include "http/date_cache.hpp"

#include <array>
#include <charconv>
#include <stdexcept>

namespace gannet {

namespace {

bool is_tchar(unsigned char c) noexcept {
    static constexpr std::array<bool, 256> kTable = [] {
        std::array<bool, 256> t{};
        for (int ch = '0'; ch <= '9'; ++ch) t[static_cast<std::size_t>(ch)] = true;
        for (int ch = 'a'; ch <= 'z'; ++ch) t[static_cast<std::size_t>(ch)] = true;
        for (int ch = 'A'; ch <= 'Z'; ++ch) t[static_cast<std::size_t>(ch)] = true;
        for (char ch : std::string_view("!#$%&'*+-.^_`|~"))
            t[static_cast<unsigned char>(ch)] = true;
        return t;
    }();
    return kTable[c];
}

bool is_ctl(unsigned char c) noexcept {
    return c < 0x20 || c == 0x7F;
}

// RFC 6265 section 4.1.1: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E.
bool is_cookie_octet(unsigned char c) noexcept {
    return c >= 0x21 && c <= 0x7E && c != '"' && c != ',' && c != ';' && c != '\\';
}

bool is_token(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (const char c : s) {
        if (!is_tchar(static_cast<unsigned char>(c))) return false;
    }
    return true;
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Takes the next well-formed cookie from the front of `rest`, skipping malformed pairs.
// Shared by parse_cookie_header and find_cookie so the two can never disagree.
bool next_cookie(std::string_view& rest, std::string_view& name, std::string_view& value) noexcept {
    while (!rest.empty()) {
        const std::size_t semi = rest.find(';');
        const std::string_view piece = rest.substr(0, semi);
        rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);

        const std::size_t eq = piece.find('=');
        if (eq == std::string_view::npos) continue;
        name = trim(piece.substr(0, eq));
        value = trim(piece.substr(eq + 1));
        if (!is_token(name)) continue;
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
            value = value.substr(1, value.size() - 2);
        }
        bool ok = true;
        for (const char c : value) {
            if (is_ctl(static_cast<unsigned char>(c))) {
                ok = false;
                break;
            }
        }
        if (ok) return true;
    }
    return false;
}

// The cookie name as it may appear in an error message: printable ASCII kept, the rest \xNN,
// so a hostile or binary name cannot mangle a log line.
std::string printable(std::string_view s) {
    constexpr std::string_view kHex = "0123456789ABCDEF";
    std::string out;
    for (const char c : s) {
        const auto b = static_cast<unsigned char>(c);
        if (b >= 0x20 && b < 0x7F && b != '\\') {
            out.push_back(c);
        } else {
            out += "\\x";
            out.push_back(kHex[b >> 4]);
            out.push_back(kHex[b & 0xF]);
        }
    }
    return out;
}

[[noreturn]] void fail(std::string_view cookie_name, std::string_view problem) {
    std::string msg = "Set-Cookie \"";
    msg += printable(cookie_name);
    msg += "\": ";
    msg += problem;
    throw std::invalid_argument(msg);
}

std::string bad_byte(std::string_view what, std::string_view s, std::size_t i,
                     std::string_view why) {
    constexpr std::string_view kHex = "0123456789ABCDEF";
    const auto b = static_cast<unsigned char>(s[i]);
    std::string msg(what);
    msg += " has byte 0x";
    msg.push_back(kHex[b >> 4]);
    msg.push_back(kHex[b & 0xF]);
    if (b >= 0x20 && b < 0x7F) {
        msg += " ('";
        msg.push_back(static_cast<char>(b));
        msg += "')";
    }
    msg += " at offset ";
    msg += std::to_string(i);
    msg += ", ";
    msg += why;
    return msg;
}

// Path and Domain: RFC 6265 section 4.1.1 allows any CHAR except CTLs and ';'.
void check_attribute(std::string_view cookie_name, std::string_view attr, std::string_view v) {
    if (v.empty()) fail(cookie_name, std::string(attr) + " is empty");
    for (std::size_t i = 0; i < v.size(); ++i) {
        const auto b = static_cast<unsigned char>(v[i]);
        if (b == ';' || is_ctl(b) || b >= 0x80) {
            fail(cookie_name,
                 bad_byte(attr, v, i, "which an attribute value cannot hold (RFC 6265 4.1.1)"));
        }
    }
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) noexcept {
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        char p = prefix[i];
        if (p >= 'A' && p <= 'Z') p = static_cast<char>(p - 'A' + 'a');
        if (c != p) return false;
    }
    return true;
}

}  // namespace

std::vector<std::pair<std::string_view, std::string_view>> parse_cookie_header(
    std::string_view header) {
    std::vector<std::pair<std::string_view, std::string_view>> cookies;
    std::string_view name;
    std::string_view value;
    while (next_cookie(header, name, value)) cookies.emplace_back(name, value);
    return cookies;
}

std::optional<std::string_view> find_cookie(std::string_view header,
                                            std::string_view name) noexcept {
    std::string_view n;
    std::string_view v;
    while (next_cookie(header, n, v)) {
        if (n == name) return v;
    }
    return std::nullopt;
}

SetCookie::SetCookie(std::string name, std::string value)
    : name_(std::move(name)), value_(std::move(value)) {
    if (name_.empty()) fail(name_, "name is empty");
    for (std::size_t i = 0; i < name_.size(); ++i) {
        if (!is_tchar(static_cast<unsigned char>(name_[i]))) {
            fail(name_,
                 bad_byte("name", name_, i, "which is not a token character (RFC 9110 5.6.2)"));
        }
    }
    std::string_view inner = value_;
    std::size_t offset = 0;
    if (inner.size() >= 2 && inner.front() == '"' && inner.back() == '"') {
        inner = inner.substr(1, inner.size() - 2);
        offset = 1;
    }
    for (std::size_t i = 0; i < inner.size(); ++i) {
        if (!is_cookie_octet(static_cast<unsigned char>(inner[i]))) {
            fail(name_, bad_byte("value", value_, i + offset,
                                 "which is not a cookie-octet (RFC 6265 4.1.1); "
                                 "percent-encode the value"));
        }
    }
    // Browsers match these prefixes case-insensitively (RFC 6265bis 4.1.3).
    host_prefix_ = starts_with_nocase(name_, "__Host-");
    secure_prefix_ = starts_with_nocase(name_, "__Secure-");
}

SetCookie& SetCookie::path(std::string path) {
    check_attribute(name_, "Path", path);
    if (path.front() != '/') fail(name_, "Path must start with '/'");
    if (host_prefix_ && path != "/") fail(name_, "a __Host- cookie must have Path=/");
    path_ = std::move(path);
    return *this;
}

SetCookie& SetCookie::domain(std::string domain) {
    if (host_prefix_) fail(name_, "a __Host- cookie cannot have a Domain");
    check_attribute(name_, "Domain", domain);
    domain_ = std::move(domain);
    return *this;
}

SetCookie& SetCookie::max_age(std::chrono::seconds age) {
    max_age_ = age.count() > 0 ? age.count() : 0;
    return *this;
}

SetCookie& SetCookie::expires(std::chrono::system_clock::time_point when) {
    expires_ = static_cast<std::time_t>(
        std::chrono::floor<std::chrono::seconds>(when.time_since_epoch()).count());
    return *this;
}

SetCookie& SetCookie::secure() {
    secure_ = true;
    return *this;
}

SetCookie& SetCookie::http_only() {
    http_only_ = true;
    return *this;
}

SetCookie& SetCookie::same_site(SameSite mode) {
    same_site_ = mode;
    return *this;
}

SetCookie& SetCookie::partitioned() {
    partitioned_ = true;
    return *this;
}

std::string SetCookie::to_string() const {
    std::string s;
    s.reserve(name_.size() + value_.size() + path_.size() + domain_.size() + 96);
    s += name_;
    s += '=';
    s += value_;
    if (!path_.empty()) {
        s += "; Path=";
        s += path_;
    } else if (host_prefix_) {
        s += "; Path=/";
    }
    if (!domain_.empty()) {
        s += "; Domain=";
        s += domain_;
    }
    if (expires_) {
        char date[http::kHttpDateLength];
        http::format_http_date_to(*expires_, date);
        s += "; Expires=";
        s.append(date, sizeof date);
    }
    if (max_age_) {
        char digits[24];
        const auto r = std::to_chars(digits, digits + sizeof digits, *max_age_);
        s += "; Max-Age=";
        s.append(digits, r.ptr);
    }
    if (secure_ || partitioned_ || host_prefix_ || secure_prefix_ || same_site_ == SameSite::none) {
        s += "; Secure";
    }
    if (http_only_) s += "; HttpOnly";
    if (same_site_) {
        switch (*same_site_) {
            case SameSite::strict:
                s += "; SameSite=Strict";
                break;
            case SameSite::lax:
                s += "; SameSite=Lax";
                break;
            case SameSite::none:
                s += "; SameSite=None";
                break;
        }
    }
    if (partitioned_) s += "; Partitioned";
    return s;
}

}  // namespace gannet
