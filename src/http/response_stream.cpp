#include <gannet/response_stream.hpp>

#include "http/serializer.hpp"

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
    return req_.transport() == nullptr || req_.transport()->closed();
}

std::string ResponseStream::head(bool) {
    const auto& h = req_.head();
    // Without a length, HTTP/1.0 has no chunked coding: the body ends when the connection does.
    bool keep = h.keep_alive && !meta_.wants_close() && (length_ || h.version_minor >= 1) &&
                !req_.transport()->draining();
    if (!keep) {
        must_close_ = true;
        req_.transport()->close_after_response();
    }
    http::ResponseContext ctx{http::current_date(), h.method == "HEAD", keep, h.version_minor};
    std::string out;
    chunked_ = http::serialize_head(meta_, ctx, length_, out);
    started_ = true;
    return out;
}

Task<bool> ResponseStream::write(std::string_view data) {
    if (ended_ || closed()) co_return false;
    std::string& buf = buf_;
    buf.clear();
    if (!started_) buf = head(true);
    bool no_body = req_.head().method == "HEAD" || http::status_has_no_body(meta_.status());
    if (no_body) {
        // HEAD: the head announced these bytes; count them so end() sees a complete body and
        // keeps the connection.
        written_ += data.size();
    } else if (!data.empty()) {
        if (length_ && written_ + data.size() > *length_) {
            // Writing past the declared length would corrupt the framing: cut the connection.
            req_.transport()->close_after_response();
            co_return false;
        }
        written_ += data.size();
        if (chunked_) {
            http::append_chunk(data, buf);
        } else {
            buf.append(data);
        }
    }
    if (buf.empty()) co_return true;
    co_return co_await req_.transport()->write(buf);
}

Task<bool> ResponseStream::end(std::vector<std::pair<std::string, std::string>> trailers) {
    if (ended_) co_return !closed();
    std::string& buf = buf_;
    buf.clear();
    if (!started_) {
        if (!length_) length_ = 0;  // nothing was written: an empty, framed body
        buf = head(true);
    }
    ended_ = true;
    if (chunked_) {
        buf += "0\r\n";
        for (auto& [name, value] : trailers) {
            Response check;
            check.header(name, value);  // validates name and value
            buf += check.header_block();
        }
        buf += "\r\n";
    } else if (length_ && written_ != *length_) {
        req_.transport()->close_after_response();  // short body: the client must see a close
    }
    if (closed()) co_return false;
    if (buf.empty()) co_return true;
    co_return co_await req_.transport()->write(buf);
}

}  // namespace gannet
