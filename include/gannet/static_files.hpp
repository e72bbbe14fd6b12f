// Options for App::static_files(): serving a directory tree over GET and HEAD.
//
//   app.static_files("/assets", "./public", {.max_age = std::chrono::hours(1)});
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

namespace gannet {

/// What to do with a request for a path that has a segment starting with '.' (".env",
/// ".git/config").
enum class Dotfiles {
    deny,    ///< answer 404, as if it did not exist (the default: existence is not leaked)
    forbid,  ///< answer 403
    allow,   ///< serve it like any other file
};

/// Options for App::static_files().
///
/// Security rules that are not options: the path is percent-decoded once, and a request whose
/// path holds NUL, a backslash, an empty, "." or ".." segment, or a '/' that came from "%2F"
/// is answered 404; so is a file that is not a regular file (a FIFO, a device) and a symlink
/// that leads outside the directory (404 rather than 403, so that nothing outside the root is
/// revealed to exist).
struct StaticOptions {
    /// The file served for a directory ("/docs/" serves "docs/index.html"); empty: none, so a
    /// directory answers 404. A directory requested without its trailing slash is redirected
    /// (301) to the slashed form so that relative links in the index resolve.
    std::string index = "index.html";
    /// When set: `Cache-Control: public, max-age=<seconds>`.
    std::optional<std::chrono::seconds> max_age;
    /// When not empty, sent verbatim as Cache-Control (takes precedence over max_age).
    std::string cache_control;
    /// Send a strong ETag made of the file's size and modification time (nanoseconds), and
    /// answer If-None-Match / If-Match / If-Range with it.
    bool etag = true;
    /// Send Last-Modified and answer If-Modified-Since / If-Unmodified-Since.
    bool last_modified = true;
    /// See Dotfiles.
    Dotfiles dotfiles = Dotfiles::deny;
    /// Follow symlinks whose target stays inside the directory; when false, any symlink on the
    /// path answers 404. Symlinks leading outside the directory are never followed.
    bool follow_symlinks = true;
    /// The most ranges one Range header may ask for. A request for several ranges is answered
    /// 206 with a multipart/byteranges body (RFC 9110 14.6); overlapping ranges, adjacent ones
    /// and ones less than 80 bytes apart are sent as one part, so no byte is sent twice. A
    /// Range header with more ranges than this is ignored: the whole file is sent (200), as
    /// Apache does past MaxRanges and nginx past max_ranges. 0 turns range requests off
    /// (Accept-Ranges: none).
    std::size_t max_ranges = 64;
    /// Run open(2) and fstat(2) on the blocking pool (gannet::offload) instead of on the
    /// worker. Off by default: for files in the page cache the two calls take a few
    /// microseconds, less than the hand-off; turn it on for slow or network file systems.
    bool offload_open = false;
};

}  // namespace gannet
