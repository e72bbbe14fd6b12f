#include <gannet/fields.hpp>
#include <gannet/http_types.hpp>

namespace gannet {

void FieldList::add(std::string_view name, std::string_view value) {
    auto n = static_cast<std::uint32_t>(name.size());
    auto v = static_cast<std::uint32_t>(value.size());
    char lengths[8];
    std::memcpy(lengths, &n, 4);
    std::memcpy(lengths + 4, &v, 4);
    buf_.reserve(buf_.size() + 8 + name.size() + value.size());
    buf_.append(lengths, 8);
    buf_.append(name);
    buf_.append(value);
}

std::size_t FieldList::remove(std::string_view name) {
    std::string kept;
    std::size_t removed = 0;
    for (auto [n, v] : *this) {
        if (http::iequals(n, name)) {
            ++removed;
            continue;
        }
        FieldList one;
        one.add(n, v);
        kept += one.buf_;
    }
    if (removed > 0) buf_ = std::move(kept);
    return removed;
}

std::optional<std::string_view> FieldList::get(std::string_view name) const noexcept {
    for (auto [n, v] : *this) {
        if (http::iequals(n, name)) return v;
    }
    return std::nullopt;
}

std::size_t FieldList::size() const noexcept {
    std::size_t count = 0;
    for (auto it = begin(); it != end(); ++it) ++count;
    return count;
}

}  // namespace gannet
