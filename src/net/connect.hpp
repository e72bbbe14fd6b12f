// Connecting to a host (docs/architecture.md, "Outbound connections"): the internal entry point
// that the HTTP client, the proxy and net::connect build on.
#pragma once

#include "io/stream.hpp"

#include <gannet/net.hpp>
#include <gannet/task.hpp>

#include <cstdint>
#include <memory>
#include <string_view>

namespace gannet::net {

/// Connects to `host`:`port` on the current worker and returns the connected stream, attached to
/// this worker, with TCP_NODELAY set. `host` is a name, "localhost", or a numeric IPv4 or IPv6
/// address (with or without brackets). Throws ConnectError naming the host and the cause, or
/// gannet::Cancelled when the awaiting task is cancelled. Call on a worker thread.
Task<std::unique_ptr<io::Stream>> connect_stream(std::string_view host, std::uint16_t port,
                                                 const ConnectOptions& options = {});

}  // namespace gannet::net
