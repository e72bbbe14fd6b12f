// Cookies (RFC 6265): reading the Cookie request header and building Set-Cookie values.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gannet {

/// The cookies of a Cookie header ("a=1; b=2"), in order, duplicates kept.
///
/// Tolerant where browsers and scripts are sloppy, strict where a guess could mislead:
/// - pairs are separated by ';' with optional spaces or tabs ("a=1;b=2" works); whitespace
///   around names and values is trimmed;
/// - a value wrapped in double quotes has them removed ("a=\"x y\"" gives `x y`); other bytes,
///   including spaces, commas and UTF-8 set by document.cookie, are kept as sent;
/// - a pair is skipped when it has no '=', an empty name or a name that is not an RFC 9110
///   token, or a control character in its value. The other pairs are still returned.
///
/// The views point into `header`. When a name repeats, browsers send the most specific (longest
/// path) cookie first, so the first match is usually the one wanted.
std::vector<std::pair<std::string_view, std::string_view>> parse_cookie_header(
    std::string_view header);

/// The value of the first cookie named `name` (case-sensitive) in a Cookie header, by the rules
/// of parse_cookie_header(), without allocating. The view points into `header`.
std::optional<std::string_view> find_cookie(std::string_view header,
                                            std::string_view name) noexcept;

/// The SameSite attribute (RFC 6265bis section 4.1.2.7).
enum class SameSite : std::uint8_t { strict, lax, none };

/// Builds a Set-Cookie header value, validating as it goes.
///
/// Every problem throws std::invalid_argument at the call that introduces it, with a message
/// that names the cookie and the problem: the name must be a token; the value must be
/// cookie-octets, optionally in double quotes (RFC 6265 section 4.1.1; percent-encode anything
/// else); Path and Domain must be non-empty ASCII with no ';' or control characters, and Path
/// must start with '/'.
///
/// Requirements that a browser enforces by silently dropping the cookie are met instead:
/// Secure is sent whenever SameSite=None, Partitioned, or a "__Secure-" or "__Host-" name
/// prefix asks for it; a "__Host-" cookie gets "Path=/" and rejects any other Path or a Domain.
class SetCookie {
  public:
    /// A session cookie `name=value` with no attributes.
    SetCookie(std::string name, std::string value);

    /// Sets Path; throws std::invalid_argument if it is not a valid path (see the class).
    SetCookie& path(std::string path);
    /// Sets Domain; throws std::invalid_argument if invalid, or for a "__Host-" cookie.
    SetCookie& domain(std::string domain);
    /// Sets Max-Age. Zero or negative asks the browser to delete the cookie now, and is sent as
    /// "Max-Age=0".
    SetCookie& max_age(std::chrono::seconds age);
    /// Sets Expires (seconds precision; years outside 0001..9999 are clamped). Browsers prefer
    /// Max-Age when both are set; Expires helps only very old clients.
    SetCookie& expires(std::chrono::system_clock::time_point when);
    /// Sets Secure: the cookie is only sent over HTTPS.
    SetCookie& secure();
    /// Sets HttpOnly: the cookie is hidden from document.cookie.
    SetCookie& http_only();
    /// Sets SameSite. SameSite::none also makes the cookie Secure, as browsers require.
    SetCookie& same_site(SameSite mode);
    /// Sets Partitioned (CHIPS), which also makes the cookie Secure, as browsers require.
    SetCookie& partitioned();

    /// The cookie's name.
    const std::string& name() const noexcept { return name_; }
    /// The cookie's value, as it will be sent.
    const std::string& value() const noexcept { return value_; }

    /// The header value, e.g. "sid=abc; Path=/; Max-Age=3600; Secure; HttpOnly; SameSite=Lax".
    std::string to_string() const;

  private:
    std::string name_;
    std::string value_;
    std::string path_;
    std::string domain_;
    std::optional<std::int64_t> max_age_;
    std::optional<std::time_t> expires_;
    std::optional<SameSite> same_site_;
    bool secure_ = false;
    bool http_only_ = false;
    bool partitioned_ = false;
    bool host_prefix_ = false;    // name starts with "__Host-"
    bool secure_prefix_ = false;  // name starts with "__Secure-"
};

}  // namespace gannet
