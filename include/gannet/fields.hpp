// FieldList: header (or trailer) fields in order, as (name, value) pairs in one buffer.
//
// The protocol serializes them (HTTP/1 as "Name: value" lines, HTTP/2 through HPACK); nothing
// above it formats wire text. One allocation holds every field: each is stored as its two
// lengths followed by its name and value bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace gannet {

class FieldList {
  public:
    using value_type = std::pair<std::string_view, std::string_view>;

    /// Appends a field (no validation here: Response::header() checks names and values).
    void add(std::string_view name, std::string_view value);
    /// Removes every field named `name` (case-insensitive); returns how many there were.
    std::size_t remove(std::string_view name);
    /// The value of the first field named `name` (case-insensitive).
    std::optional<std::string_view> get(std::string_view name) const noexcept;
    bool empty() const noexcept { return buf_.empty(); }
    std::size_t size() const noexcept;
    void clear() noexcept { buf_.clear(); }

    /// Iterates the fields in order; views are valid until the list changes.
    class iterator {
      public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = FieldList::value_type;
        using difference_type = std::ptrdiff_t;
        using pointer = void;
        using reference = value_type;

        iterator() noexcept = default;
        value_type operator*() const noexcept {
            std::uint32_t n = 0;
            std::uint32_t v = 0;
            std::memcpy(&n, p_, 4);
            std::memcpy(&v, p_ + 4, 4);
            return {std::string_view(p_ + 8, n), std::string_view(p_ + 8 + n, v)};
        }
        iterator& operator++() noexcept {
            std::uint32_t n = 0;
            std::uint32_t v = 0;
            std::memcpy(&n, p_, 4);
            std::memcpy(&v, p_ + 4, 4);
            p_ += 8 + n + v;
            return *this;
        }
        iterator operator++(int) noexcept {
            iterator old = *this;
            ++*this;
            return old;
        }
        bool operator==(const iterator& o) const noexcept { return p_ == o.p_; }

      private:
        friend class FieldList;
        explicit iterator(const char* p) noexcept : p_(p) {}
        const char* p_ = nullptr;
    };
    iterator begin() const noexcept { return iterator(buf_.data()); }
    iterator end() const noexcept { return iterator(buf_.data() + buf_.size()); }

  private:
    std::string buf_;
};

}  // namespace gannet
