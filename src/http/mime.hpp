// Content types by file extension, for static files and user code that serves files.
#pragma once

#include <string_view>

namespace gannet::http {

/// The media type to send for a file, chosen by its extension (ASCII case-insensitive).
///
/// Accepts a path ("/assets/app.min.js", "index.HTML") or a bare extension ("css", ".css").
/// The extension is what follows the last '.' of the last '/'-separated segment; input with no
/// '.' at all is taken as a bare extension. A path's dotfile ("/home/.css") has no extension.
/// Textual types carry "; charset=utf-8"; JSON, XML and SVG do not, as their registrations define
/// no charset parameter. Unknown or missing extensions give "application/octet-stream", which
/// browsers download rather than sniff and render. The result points to static storage.
std::string_view mime_type(std::string_view path_or_extension) noexcept;

}  // namespace gannet::http
