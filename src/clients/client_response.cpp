// ClientResponse: the public face of a ClientExchange (gannet/client.hpp).
#include "clients/client_exchange.hpp"

#include <gannet/client.hpp>

namespace gannet {

namespace {
const FieldList& empty_fields() noexcept {
    static const FieldList kEmpty;
    return kEmpty;
}
const std::string& empty_string() noexcept {
    static const std::string kEmpty;
    return kEmpty;
}
}  // namespace

ClientResponse::ClientResponse() noexcept = default;

ClientResponse::ClientResponse(std::unique_ptr<detail::ClientExchange> x) noexcept
    : x_(std::move(x)) {
    body_.x_ = x_.get();
}

ClientResponse::ClientResponse(ClientResponse&& o) noexcept : x_(std::move(o.x_)) {
    body_.x_ = x_.get();
    o.body_.x_ = nullptr;
}

ClientResponse& ClientResponse::operator=(ClientResponse&& o) noexcept {
    if (this != &o) {
        x_ = std::move(o.x_);
        body_.x_ = x_.get();
        o.body_.x_ = nullptr;
    }
    return *this;
}

ClientResponse::~ClientResponse() = default;

int ClientResponse::status() const noexcept {
    return x_ ? x_->status() : 0;
}

std::string_view ClientResponse::reason() const noexcept {
    return x_ ? x_->reason() : std::string_view{};
}

const FieldList& ClientResponse::headers() const noexcept {
    return x_ ? x_->headers() : empty_fields();
}

std::optional<std::string_view> ClientResponse::header(std::string_view name) const noexcept {
    return headers().get(name);
}

const std::string& ClientResponse::url() const noexcept {
    return x_ ? x_->url() : empty_string();
}

const FieldList& ClientResponse::trailers() const noexcept {
    return x_ ? x_->trailers() : empty_fields();
}

Task<std::string> ClientResponse::text() {
    if (!x_) co_return std::string();
    co_return co_await x_->text(x_->max_text());
}

Task<std::optional<std::string_view>> ClientResponse::Body::read() {
    if (x_ == nullptr)
        return []() -> Task<std::optional<std::string_view>> { co_return std::nullopt; }();
    return x_->read_body();
}

bool ClientResponse::Body::done() const noexcept {
    return x_ == nullptr || x_->body_done();
}

}  // namespace gannet
