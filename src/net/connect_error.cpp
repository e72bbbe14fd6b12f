#include <gannet/net.hpp>

namespace gannet::net {

namespace {

std::string host_port(std::string_view host, std::uint16_t port) {
    std::string out;
    // An IPv6 literal takes brackets, as in a URL (RFC 3986 §3.2.2), so the port stays apart.
    bool v6 = host.find(':') != std::string_view::npos && host.front() != '[';
    if (v6) out += '[';
    out += host;
    if (v6) out += ']';
    out += ':';
    out += std::to_string(port);
    return out;
}

std::string message(ConnectError::Cause cause, std::string_view host, std::uint16_t port,
                    std::string_view detail) {
    std::string m = "connect to " + host_port(host, port) + ": " + to_string(cause);
    if (!detail.empty()) {
        m += " (";
        m += detail;
        m += ')';
    }
    return m;
}

}  // namespace

ConnectError::ConnectError(Cause cause, std::string_view host, std::uint16_t port,
                           std::string_view detail)
    : std::runtime_error(message(cause, host, port, detail)),
      cause_(cause),
      host_(host),
      port_(port) {}

const char* to_string(ConnectError::Cause cause) noexcept {
    using C = ConnectError::Cause;
    switch (cause) {
        case C::invalid_address:
            return "invalid address";
        case C::no_such_host:
            return "no such host";
        case C::resolver_failed:
            return "name resolution failed";
        case C::resolver_timed_out:
            return "the DNS server did not answer";
        case C::refused:
            return "connection refused";
        case C::unreachable:
            return "unreachable";
        case C::timed_out:
            return "timed out";
        case C::other:
            return "failed";
    }
    return "failed";
}

}  // namespace gannet::net
