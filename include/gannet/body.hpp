// Request body helpers beyond req.text() and req.body(): urlencoded forms.
// (multipart/form-data is in <gannet/multipart.hpp>.)
#pragma once

#include <gannet/request.hpp>
#include <gannet/task.hpp>
#include <gannet/url.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gannet {

/// A parsed application/x-www-form-urlencoded body that owns its bytes, so it may be moved
/// and kept past the handler. Views it returns live as long as the Form.
class Form {
  public:
    Form() : body_(std::make_unique<std::string>()) {}
    explicit Form(std::string body)
        : body_(std::make_unique<std::string>(std::move(body))),
          params_(QueryParams::parse_form(std::string_view(*body_))) {}

    std::optional<std::string_view> get(std::string_view key) const noexcept {
        return params_.get(key);
    }
    std::vector<std::string_view> get_all(std::string_view key) const {
        return params_.get_all(key);
    }
    bool has(std::string_view key) const noexcept { return params_.has(key); }
    std::size_t size() const noexcept { return params_.size(); }
    bool empty() const noexcept { return params_.empty(); }
    QueryParams::const_iterator begin() const noexcept { return params_.begin(); }
    QueryParams::const_iterator end() const noexcept { return params_.end(); }
    const QueryParams& params() const noexcept { return params_; }
    /// The body as received.
    std::string_view raw() const noexcept { return *body_; }

  private:
    // On the heap so that moving the Form leaves the views in params_ valid (a moved
    // std::string with a short body would change address).
    std::unique_ptr<std::string> body_;
    QueryParams params_;
};

/// Reads and parses an application/x-www-form-urlencoded body, buffered up to the route's
/// body limit. Throws HttpError: 415 for another Content-Type, 413 over the limit, 400/408
/// for a broken body.
Task<Form> read_form(Request& req);

}  // namespace gannet
