#include <gannet/response_stream.hpp>

#include "http/exchange.hpp"

namespace gannet {

ResponseStream& ResponseStream::status(int code) {
    meta_.status(code);
    return *this;
}

ResponseStream& ResponseStream::header(std::string_view name, std::string_view value) {
    meta_.header(name, value);
    return *this;
}

bool ResponseStream::closed() const noexcept {
    return req_.exchange() == nullptr || req_.exchange()->closed();
}

void ResponseStream::start() {
    started_ = true;
    req_.exchange()->start_response(meta_, length_);
}

void ResponseStream::abort() noexcept {
    if (req_.exchange()) req_.exchange()->close_after_response();
}

Task<bool> ResponseStream::write(std::string_view data) {
    if (ended_ || closed()) co_return false;
    if (!started_) start();
    co_return co_await req_.exchange()->write_body(data);
}

Task<bool> ResponseStream::end(std::vector<std::pair<std::string, std::string>> trailers) {
    if (ended_) co_return !closed();
    if (req_.exchange() == nullptr) co_return false;
    for (auto& [name, value] : trailers) {
        Response check;
        check.header(name, value);  // the same rules as header fields: throws when invalid
    }
    if (!started_) {
        if (!length_) length_ = 0;  // nothing was written: an empty, framed body
        start();
    }
    ended_ = true;
    co_return co_await req_.exchange()->finish(trailers);
}

}  // namespace gannet
