#include "clients/connector.hpp"

#include "clients/client_error.hpp"
#include "net/connect.hpp"

#include <gannet/client.hpp>
#include <gannet/net.hpp>

#include <chrono>

#include <string>

namespace gannet::clients {

namespace {

Task<std::unique_ptr<io::Stream>> tcp_connect(const Origin& origin, std::uint64_t timeout_ms) {
    net::ConnectOptions options;
    if (timeout_ms > 0) options.timeout = std::chrono::milliseconds(timeout_ms);
    co_return co_await net::connect_stream(origin.host, origin.port, options);
}

}  // namespace

Connector default_connector() {
    return &tcp_connect;
}

void rethrow_connect_error(std::exception_ptr error, std::string_view request, bool total_binds) {
    try {
        std::rethrow_exception(error);
    } catch (const ClientError&) {
        throw;
    } catch (const ClientCancelled&) {
        throw;
    } catch (const Cancelled&) {
        fail_cancelled(request, "connecting");
    } catch (const net::ConnectError& e) {
        using Cause = net::ConnectError::Cause;
        const bool timed_out =
            e.cause() == Cause::timed_out || e.cause() == Cause::resolver_timed_out;
        fail(total_binds && timed_out ? ClientErrorKind::total_timeout
             : timed_out              ? ClientErrorKind::connect_timeout
                                      : ClientErrorKind::connect,
             request, e.what());
    } catch (const std::exception& e) {
        fail(total_binds ? ClientErrorKind::total_timeout : ClientErrorKind::connect, request,
             e.what());
    }
}

}  // namespace gannet::clients
