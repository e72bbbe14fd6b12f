// ResponseStream: a response written in pieces by a `Task<> f(Request&, ResponseStream&)`
// handler. Chunked encoding when no length was set; Content-Length when it was.
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
    /// True once the head has been sent.
    bool started() const noexcept { return started_; }
    bool ended() const noexcept { return ended_; }
    /// True when the body goes out in chunks (no length was declared); known once started.
    bool chunked() const noexcept { return chunked_; }
    /// True when the response was not framed and the connection must close after it.
    bool must_close() const noexcept { return must_close_; }

  private:
    std::string head(bool has_body_now);

    Request& req_;
    Response meta_{200};
    std::string buf_;  // reused for each write: head, chunk framing and data in one send
    std::optional<std::uint64_t> length_;
    std::uint64_t written_ = 0;
    bool started_ = false;
    bool ended_ = false;
    bool chunked_ = false;
    bool must_close_ = false;
};

}  // namespace gannet
