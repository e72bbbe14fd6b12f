#include "clients/client_error.hpp"

#include <string>

namespace gannet {

const char* to_string(ClientErrorKind kind) noexcept {
    switch (kind) {
        case ClientErrorKind::invalid_request:
            return "invalid request";
        case ClientErrorKind::connect:
            return "connect failed";
        case ClientErrorKind::connect_timeout:
            return "connect timed out";
        case ClientErrorKind::pool_timeout:
            return "timed out waiting for a free connection";
        case ClientErrorKind::pool_full:
            return "too many requests waiting for a connection";
        case ClientErrorKind::closed:
            return "connection closed before the response head";
        case ClientErrorKind::closed_mid_body:
            return "connection closed before the end of the response body";
        case ClientErrorKind::bad_response:
            return "malformed response";
        case ClientErrorKind::head_too_large:
            return "response head too large";
        case ClientErrorKind::body_too_large:
            return "response body too large";
        case ClientErrorKind::head_timeout:
            return "timed out waiting for the response head";
        case ClientErrorKind::io_timeout:
            return "timed out: no progress reading or writing";
        case ClientErrorKind::total_timeout:
            return "exchange timed out (total timeout)";
        case ClientErrorKind::too_many_redirects:
            return "too many redirects";
        case ClientErrorKind::shutting_down:
            return "the worker is shutting down";
    }
    return "client error";
}

namespace clients {

void fail(ClientErrorKind kind, std::string_view request, std::string_view detail) {
    std::string what(request);
    what += ": ";
    what += to_string(kind);
    if (!detail.empty()) {
        what += ": ";
        what += detail;
    }
    throw ClientError(kind, what);
}

void fail_cancelled(std::string_view request, std::string_view step) {
    std::string what(request);
    what += ": cancelled while ";
    what += step;
    throw ClientCancelled(std::move(what));
}

std::uint64_t bounded_wait(std::uint64_t phase_ms, std::uint64_t deadline_ms, std::uint64_t now_ms,
                           std::string_view request, bool& total_binds) {
    total_binds = false;
    if (deadline_ms == 0) return phase_ms;
    if (now_ms >= deadline_ms) fail(ClientErrorKind::total_timeout, request);
    const std::uint64_t left = deadline_ms - now_ms;
    if (phase_ms == 0 || left <= phase_ms) {
        total_binds = true;
        return left;
    }
    return phase_ms;
}

}  // namespace clients
}  // namespace gannet
