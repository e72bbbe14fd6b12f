#include "net/address.hpp"

#include "io/tcp_stream.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>

namespace gannet::net {

std::optional<sockaddr_storage> parse_numeric(std::string_view host, std::uint16_t port) {
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    if (host.empty() || host.size() >= INET6_ADDRSTRLEN + IF_NAMESIZE) return std::nullopt;
    char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
    std::memcpy(buf, host.data(), host.size());
    buf[host.size()] = '\0';
    sockaddr_storage ss{};
    auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
    if (inet_pton(AF_INET, buf, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        return ss;
    }
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
    // A link-local address names its interface after '%' (RFC 6874).
    char* zone = std::strchr(buf, '%');
    if (zone != nullptr) *zone++ = '\0';
    if (inet_pton(AF_INET6, buf, &v6->sin6_addr) != 1) return std::nullopt;
    if (zone != nullptr) {
        v6->sin6_scope_id = if_nametoindex(zone);
        if (v6->sin6_scope_id == 0) return std::nullopt;
    }
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    return ss;
}

std::string_view host_name_problem(std::string_view name) noexcept {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    if (name.empty()) return "an empty name";
    if (name.size() > 253) return "longer than 253 bytes";
    std::size_t label = 0;
    for (char c : name) {
        if (c == '.') {
            if (label == 0) return "an empty label";
            label = 0;
            continue;
        }
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_';
        if (!ok) return "a character other than letters, digits, '-', '_' and '.'";
        if (++label > 63) return "a label longer than 63 bytes";
    }
    return {};
}

std::string to_string(const sockaddr_storage& addr) {
    char buf[80];
    return std::string(buf, io::format_address(addr, buf, sizeof buf));
}

ConnectError::Cause cause_of_errno(int err) noexcept {
    using C = ConnectError::Cause;
    switch (err) {
        case ECONNREFUSED:
        case ECONNRESET:
            return C::refused;
        case ETIMEDOUT:
            return C::timed_out;
        case ENETUNREACH:
        case EHOSTUNREACH:
        case ENETDOWN:
        case EHOSTDOWN:
        case EADDRNOTAVAIL:  // no local address of that family (IPv6 disabled, no route)
        case EAFNOSUPPORT:
            return C::unreachable;
        default:
            return C::other;
    }
}

}  // namespace gannet::net
