// Ready-made middleware.
#pragma once

#include <gannet/app.hpp>

#include <cstdio>

namespace gannet::middleware {

/// Logs one line per request to `out` (stderr by default):
/// `127.0.0.1:5000 "GET /users/7 HTTP/1.1" 200 0.12ms`.
Middleware access_log(std::FILE* out = stderr);

/// Adds an `X-Response-Time` header with the time the rest of the chain took.
Middleware response_time();

}  // namespace gannet::middleware
