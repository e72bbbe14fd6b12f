#include "http/accept.hpp"

namespace gannet::http {

void serve_stream(std::unique_ptr<io::Stream> stream, const ServerLimits& limits, Service& service,
                  ConnectionStats& stats) {
    auto c = std::make_unique<Connection>(std::move(stream), limits, service, stats);
    Connection* cp = c.get();
    io::Worker::current()->adopt(std::move(c));
    cp->start();
}

}  // namespace gannet::http
