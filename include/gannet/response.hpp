// Response: what a handler returns. Status, headers and a body; gannet adds Date,
// Content-Length (or chunked framing) and Connection when it serializes it.
#pragma once

#include <gannet/fields.hpp>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace gannet {

/// An HTTP response under construction. Cheap to move; a small body (up to kInlineBody bytes)
/// is stored inline, so a plaintext or small JSON answer allocates nothing.
class Response {
  public:
    static constexpr std::size_t kInlineBody = 112;

    Response() noexcept = default;
    /// A response with `status` and no body. Throws std::invalid_argument for a status that
    /// is not a valid final answer (outside 200-999, or 1xx other than 101).
    explicit Response(int status) { this->status(status); }
    Response(Response&& o) noexcept { move_from(o); }
    Response& operator=(Response&& o) noexcept {
        if (this != &o) move_from(o);
        return *this;
    }
    Response(const Response& o) { copy_from(o); }
    Response& operator=(const Response& o) {
        if (this != &o) copy_from(o);
        return *this;
    }
    ~Response() = default;

    /// `text/plain; charset=utf-8`.
    static Response text(std::string_view body, int status = 200);
    /// `application/json`; `json` must already be serialized JSON.
    static Response json(std::string_view json, int status = 200);
    /// `text/html; charset=utf-8`.
    static Response html(std::string_view body, int status = 200);
    /// A redirect with a `Location` header (302 unless told otherwise).
    static Response redirect(std::string_view location, int status = 302);
    /// A status with no body (e.g. 204) or with a short text body naming the status.
    static Response status_only(int status);

    /// Sets the status code (100-999; 1xx other than 101 are not allowed as final answers).
    Response& status(int code);
    int status() const noexcept { return status_; }

    /// Adds a header field. Throws std::invalid_argument when the name is not a token or the
    /// value holds CR, LF or NUL (response splitting), or for fields gannet manages itself
    /// (Content-Length, Transfer-Encoding, Date). `Connection: close` asks to close after
    /// this response.
    Response& header(std::string_view name, std::string_view value);
    /// Sets Content-Type (replacing the default of text()/json()/html()).
    Response& content_type(std::string_view type);
    /// Replaces the body.
    Response& body(std::string_view data);
    Response& body(std::string&& data);
    /// Appends to the body.
    Response& append(std::string_view data);
    /// Asks gannet to close the connection after this response.
    Response& close() noexcept {
        close_ = true;
        return *this;
    }

    std::string_view body() const noexcept {
        return heap_ ? std::string_view(heap_body_) : std::string_view(inline_, size_);
    }
    std::string_view content_type() const noexcept {
        return has_custom_type_ ? std::string_view(custom_type_) : content_type_;
    }
    /// The header fields added with header(), in order (Content-Type is content_type()).
    const FieldList& headers() const noexcept { return headers_; }
    /// The value of the first header field named `name` (case-insensitive), or empty.
    std::string_view get_header(std::string_view name) const noexcept {
        return headers_.get(name).value_or(std::string_view{});
    }
    /// Removes every header field named `name`; returns how many there were.
    std::size_t remove_header(std::string_view name) { return headers_.remove(name); }
    bool wants_close() const noexcept { return close_; }

    /// Internal: the handler already wrote the response through a ResponseStream or took over
    /// the connection (WebSocket, SSE): nothing is left to serialize.
    static Response already_sent() noexcept {
        Response r;
        r.sent_ = true;
        return r;
    }
    bool is_already_sent() const noexcept { return sent_; }

  private:
    void move_from(Response& o) noexcept;
    void copy_from(const Response& o);
    void set_static_type(std::string_view t) noexcept { content_type_ = t; }
    // `static_type` must be a string literal (it is kept as a view).
    static Response typed(std::string_view static_type, std::string_view body, int status);

    int status_ = 200;
    bool close_ = false;
    bool sent_ = false;
    bool heap_ = false;
    std::uint32_t size_ = 0;
    bool has_custom_type_ = false;
    std::string_view content_type_;  // a static literal (text(), json(), html())
    std::string custom_type_;        // set by content_type()
    FieldList headers_;
    std::string heap_body_;
    char inline_[kInlineBody];
};

/// Throw from a handler (or middleware) to answer with `status` and `message` as a text body;
/// the error hook sees it first. `HttpError(404, "no such user")`.
class HttpError : public std::runtime_error {
  public:
    HttpError(int status, const std::string& message)
        : std::runtime_error(message), status_(status) {}
    explicit HttpError(int status);
    int status() const noexcept { return status_; }

  private:
    int status_;
};

}  // namespace gannet
