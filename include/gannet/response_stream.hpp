// ResponseStream: a response written in pieces by a `Task<> f(Request&, ResponseStream&)`
// handler. The protocol frames it: over HTTP/1.1, chunked when no length was set and
// Content-Length when it was.
#pragma once

#include <gannet/request.hpp>
#include <gannet/task.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gannet {

class ResponseStream {
  public:
    explicit ResponseStream(Request& req) noexcept : req_(req) {}
    ResponseStream(const ResponseStream&) = delete;
    ResponseStream& operator=(const ResponseStream&) = delete;

    /// Status and headers may change until the first write.
    ResponseStream& status(int code);
    ResponseStream& header(std::string_view name, std::string_view value);
    ResponseStream& content_type(std::string_view type) { return header("Content-Type", type); }
    /// Declares the body length: the stream then sends Content-Length instead of chunks and
    /// the handler must write exactly that many bytes.
    ResponseStream& content_length(std::uint64_t n) noexcept {
        length_ = n;
        return *this;
    }

    /// Sends `data` (the head first, on the first write). Suspends while the connection's
    /// write buffer is full (backpressure). False once the client has gone away: stop writing.
    Task<bool> write(std::string_view data);
    /// Finishes the response (the last chunk, with optional trailers). Called for you when the
    /// handler returns; calling it twice is harmless.
    Task<bool> end(std::vector<std::pair<std::string, std::string>> trailers = {});

    /// True once the client has gone away.
    bool closed() const noexcept;
    /// True once the head has been sent (or is on its way).
    bool started() const noexcept { return started_; }
    bool ended() const noexcept { return ended_; }
    /// Gives up on a response that cannot be completed (the handler failed after the head
    /// went out): the client sees an incomplete response, never one that looks whole.
    void abort() noexcept;

  private:
    void start();

    Request& req_;
    Response meta_{200};
    std::optional<std::uint64_t> length_;
    bool started_ = false;
    bool ended_ = false;
};

}  // namespace gannet
