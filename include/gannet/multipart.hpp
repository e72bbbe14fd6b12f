// multipart/form-data (RFC 7578 on RFC 2046 section 5.1), streamed with bounded memory.
//
//   app.post("/upload", [](Request& req) -> Task<Response> {
//       MultipartReader form(req);
//       while (auto* part = co_await form.next()) {
//           if (part->filename()) {                     // a file: straight to disk
//               while (auto chunk = co_await part->read()) write(fd, *chunk);
//           } else {
//               std::string value = co_await part->text(64 * 1024);
//           }
//       }
//       if (form.error()) throw HttpError(form.error(), std::string(form.error_message()));
//       co_return Response::text("ok");
//   }, RouteOptions{.max_body = 1ull << 30});
//
// Memory: the reader holds at most one body chunk plus a part's header block (bounded by
// MultipartLimits::max_header_bytes), whatever the size of the parts.
#pragma once

#include <gannet/request.hpp>
#include <gannet/task.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gannet {

/// Bounds on what one multipart body may ask of the server (beyond the route's body limit).
struct MultipartLimits {
    std::size_t max_header_bytes = 8 * 1024;  ///< the header block of one part
    std::size_t max_parts = 1000;             ///< parts in one body
};

/// The boundary parameter of a `multipart/...` Content-Type (quoted or not), or nullopt when
/// the type is not multipart, the parameter is missing, or the boundary is not 1..70
/// characters of RFC 2046's bchars (not ending in a space).
std::optional<std::string> multipart_boundary(std::string_view content_type);

/// The header fields of one part, copied (they outlive the input they were parsed from).
struct PartHeaders {
    std::vector<std::pair<std::string, std::string>> fields;  ///< in order, names as sent
    std::string name;                     ///< Content-Disposition's name parameter
    std::optional<std::string> filename;  ///< filename* (RFC 8187, decoded) or filename
    std::string content_type;             ///< empty when the part has none (text/plain implied)
    /// The first field named `name` (case-insensitive), or nullopt.
    std::optional<std::string_view> get(std::string_view name) const noexcept;
};

/// The multipart parser itself, with no I/O: feed bytes, get events (Beast style).
///
/// Call next() with the unconsumed input; it reports how many bytes it consumed and one event.
/// Keep the bytes it did not consume and call again with more appended. `data` views point into
/// the input given.
class MultipartParser {
  public:
    enum class Event {
        need_more,   ///< consumed what it could; call again with more input
        part_begin,  ///< a part's headers are complete: see headers()
        data,        ///< a piece of the current part's body in `data`
        part_end,    ///< the current part's body is complete
        done,        ///< the close delimiter was seen; anything after it is the epilogue
        error,       ///< malformed or over a limit: see error()
    };
    struct Result {
        Event event = Event::need_more;
        std::size_t consumed = 0;
        std::string_view data;
    };

    /// `boundary` as returned by multipart_boundary().
    explicit MultipartParser(std::string_view boundary, MultipartLimits limits = {});

    Result next(std::string_view input);
    /// The current part's headers (after part_begin, until the next one).
    const PartHeaders& headers() const noexcept { return headers_; }
    /// What went wrong, after an error event.
    std::string_view error() const noexcept { return error_; }
    std::size_t parts() const noexcept { return parts_; }

  private:
    enum class State { start, preamble, after_delimiter, headers, body, done, failed };
    Result fail(const char* why, std::size_t consumed);
    bool parse_headers(std::string_view block);

    std::string delimiter_;  // "\r\n--" boundary
    MultipartLimits limits_;
    State state_ = State::start;
    std::size_t parts_ = 0;
    PartHeaders headers_;
    std::string error_;
};

class MultipartReader;

/// One part of a multipart body, valid until MultipartReader::next() is called again.
class MultipartPart {
  public:
    const PartHeaders& headers() const noexcept;
    std::string_view name() const noexcept { return headers().name; }
    /// Set for file fields. Untrusted: never use it as a path without sanitising it.
    std::optional<std::string_view> filename() const noexcept {
        const auto& f = headers().filename;
        return f ? std::optional<std::string_view>(*f) : std::nullopt;
    }
    std::string_view content_type() const noexcept { return headers().content_type; }
    std::optional<std::string_view> header(std::string_view n) const noexcept {
        return headers().get(n);
    }
    /// The next piece of this part's body (a view valid until the next read or next()), or
    /// nullopt at its end or on an error (MultipartReader::error() tells).
    Task<std::optional<std::string_view>> read();
    /// The rest of this part's body as a string; throws HttpError(413) beyond `max` bytes and
    /// HttpError(error()) when the body is malformed or broken.
    Task<std::string> text(std::size_t max = 1024 * 1024);

  private:
    friend class MultipartReader;
    explicit MultipartPart(MultipartReader* r) noexcept : r_(r) {}
    MultipartReader* r_;
};

/// Reads a multipart/form-data request body part by part, over req.body() (so the route's
/// body limit, timeouts and backpressure apply).
class MultipartReader {
  public:
    /// Takes the boundary from the request's Content-Type; a wrong type or a bad boundary is
    /// reported by error() (415 or 400) and next() then returns null at once.
    explicit MultipartReader(Request& req, MultipartLimits limits = {});
    MultipartReader(const MultipartReader&) = delete;
    MultipartReader& operator=(const MultipartReader&) = delete;

    /// The next part (skipping what is left of the current one), or null at the end of the
    /// body or on an error.
    Task<MultipartPart*> next();
    /// 0 when all is well; otherwise the status to answer: 400 malformed (or truncated), 415
    /// not multipart/form-data, or the body's own error (408, 413, 499).
    int error() const noexcept { return error_; }
    std::string_view error_message() const noexcept { return message_; }

  private:
    friend class MultipartPart;
    Task<MultipartParser::Result> pump();
    Task<std::optional<std::string_view>> read_part();
    void set_error(int status, std::string_view why);

    Request& req_;
    std::optional<MultipartParser> parser_;
    std::string buf_;  // unconsumed input: a partial delimiter or header block, one chunk
    std::size_t pos_ = 0;
    bool eof_ = false;
    bool in_part_ = false;
    bool finished_ = false;
    int error_ = 0;
    std::string message_;
    MultipartPart part_{this};
};

}  // namespace gannet
