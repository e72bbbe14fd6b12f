// Socket addresses for outbound connections: numeric hosts, the order attempts take (RFC 8305
// §4) and how errors name them.
#pragma once

#include <gannet/net.hpp>

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gannet::net {

/// `host` as a numeric IPv4 or IPv6 address ("10.0.0.5", "::1", "[::1]", "fe80::1%eth0"), with
/// `port`; nullopt when it is not one (a name to resolve).
std::optional<sockaddr_storage> parse_numeric(std::string_view host, std::uint16_t port);

/// Why `name` cannot be a host name ("" when it can): RFC 1123 §2.1 letters, digits and
/// hyphens (and underscores, which internal names use), labels of 1 to 63 bytes, 253 in all,
/// an optional final dot. Checked before a name reaches a DNS server.
std::string_view host_name_problem(std::string_view name) noexcept;

/// "10.0.0.5:5432" or "[::1]:5432".
std::string to_string(const sockaddr_storage& addr);

/// The cause an errno from socket(2), connect(2) or SO_ERROR stands for.
ConnectError::Cause cause_of_errno(int err) noexcept;

}  // namespace gannet::net
