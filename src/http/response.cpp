#include <gannet/http_types.hpp>
#include <gannet/response.hpp>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

namespace gannet {

namespace {

bool is_tchar(unsigned char c) noexcept {
    if (c >= '0' && c <= '9') return true;
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
    return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != 0;
}

void check_name(std::string_view name) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
            return is_tchar(static_cast<unsigned char>(c));
        })) {
        throw std::invalid_argument("gannet: invalid header name '" + std::string(name) + "'");
    }
}

void check_value(std::string_view name, std::string_view value) {
    for (char ch : value) {
        auto c = static_cast<unsigned char>(ch);
        if (c == '\r' || c == '\n' || c == 0 || (c < 0x20 && c != '\t') || c == 0x7f) {
            throw std::invalid_argument("gannet: invalid character in the value of header '" +
                                        std::string(name) + "'");
        }
    }
}

}  // namespace

void Response::move_from(Response& o) noexcept {
    status_ = o.status_;
    close_ = o.close_;
    sent_ = o.sent_;
    heap_ = o.heap_;
    size_ = o.size_;
    has_custom_type_ = o.has_custom_type_;
    content_type_ = o.content_type_;
    custom_type_ = std::move(o.custom_type_);
    headers_ = std::move(o.headers_);
    if (heap_) {
        heap_body_ = std::move(o.heap_body_);
    } else {
        std::memcpy(inline_, o.inline_, size_);
    }
}

void Response::copy_from(const Response& o) {
    status_ = o.status_;
    close_ = o.close_;
    sent_ = o.sent_;
    heap_ = o.heap_;
    size_ = o.size_;
    has_custom_type_ = o.has_custom_type_;
    content_type_ = o.content_type_;
    custom_type_ = o.custom_type_;
    headers_ = o.headers_;
    if (heap_) {
        heap_body_ = o.heap_body_;
    } else {
        std::memcpy(inline_, o.inline_, size_);
    }
}

Response Response::typed(std::string_view static_type, std::string_view body, int status) {
    Response r(status);
    r.set_static_type(static_type);
    r.body(body);
    return r;
}

Response Response::text(std::string_view body, int status) {
    return typed("text/plain; charset=utf-8", body, status);
}

Response Response::json(std::string_view json, int status) {
    return typed("application/json", json, status);
}

Response Response::html(std::string_view body, int status) {
    return typed("text/html; charset=utf-8", body, status);
}

Response Response::redirect(std::string_view location, int status) {
    Response r(status);
    r.header("Location", location);
    return r;
}

Response Response::status_only(int status) {
    Response r(status);
    if (status >= 200 && status != 204 && status != 304) {
        r.set_static_type("text/plain; charset=utf-8");
        std::string_view phrase = http::reason_phrase(status);
        r.body(phrase);
        r.append("\n");
    }
    return r;
}

Response& Response::status(int code) {
    if (code < 100 || code > 999 || (code < 200 && code != 101)) {
        throw std::invalid_argument("gannet: invalid final status code " + std::to_string(code));
    }
    status_ = code;
    return *this;
}

Response& Response::header(std::string_view name, std::string_view value) {
    check_name(name);
    check_value(name, value);
    if (http::iequals(name, "Content-Length") || http::iequals(name, "Transfer-Encoding") ||
        http::iequals(name, "Date")) {
        throw std::invalid_argument("gannet: header '" + std::string(name) +
                                    "' is set by gannet itself");
    }
    if (http::iequals(name, "Content-Type")) return content_type(value);
    if (http::iequals(name, "Connection")) {
        if (http::has_token(value, "close")) close_ = true;
        return *this;
    }
    headers_.add(name, value);
    return *this;
}

Response& Response::content_type(std::string_view type) {
    check_value("Content-Type", type);
    custom_type_.assign(type);
    has_custom_type_ = true;
    return *this;
}

Response& Response::body(std::string_view data) {
    if (data.size() <= kInlineBody) {
        heap_ = false;
        heap_body_.clear();
        std::memcpy(inline_, data.data(), data.size());
        size_ = static_cast<std::uint32_t>(data.size());
    } else {
        heap_ = true;
        heap_body_.assign(data);
    }
    return *this;
}

Response& Response::body(std::string&& data) {
    if (data.size() <= kInlineBody) return body(std::string_view(data));
    heap_ = true;
    heap_body_ = std::move(data);
    return *this;
}

Response& Response::append(std::string_view data) {
    if (!heap_ && size_ + data.size() <= kInlineBody) {
        std::memcpy(inline_ + size_, data.data(), data.size());
        size_ += static_cast<std::uint32_t>(data.size());
        return *this;
    }
    if (!heap_) {
        heap_body_.assign(inline_, size_);
        heap_ = true;
    }
    heap_body_.append(data);
    return *this;
}

HttpError::HttpError(int status)
    : std::runtime_error(std::string(http::reason_phrase(status))), status_(status) {}

}  // namespace gannet
