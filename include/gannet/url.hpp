// Percent-encoding (RFC 3986 section 2.1) and query-string / form parsing
// (application/x-www-form-urlencoded, as the WHATWG URL standard and Node's URLSearchParams
// read it).
#pragma once

#include <cstddef>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace gannet {

/// Decodes every "%XX" escape in `s` (hex digits in either case); with `plus_as_space`, '+'
/// also decodes to ' '. Decoded bytes may be any byte, including NUL, '/' and invalid UTF-8:
/// callers that need a path segment or text must check what they get. Returns nullopt when a
/// '%' is not followed by two hex digits ("%", "%4", "%zz").
std::optional<std::string> percent_decode(std::string_view s, bool plus_as_space = false);

/// As percent_decode(), but appends to `out`, allocating only when `out` lacks the capacity
/// (the result is never longer than `s`). Returns false on a malformed escape and then leaves
/// `out` exactly as it was.
bool percent_decode_into(std::string_view s, std::string& out, bool plus_as_space = false);

/// Encodes every byte outside RFC 3986 "unreserved" (ALPHA / DIGIT / "-" / "." / "_" / "~") as
/// "%XX" with upper-case hex digits. The result is safe in a path segment, a query key or value,
/// and a form field.
std::string percent_encode(std::string_view s);

/// The key/value pairs of a query string or an urlencoded form body, in order, duplicates kept.
///
/// Parsing rules (WHATWG application/x-www-form-urlencoded, as URLSearchParams, Go and Node do):
/// - the input is split on '&'; empty pieces ("a=1&&b=2", a trailing '&') are skipped;
/// - each piece splits at its first '='; a piece with no '=' is a key with an empty value
///   ("flag"), and "=v" is the empty key;
/// - keys and values are decoded: '+' is a space and "%XX" is a byte;
/// - a malformed escape ("%", "%4", "%zz") is kept as the literal text, and the rest of the
///   piece is still decoded: "100%&x=%41%zz" gives "100%" and "A%zz". One bad escape never
///   fails the whole parse, because a handler should still see the parameters that are fine.
///
/// Lifetime: pieces that need no decoding are views into the parsed input; decoded pieces live
/// in this object (as offsets into one buffer, so copies and moves stay valid). The input must
/// therefore outlive the QueryParams and every view it returns. Request::query() and a buffered
/// body satisfy this for the duration of the handler. Parsing a temporary std::string is
/// rejected at compile time, since it would dangle at once.
class QueryParams {
  public:
    /// A (key, value) pair, both decoded.
    using value_type = std::pair<std::string_view, std::string_view>;

    /// Iterates over the pairs in input order; dereferencing yields a value_type by value.
    class const_iterator {
      public:
        using iterator_category = std::input_iterator_tag;
        using iterator_concept = std::forward_iterator_tag;
        using value_type = QueryParams::value_type;
        using difference_type = std::ptrdiff_t;
        using reference = value_type;
        using pointer = void;

        const_iterator() = default;

        value_type operator*() const noexcept { return (*owner_)[index_]; }
        const_iterator& operator++() noexcept {
            ++index_;
            return *this;
        }
        const_iterator operator++(int) noexcept {
            const_iterator old = *this;
            ++index_;
            return old;
        }
        friend bool operator==(const const_iterator& a, const const_iterator& b) noexcept {
            return a.owner_ == b.owner_ && a.index_ == b.index_;
        }

      private:
        friend class QueryParams;
        const_iterator(const QueryParams* owner, std::size_t index) noexcept
            : owner_(owner), index_(index) {}

        const QueryParams* owner_ = nullptr;
        std::size_t index_ = 0;
    };
    using iterator = const_iterator;

    /// An empty set of parameters.
    QueryParams() = default;

    /// Parses a query string (the part after '?', without it). Never fails; see the class
    /// comment for the rules and for how long `query` must live.
    static QueryParams parse(std::string_view query);

    /// Parses an application/x-www-form-urlencoded body. The format is the same as a query
    /// string's (WHATWG defines both by one algorithm), so this is parse() under the name a
    /// reader of form-handling code looks for.
    static QueryParams parse_form(std::string_view body) { return parse(body); }

    /// Deleted: the result would point into a temporary that dies at the end of the statement.
    /// Keep the string in a variable, or pass a view of storage that outlives the params.
    template <class S>
    requires std::is_same_v<std::remove_cv_t<S>, std::string>
    static QueryParams parse(S&& temporary) = delete;
    /// Deleted, as parse(S&&) is.
    template <class S>
    requires std::is_same_v<std::remove_cv_t<S>, std::string>
    static QueryParams parse_form(S&& temporary) = delete;

    /// The value of the first pair whose decoded key equals `key` (case-sensitive), or nullopt.
    std::optional<std::string_view> get(std::string_view key) const noexcept;

    /// The values of every pair whose key equals `key`, in input order.
    std::vector<std::string_view> get_all(std::string_view key) const;

    /// True when some pair has the key `key` (even with an empty value, as "flag" has).
    bool has(std::string_view key) const noexcept { return get(key).has_value(); }

    /// The number of pairs, duplicates included.
    std::size_t size() const noexcept { return entries_.size(); }
    /// True when there are no pairs.
    bool empty() const noexcept { return entries_.empty(); }

    /// The i-th pair in input order; `i` must be less than size().
    value_type operator[](std::size_t i) const noexcept {
        const Entry& e = entries_[i];
        return {view(e.key), view(e.value)};
    }

    const_iterator begin() const noexcept { return {this, 0}; }
    const_iterator end() const noexcept { return {this, entries_.size()}; }

  private:
    // Where one decoded key or value lives: in the parsed input, or in decoded_. Offsets rather
    // than views, so that copying or moving decoded_ (SSO included) cannot leave them dangling.
    struct Piece {
        std::size_t offset = 0;
        std::size_t size = 0;
        bool owned = false;  // true: in decoded_; false: in source_
    };
    struct Entry {
        Piece key;
        Piece value;
    };

    std::string_view view(const Piece& p) const noexcept {
        const char* base = p.owned ? decoded_.data() : source_.data();
        return {base + p.offset, p.size};
    }
    Piece add_piece(std::string_view raw);

    std::string_view source_;
    std::string decoded_;
    std::vector<Entry> entries_;
};

}  // namespace gannet
