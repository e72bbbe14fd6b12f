// Where a new connection meets its protocol: the app hands over a byte stream and the http
// layer decides who speaks on it (HTTP/1.1 today; HTTP/2 by ALPN or by its preface next).
#pragma once

#include "http/connection.hpp"
#include "io/stream.hpp"
#include "io/worker.hpp"

#include <memory>

namespace gannet::http {

/// Starts serving `stream` on the current worker, which takes ownership of the connection;
/// `stats` is the worker's counters.
void serve_stream(std::unique_ptr<io::Stream> stream, const ServerLimits& limits, Service& service,
                  ConnectionStats& stats);

}  // namespace gannet::http
