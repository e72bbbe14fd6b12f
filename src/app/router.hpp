// The router: a radix tree per HTTP method over path segments (docs/routing.md).
//
// Patterns: static segments, "{name}" (any non-empty segment), "{name:int}" (optional '-' and
// decimal digits that fit in int64), "{name:<regex>}" (the whole segment must match), and a
// trailing "{*name}" (the rest of the path, possibly empty, possibly with '/').
// Priority at each segment, independent of registration order:
//   static > typed (int) / regex > plain parameter > wildcard.
// The router stores route ids, not handlers: the App keeps the handler table.
//
// Rules the summary above leaves open:
// - Matching backtracks: "/users/42/profile" reaches "/users/{name}/profile" even when
//   "/users/{id:int}/posts" exists and the int branch only fails at the third segment.
// - Within the typed tier, int comes first, then regexes in the byte order of their source text
//   (not registration order), so the winner never depends on the order of add() calls.
// - Segment parameters (plain, int, regex) never match an empty segment ("/users/" does not
//   match "/users/{id}"); use a wildcard for that.
// - "/assets/{*path}" matches "/assets/", "/assets/a/b.css" and also "/assets" (empty value);
//   an explicit "/assets" route takes precedence over that last form. "/{*all}" matches "/x"
//   and "/" but not "".
// - A pattern may end in '/' (significant: "/users" and "/users/" are different routes) but
//   may not contain "//", '?', '#', spaces or control bytes: such a route could never match.
// - Two routes conflict when, for the same method, they have the same shape: the same static
//   text and the same parameter kinds and constraints in the same places; names do not count.
// - At most 32 parameters per pattern (the search keeps their values in a stack buffer).
// - Methods are RFC 9110 tokens without lowercase letters ("get" is rejected as a likely typo).
//   CONNECT is refused: its target is host:port, which no path pattern matches.
// - Regex constraints use std::regex (ECMAScript, compiled once in add()); matching a regex
//   segment may allocate inside the standard library, and a segment longer than 1024 bytes
//   never matches a regex (libstdc++ recurses per byte). Static, int and plain segments never
//   allocate or touch std::regex.
#pragma once

#include <gannet/detail/route_param.hpp>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace gannet::detail {

// RouteParam (name, raw value) is defined in <gannet/detail/route_param.hpp>.

/// Thrown at registration for a malformed pattern or two routes that shadow each other; the
/// message names the pattern(s) and the method.
class RouteError : public std::invalid_argument {
  public:
    using std::invalid_argument::invalid_argument;
};

enum class MatchKind : std::uint8_t { found, method_not_allowed, not_found };

class Router {
  public:
    Router();
    ~Router();
    Router(Router&&) noexcept;
    Router& operator=(Router&&) noexcept;

    /// Registers `pattern` for `method` (an uppercase token such as "GET") with `id`.
    /// Throws RouteError on a malformed pattern or method, or a conflict with an earlier route;
    /// the router is then unchanged.
    void add(std::string_view method, std::string_view pattern, std::uint32_t id);

    /// Matches `path` for `method`. On `found`, sets `id` and appends the parameters to `params`
    /// (cleared first). HEAD falls back to GET when no HEAD route matches. `method_not_allowed`
    /// when the path matches under some other method. Allocates nothing when `params` has
    /// capacity.
    MatchKind match(std::string_view method, std::string_view path, std::uint32_t& id,
                    std::vector<RouteParam>& params) const;

    /// The methods whose routes match `path`, as an Allow header value: sorted, comma-space
    /// separated, with HEAD added where GET is present and OPTIONS always added, e.g.
    /// "GET, HEAD, OPTIONS, POST". Empty when no route matches the path.
    std::string allowed_methods(std::string_view path) const;

  private:
    // Behind a pointer so that <regex> stays out of this header. A moved-from Router matches
    // nothing and accepts new routes.
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace gannet::detail
