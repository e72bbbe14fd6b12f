// Out-of-line helpers of the plain HTTP message types.
#include <gannet/http_types.hpp>

#include <array>
#include <cstddef>

namespace gannet::http {
namespace {

// ASCII-only lowering: header names and tokens are ASCII, and locale-aware tolower() would be
// both slower and wrong for obs-text bytes.
constexpr std::array<unsigned char, 256> kLower = [] {
    std::array<unsigned char, 256> t{};
    for (int c = 0; c < 256; ++c) {
        t[static_cast<std::size_t>(c)] =
            static_cast<unsigned char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    }
    return t;
}();

constexpr bool is_ows(char c) noexcept {
    return c == ' ' || c == '\t';
}

}  // namespace

std::string_view RequestHead::header(std::string_view name) const noexcept {
    for (const Header& h : headers) {
        if (iequals(h.name, name)) return h.value;
    }
    return {};
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (kLower[static_cast<unsigned char>(a[i])] != kLower[static_cast<unsigned char>(b[i])]) {
            return false;
        }
    }
    return true;
}

bool has_token(std::string_view list, std::string_view token) noexcept {
    if (token.empty()) return false;
    std::size_t pos = 0;
    while (pos <= list.size()) {
        std::size_t comma = list.find(',', pos);
        if (comma == std::string_view::npos) comma = list.size();
        std::size_t first = pos;
        std::size_t last = comma;
        while (first < last && is_ows(list[first])) ++first;
        while (last > first && is_ows(list[last - 1])) --last;
        if (iequals(list.substr(first, last - first), token)) return true;
        pos = comma + 1;
    }
    return false;
}

std::string_view reason_phrase(int status) noexcept {
    // RFC 9110 section 15 names, plus the registered codes from other RFCs that servers send.
    switch (status) {
        case 100:
            return "Continue";
        case 101:
            return "Switching Protocols";
        case 103:
            return "Early Hints";  // RFC 8297
        case 200:
            return "OK";
        case 201:
            return "Created";
        case 202:
            return "Accepted";
        case 203:
            return "Non-Authoritative Information";
        case 204:
            return "No Content";
        case 205:
            return "Reset Content";
        case 206:
            return "Partial Content";
        case 300:
            return "Multiple Choices";
        case 301:
            return "Moved Permanently";
        case 302:
            return "Found";
        case 303:
            return "See Other";
        case 304:
            return "Not Modified";
        case 305:
            return "Use Proxy";
        case 306:
            return "Unused";  // RFC 9110 15.4.7 reserves it
        case 307:
            return "Temporary Redirect";
        case 308:
            return "Permanent Redirect";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 402:
            return "Payment Required";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 406:
            return "Not Acceptable";
        case 407:
            return "Proxy Authentication Required";
        case 408:
            return "Request Timeout";
        case 409:
            return "Conflict";
        case 410:
            return "Gone";
        case 411:
            return "Length Required";
        case 412:
            return "Precondition Failed";
        case 413:
            return "Content Too Large";
        case 414:
            return "URI Too Long";
        case 415:
            return "Unsupported Media Type";
        case 416:
            return "Range Not Satisfiable";
        case 417:
            return "Expectation Failed";
        case 418:
            return "I'm a teapot";  // RFC 9110 15.5.19 reserves it; the RFC 2324 phrase
        case 421:
            return "Misdirected Request";
        case 422:
            return "Unprocessable Content";
        case 425:
            return "Too Early";  // RFC 8470
        case 426:
            return "Upgrade Required";
        case 428:
            return "Precondition Required";  // RFC 6585
        case 429:
            return "Too Many Requests";  // RFC 6585
        case 431:
            return "Request Header Fields Too Large";  // RFC 6585
        case 451:
            return "Unavailable For Legal Reasons";  // RFC 7725
        case 500:
            return "Internal Server Error";
        case 501:
            return "Not Implemented";
        case 502:
            return "Bad Gateway";
        case 503:
            return "Service Unavailable";
        case 504:
            return "Gateway Timeout";
        case 505:
            return "HTTP Version Not Supported";
        case 511:
            return "Network Authentication Required";  // RFC 6585
        default:
            return "Unknown";
    }
}

}  // namespace gannet::http
