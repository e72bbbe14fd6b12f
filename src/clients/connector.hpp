// How the HTTP client gets a connected stream (docs/architecture.md, "The HTTP client"): a
// Connector per HttpClient, net::connect_stream by default. The seam where TLS will wrap the
// TCP stream for https://, and where tests put in-memory streams.
#pragma once

#include "clients/client_url.hpp"
#include "io/stream.hpp"

#include <gannet/task.hpp>

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string_view>

namespace gannet::clients {

/// Makes a stream connected to `origin`, attached to the current worker, within `timeout_ms`.
/// Throws net::ConnectError, ClientError or Cancelled.
using Connector = std::function<Task<std::unique_ptr<io::Stream>>(const Origin& origin,
                                                                  std::uint64_t timeout_ms)>;

/// The default: net::connect_stream(origin.host, origin.port) with the timeout.
Connector default_connector();

/// Rethrows what a connector threw as the client's error for `request`: ClientError connect
/// (or connect_timeout; total_timeout when `total_binds`), ClientCancelled, or a ClientError
/// as it is.
[[noreturn]] void rethrow_connect_error(std::exception_ptr error, std::string_view request,
                                        bool total_binds);

}  // namespace gannet::clients
