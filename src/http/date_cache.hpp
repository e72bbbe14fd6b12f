// HTTP dates (RFC 9110 section 5.6.7): formatting, parsing, and the per-worker cache that keeps
// the Date header off the request path's cost (docs/architecture.md, "The request path").
#pragma once

#include <array>
#include <cstddef>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace gannet::http {

/// Length of an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT").
inline constexpr std::size_t kHttpDateLength = 29;

/// Writes the IMF-fixdate for `t` (seconds since the Unix epoch, UTC) into `out`, exactly
/// kHttpDateLength bytes, no terminator. IMF-fixdate has a four-digit year, so `t` is clamped to
/// 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z; the output is always 29 bytes.
void format_http_date_to(std::time_t t, char* out) noexcept;

/// The IMF-fixdate for `t` as a string (see format_http_date_to for the clamping).
std::string format_http_date(std::time_t t);

/// Parses an HTTP-date: IMF-fixdate, or one of the obsolete forms a recipient must accept
/// (RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT" and asctime "Sun Nov  6 08:49:37 1994").
///
/// Strict, as RFC 9110 asks: the whole input must match, names are case-sensitive, fields are
/// range-checked (a second of 60 is accepted for leap seconds and rolls into the next minute).
/// The day name must be a real day name but is not checked against the date, as nginx and Go do.
/// A two-digit RFC 850 year is placed in the 100-year window ending 50 years after the current
/// year. Returns nullopt for anything else; callers treat that as "no date".
std::optional<std::time_t> parse_http_date(std::string_view s);

/// As parse_http_date(s), with the current time given for the RFC 850 two-digit year window
/// (for tests).
std::optional<std::time_t> parse_http_date(std::string_view s, std::time_t now);

/// The Date header value for the current second, formatted at most once per second.
///
/// One per worker: not thread-safe, and allocates nothing. The views returned by now() and at()
/// point into this object and stay valid for its lifetime; their bytes are overwritten in place
/// when a later call falls in a different second.
class DateCache {
  public:
    /// Formats the current time, so the first now() on the request path is already cached.
    DateCache() noexcept;

    /// The IMF-fixdate for the current second (CLOCK_REALTIME_COARSE: a vDSO read, no syscall).
    std::string_view now() noexcept;

    /// The IMF-fixdate for `t`, reformatted only when `t` differs from the cached second.
    std::string_view at(std::time_t t) noexcept;

  private:
    std::time_t second_;
    std::array<char, kHttpDateLength> text_{};
};

}  // namespace gannet::http
