// Outbound connections (docs/outbound.md): options and the error every failed connect throws.
#pragma once

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace gannet::net {

/// How net::connect reaches a host.
struct ConnectOptions {
    /// The whole connect: name resolution and every connection attempt. Past it the connect
    /// fails with ConnectError::Cause::timed_out (or resolver_timed_out while resolving).
    std::chrono::milliseconds timeout{10'000};
    /// RFC 8305 §5 "Connection Attempt Delay": how long one attempt runs alone before the next
    /// address (of the other family first) is tried beside it. A failed attempt starts the next
    /// one at once.
    std::chrono::milliseconds attempt_delay{250};
};

/// Thrown when a connect fails. what() names the host, the port and the cause, e.g.
/// "connect to db.internal:5432: connection refused (10.0.0.5:5432)".
class ConnectError : public std::runtime_error {
  public:
    enum class Cause : std::uint8_t {
        invalid_address,     ///< the host or port cannot be used (empty host, port 0)
        no_such_host,        ///< the name does not exist (NXDOMAIN) or has no address
        resolver_failed,     ///< the DNS servers answered with an error (SERVFAIL, REFUSED, ...)
        resolver_timed_out,  ///< no DNS server answered within the resolver's bound
        refused,             ///< the host answered with a reset: nothing listens on the port
        unreachable,         ///< no route to the network or host
        timed_out,           ///< ConnectOptions::timeout passed before a connection was made
        other,               ///< another system error (the detail says which)
    };

    /// `detail` is what follows the cause in parentheses: the addresses tried, the error text.
    ConnectError(Cause cause, std::string_view host, std::uint16_t port, std::string_view detail);

    Cause cause() const noexcept { return cause_; }
    const std::string& host() const noexcept { return host_; }
    std::uint16_t port() const noexcept { return port_; }

  private:
    Cause cause_;
    std::string host_;
    std::uint16_t port_;
};

/// "connection refused", "no such host", ...: the cause as what() says it.
const char* to_string(ConnectError::Cause cause) noexcept;

}  // namespace gannet::net
