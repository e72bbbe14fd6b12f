#include <gannet/cookie.hpp>
#include <gannet/request.hpp>
#include <gannet/url.hpp>

#include "http/exchange.hpp"

#include <string>

namespace gannet {

Task<std::optional<std::string_view>> BodyReader::read() {
    if (!t_) co_return std::nullopt;
    co_return co_await t_->read_body();
}

void Request::set_body_limit(std::uint64_t bytes) noexcept {
    if (exchange_) exchange_->set_body_limit(bytes);
}

http::BodyError BodyReader::failure() const noexcept {
    return t_ ? t_->body_error() : http::BodyError::none;
}

std::optional<std::string_view> Request::header(std::string_view name) const noexcept {
    for (const auto& h : head_.headers) {
        if (http::iequals(h.name, name)) return h.value;
    }
    return std::nullopt;
}

std::string_view Request::param(std::string_view name) const {
    for (const auto& [k, v] : params_) {
        if (k != name) continue;
        if (v.find('%') == std::string_view::npos) return v;
        auto decoded = percent_decode(v);
        if (!decoded) {
            throw HttpError(400,
                            "malformed percent-encoding in parameter '" + std::string(name) + "'");
        }
        return decoded_.emplace_back(std::move(*decoded));
    }
    throw HttpError(500, "the route has no parameter named '" + std::string(name) + "'");
}

void Request::bad_param(std::string_view name) {
    throw HttpError(400, "parameter '" + std::string(name) + "' is not a valid number");
}

std::optional<std::string_view> Request::query(std::string_view key) const {
    if (!query_) query_ = std::make_shared<QueryParams>(QueryParams::parse(head_.query));
    return query_->get(key);
}

std::optional<std::string_view> Request::cookie(std::string_view name) const noexcept {
    for (const auto& h : head_.headers) {
        if (!http::iequals(h.name, "Cookie")) continue;
        if (auto v = find_cookie(h.value, name)) return v;
    }
    return std::nullopt;
}

Task<std::string> Request::text() {
    std::string out;
    if (head_.body_kind == http::BodyKind::length) {
        out.reserve(
            static_cast<std::size_t>(std::min<std::uint64_t>(head_.content_length, 1024 * 1024)));
    }
    while (auto chunk = co_await body_.read()) out.append(*chunk);
    switch (body_.failure()) {
        case http::BodyError::none:
            break;
        case http::BodyError::too_large:
            throw HttpError(413, "request body too large");
        case http::BodyError::timed_out:
            throw HttpError(408, "request body timed out");
        case http::BodyError::malformed:
            throw HttpError(400, "request body incomplete");
        case http::BodyError::trailers_too_large:
            throw HttpError(431, "request trailers too large");
        case http::BodyError::client_gone:
            throw HttpError(499, "request body incomplete");
    }
    co_return out;
}

void Request::reset() noexcept {
    head_.clear();
    params_.clear();
    decoded_.clear();
    query_.reset();
    context_.clear();
}

}  // namespace gannet
