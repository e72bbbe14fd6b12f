// The pure parts of static file serving (no I/O): request-path normalisation, byte ranges
// (RFC 9110 section 14), entity tags and the evaluation of conditional requests (RFC 9110
// section 13). App::static_files (src/app/app_static.cpp) does the file system work.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace gannet::http {

/// A request path below the static root, checked and decoded.
struct StaticPath {
    std::string relative;         ///< "a/b.css"; empty for the root itself. Never starts with '/'.
    bool trailing_slash = false;  ///< the request named a directory ("a/")
    bool dotfile = false;         ///< some segment starts with '.'
};

/// Checks and decodes `raw`, the still percent-encoded rest of the path after the mount prefix
/// ("", "/", "/a/b%20c.css"). Each '/'-separated segment is decoded on its own, so "%2F" can
/// never make a separator. Returns nullopt (answer 404) for: a malformed escape; a decoded NUL,
/// '/' or '\\'; an empty segment ("a//b", a leading "//"), "." or ".." (encoded or not).
std::optional<StaticPath> normalize_static_path(std::string_view raw);

/// A byte range to send: `first` .. `first + length - 1`.
struct ByteRange {
    std::uint64_t first = 0;
    std::uint64_t length = 0;
};

/// How a Range header applies to a representation of `size` bytes.
struct RangeResult {
    enum class Kind {
        none,           ///< absent, not "bytes=", malformed, or several ranges: send it all (200)
        single,         ///< one satisfiable range: 206 with `range`
        unsatisfiable,  ///< 416 with "Content-Range: bytes */size"
    };
    Kind kind = Kind::none;
    ByteRange range;
};

/// Parses a Range header value ("bytes=0-99", "bytes=100-", "bytes=-100") against `size`.
/// Several ranges ("bytes=0-1,5-6") are answered with the whole representation (RFC 9110
/// allows ignoring Range; multipart/byteranges is not produced). A malformed header is ignored.
/// A last-byte position past the end is clamped; a first-byte position at or past the end, and
/// a suffix of length 0, are unsatisfiable.
RangeResult parse_range(std::string_view header, std::uint64_t size);

/// A strong entity tag from the file's size and modification time in nanoseconds:
/// "\"<size hex>-<mtime ns hex>\"".
std::string make_etag(std::uint64_t size, std::int64_t mtime_ns);

/// If-None-Match (weak comparison): true when `header` is "*" or lists `etag`.
bool etag_list_matches_weak(std::string_view header, std::string_view etag) noexcept;
/// If-Match (strong comparison): true when `header` is "*" or lists `etag`, not weak.
bool etag_list_matches_strong(std::string_view header, std::string_view etag) noexcept;

/// The conditional request headers that matter for a GET or HEAD of a file.
struct Conditionals {
    std::optional<std::string_view> if_match;
    std::optional<std::string_view> if_none_match;
    std::optional<std::string_view> if_modified_since;
    std::optional<std::string_view> if_unmodified_since;
    std::optional<std::string_view> range;
    std::optional<std::string_view> if_range;
};

/// The validators of the file being served (an empty etag: none is sent).
struct FileValidators {
    std::uint64_t size = 0;
    std::time_t mtime = 0;  ///< seconds, as Last-Modified says
    bool use_mtime = true;  ///< Last-Modified is sent (and so date conditions apply)
    std::string_view etag;  ///< empty when ETags are off
};

/// What to answer, per RFC 9110 section 13.2.2's order: If-Match (412), else
/// If-Unmodified-Since (412); If-None-Match (304) which, when present, makes If-Modified-Since
/// ignored; then Range, applied only when If-Range (if any) matches: a strong ETag compared
/// strongly, or a date equal to Last-Modified.
struct StaticDecision {
    int status = 200;  ///< 200, 206, 304, 412 or 416
    ByteRange range;   ///< for 200 the whole file, for 206 the range
};
StaticDecision evaluate_conditionals(const Conditionals& c, const FileValidators& v);

}  // namespace gannet::http
