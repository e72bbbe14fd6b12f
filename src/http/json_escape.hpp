// JSON string escaping (RFC 8259 section 7) for bodies the framework writes itself, such as
// error responses that echo a path or a header.
#pragma once

#include <string>
#include <string_view>

namespace gannet::http {

/// Appends `s` to `out` as a quoted JSON string.
///
/// Escapes '"' and '\\'; control characters use the short forms JSON.stringify uses (\b \f \n
/// \r \t) and \u00XX otherwise. Input is treated as UTF-8: every ill-formed sequence is replaced
/// by U+FFFD, one per maximal subpart (Unicode 15 section 3.9, the WHATWG decoder's rule), so
/// the output is always valid UTF-8 and valid JSON whatever bytes a client sent. DEL, U+2028 and
/// U+2029 are legal in JSON and are passed through.
void append_json_string(std::string& out, std::string_view s);

}  // namespace gannet::http
