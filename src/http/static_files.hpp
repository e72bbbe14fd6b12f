// The pure parts of static file serving (no I/O): request-path normalisation, byte ranges
// (RFC 9110 section 14), entity tags and the evaluation of conditional requests (RFC 9110
// section 13). App::static_files (src/app/app_static.cpp) does the file system work.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
    friend bool operator==(const ByteRange&, const ByteRange&) = default;
};

/// The default bound on the ranges of one Range header (the default of the public
/// StaticOptions::max_ranges; keep the two equal): beyond it the header is ignored and the
/// whole representation sent (200). nginx has max_ranges (no bound by default), Apache
/// MaxRanges (200 by default). With coalescing (below) the bound only has to limit the work
/// per request (a write and a sendfile per part); 64 is a choice between the two, and
/// configurable.
constexpr std::size_t kDefaultMaxRanges = 64;

/// Ranges that overlap, touch, or are separated by fewer bytes than this are sent as one part:
/// RFC 9110 14.2 allows coalescing ranges whose gap is smaller than the overhead of another
/// part, and a part's head (delimiter, Content-Type, Content-Range) is always longer. This is
/// also the guard against many small or overlapping ranges (RFC 9110 17.15): after coalescing
/// the parts are disjoint, so the body never holds more file bytes than the file, and each part
/// head is paid for by a gap at least this long.
constexpr std::uint64_t kRangeCoalesceGap = 80;

/// How a Range header applies to a representation of `size` bytes.
struct RangeResult {
    enum class Kind {
        none,           ///< absent, not "bytes=", malformed, or too many ranges: send it all (200)
        single,         ///< one range to send: 206 with `range` (and a Content-Range field)
        multiple,       ///< several: 206 multipart/byteranges with `ranges`
        unsatisfiable,  ///< 416 with "Content-Range: bytes */size"
    };
    Kind kind = Kind::none;
    ByteRange range;                ///< single: the range
    std::vector<ByteRange> ranges;  ///< multiple: two or more disjoint, non-adjacent ranges
};

/// Parses a Range header value ("bytes=0-99", "bytes=100-", "bytes=-100", "bytes=0-9,50-59")
/// against `size` (RFC 9110 14.1.1, 14.2).
///
/// - A malformed header, or one with an invalid range-spec anywhere ("5-1", "a-b"), is ignored
///   (RFC 9110 14.2 allows that), and so is one with more than `max_ranges` range-specs
///   (counted before anything else, so the work per header is bounded); `max_ranges` 0 ignores
///   every Range header. Empty list elements ("bytes=0-1,") are skipped.
/// - A last-byte position past the end is clamped; a first-byte position at or past the end,
///   and a suffix of length 0, are unsatisfiable. Unsatisfiable ranges in a set are dropped
///   (RFC 9110 14.1.1); when none is left: `unsatisfiable`.
/// - One range-spec gives `single`. Several are coalesced (see kRangeCoalesceGap) and, like
///   nginx and RFC 9110 14.2, kept in the order requested (a coalesced part takes the place of
///   its earliest range). If one range is left it is `single`: a 206 with one part, as RFC 9110
///   14.2 and 15.3.7.1 allow, and as nginx does; otherwise `multiple`.
RangeResult parse_range(std::string_view header, std::uint64_t size,
                        std::size_t max_ranges = kDefaultMaxRanges);

/// The layout of a multipart/byteranges body (RFC 9110 14.6), known in full before a byte is
/// sent: `heads[i]` goes before the file bytes of range i, `tail` after the last one, and
/// `content_length` is the exact length of the whole body.
///
///     --BOUNDARY CRLF                      heads[0]
///     Content-Type: text/plain CRLF
///     Content-Range: bytes 0-9/1000 CRLF
///     CRLF
///     <bytes 0-9>
///     CRLF --BOUNDARY CRLF ... CRLF        heads[1] (the CRLF before a delimiter is part of it)
///     <bytes 500-509>
///     CRLF --BOUNDARY-- CRLF               tail
struct MultipartRanges {
    std::string content_type;        ///< "multipart/byteranges; boundary=BOUNDARY"
    std::vector<std::string> heads;  ///< one per range
    std::string tail;
    std::uint64_t content_length = 0;
};

/// Lays out the multipart/byteranges body for `ranges` of a representation of `size` bytes
/// whose own type is `part_type` (each part carries it; none when empty). `boundary` must be
/// 1 to 70 characters of RFC 2046 bchars without a space, and must not occur in the file:
/// pick it at random.
MultipartRanges plan_multipart(const std::vector<ByteRange>& ranges, std::uint64_t size,
                               std::string_view part_type, std::string_view boundary);

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
/// `max_ranges` is passed to parse_range().
struct StaticDecision {
    int status = 200;               ///< 200, 206, 304, 412 or 416
    ByteRange range;                ///< for 200 the whole file, for a one-part 206 the range
    std::vector<ByteRange> ranges;  ///< for a multipart 206: the parts (two or more); empty
                                    ///< otherwise
};
StaticDecision evaluate_conditionals(const Conditionals& c, const FileValidators& v,
                                     std::size_t max_ranges = kDefaultMaxRanges);

}  // namespace gannet::http
