// Happy Eyeballs (RFC 8305): connection attempts to a host's addresses, interleaved by family
// and started one "Connection Attempt Delay" apart, the first to connect wins
// (docs/architecture.md, "Outbound connections").
#pragma once

#include "io/tcp_stream.hpp"

#include <gannet/task.hpp>

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace gannet::net {

/// RFC 8305 §4: the addresses in the order to try them, families alternating, starting with
/// IPv6 (RFC 6724's default preference; an IPv6 attempt on a host without an IPv6 route fails
/// at once and the next one starts at once). Order within a family is kept.
std::vector<sockaddr_storage> interleave(const std::vector<sockaddr_storage>& addresses);

/// Tries `addresses` (already ordered, ports set) on the current worker: an attempt starts
/// every `attempt_delay_ms` or as soon as the previous one failed, the first connection wins
/// and the others are closed. Gives up at `deadline_ms` (the worker's clock). Returns the
/// connected stream, attached, with TCP_NODELAY set. Throws ConnectError naming `host`,
/// `port`, the cause and the addresses tried, or gannet::Cancelled; closes every socket it
/// opened either way.
Task<std::unique_ptr<io::TcpStream>> race(std::string host, std::uint16_t port,
                                          std::vector<sockaddr_storage> addresses,
                                          std::uint64_t deadline_ms,
                                          std::uint64_t attempt_delay_ms);

}  // namespace gannet::net
