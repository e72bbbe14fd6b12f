#include "clients/connector.hpp"

#include "clients/client_error.hpp"

#include <gannet/client.hpp>

#include <string>

namespace gannet::clients {

Connector default_connector() {
    // Replaced by net::connect_stream once the net layer lands on main.
    return [](const Origin& origin, std::uint64_t) -> Task<std::unique_ptr<io::Stream>> {
        throw ClientError(ClientErrorKind::connect,
                          "connect to " + origin.key + ": no network connector yet");
        co_return nullptr;
    };
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
    } catch (const std::exception& e) {
        fail(total_binds ? ClientErrorKind::total_timeout : ClientErrorKind::connect, request,
             e.what());
    }
}

}  // namespace gannet::clients
