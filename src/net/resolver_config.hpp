// The process-wide resolver options (gannet/net.hpp, ResolverOptions) as each worker's
// resolver reads them: a snapshot with a generation number, so a worker sees a change.
#pragma once

#include <gannet/net.hpp>

#include <cstdint>
#include <string>

namespace gannet::net {

struct ResolverConfig {
    ResolverOptions options;
    std::uint64_t generation = 0;
    /// The servers as c-ares takes them ("127.0.0.1:5353,[::1]:53"); empty: /etc/resolv.conf's.
    std::string servers_csv;
    /// Set when GANNET_DNS_SERVERS cannot be used: why (every lookup fails with it).
    std::string error;
};

/// The options in force now.
ResolverConfig resolver_config();
/// The generation of the options in force (cheap: an atomic load).
std::uint64_t resolver_generation() noexcept;

/// "10.0.0.2", "10.0.0.2:5353", "[fd00::2]:53", "fd00::2" as c-ares's "host:port" (port 53 when
/// none is given); throws std::invalid_argument naming `server` when it is not an address.
std::string normalize_server(std::string_view server);

}  // namespace gannet::net
