// Errors and deadlines of the HTTP client: every failure names the request, its origin and the
// cause (gannet/client.hpp, ClientError); every wait is bounded by its own timeout and by the
// exchange's total deadline, and says which one ran out.
#pragma once

#include <gannet/client.hpp>

#include <cstdint>
#include <string_view>

namespace gannet::clients {

/// Throws ClientError(kind) with "<request>: <kind>[: <detail>]".
[[noreturn]] void fail(ClientErrorKind kind, std::string_view request,
                       std::string_view detail = {});
/// Throws ClientCancelled naming the request and the step it was cancelled in.
[[noreturn]] void fail_cancelled(std::string_view request, std::string_view step);

/// The timeout for one wait: `phase_ms` (0: none), cut to what is left before `deadline_ms`
/// (0: none) at `now_ms`. `total_binds` tells which one the result came from. Throws
/// total_timeout when the deadline has passed already.
std::uint64_t bounded_wait(std::uint64_t phase_ms, std::uint64_t deadline_ms, std::uint64_t now_ms,
                           std::string_view request, bool& total_binds);

}  // namespace gannet::clients
