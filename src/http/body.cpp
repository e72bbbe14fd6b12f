#include <gannet/body.hpp>

namespace gannet {

namespace {

bool is_urlencoded(std::string_view type) noexcept {
    type = type.substr(0, type.find(';'));
    while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
    constexpr std::string_view kWant = "application/x-www-form-urlencoded";
    if (type.size() != kWant.size()) return false;
    for (std::size_t i = 0; i < type.size(); ++i) {
        char c = type[i] >= 'A' && type[i] <= 'Z' ? static_cast<char>(type[i] + 32) : type[i];
        if (c != kWant[i]) return false;
    }
    return true;
}

}  // namespace

Task<Form> read_form(Request& req) {
    auto type = req.header("Content-Type");
    if (!type || !is_urlencoded(*type)) {
        throw HttpError(415, "expected an application/x-www-form-urlencoded body");
    }
    std::string body = co_await req.text();
    co_return Form(std::move(body));
}

}  // namespace gannet
