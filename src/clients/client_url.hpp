// The URLs the HTTP client accepts and the origins its pools are keyed by (RFC 9110 4.2.1,
// RFC 3986). Only `http`: `https` is refused until the TLS stream exists (the pool and the
// connection hold an io::Stream, so TLS is a second connector, not a change here).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace gannet::clients {

/// Where a connection goes: what a pool is keyed by.
struct Origin {
    std::string scheme;  ///< "http"
    std::string host;    ///< as connected to: a name or an address, IPv6 without brackets
    std::uint16_t port = 0;
    std::string authority;  ///< the Host field: "example.com", "example.com:8080", "[::1]:81"
    std::string key;        ///< "http://example.com:80", unique per origin
};

/// A parsed request URL.
struct Url {
    Origin origin;
    std::string target;  ///< origin-form: "/path?query" ("/" when the URL has no path)
    std::string text;    ///< the URL without its fragment: what error messages name
};

/// Parses an absolute `http://` URL: a host (reg-name, IPv4 or a bracketed IPv6 literal), an
/// optional port (1-65535), a path and a query of visible ASCII; a fragment is dropped. Returns
/// an empty view on success, else the reason ("https is not supported yet", "userinfo in URL").
std::string_view parse_url(std::string_view url, Url& out);

/// Resolves a Location field value against `base` (RFC 3986 5.2, for redirects): an absolute
/// URL, a network-path ("//host/p"), an absolute path or a relative path. Returns the absolute
/// URL text, or an empty string when `location` cannot be used.
std::string resolve_location(const Url& base, std::string_view location);

}  // namespace gannet::clients
