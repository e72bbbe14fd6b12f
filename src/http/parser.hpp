// Incremental, zero-copy HTTP/1.1 head parsers (a request's, for the server; a response's, for
// the client) and the chunked body decoder (RFC 9112). No I/O here: the connection feeds bytes
// and acts on the result. Both parsers share the field syntax (http/field_syntax.hpp).
#pragma once

#include <gannet/http_types.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gannet::http {

/// The outcome of one parse call.
struct ParseResult {
    enum class Status : std::uint8_t { complete, incomplete, error };
    Status status = Status::incomplete;
    std::size_t consumed = 0;  ///< complete: bytes of the head, including the final CRLF CRLF
    int error_status = 0;      ///< error: the status code to answer (400, 414, 431, 501, 505, 417)
    std::string_view reason;   ///< error: a short static description, for logs and the body
};

/// Parses a request head.
///
/// parse() is called with the whole buffered input each time more bytes arrive (the buffer
/// grows, its start does not move). It returns `incomplete` until the head is complete, then
/// fills `out` with views into `buffer`. It reports errors as early as it can: a bad method
/// byte or a request line over the target limit is an error before the head is complete.
/// Strictness follows docs/architecture.md, "HTTP rules and limits" (the strictest of nginx, llhttp
/// and Go is the floor).
///
/// Choices where the RFCs leave room: up to four empty lines (8 bytes) before the request line
/// are skipped and count toward max_header_bytes; bare LF is never a line ending; HTTP/1.2 to
/// HTTP/1.9 are processed as HTTP/1.1 (RFC 9110 2.5) and other well-formed major versions
/// (0.9, 2.0, 3.0) get 505; "Content-Length: 0" gives BodyKind::none; repeated Content-Length
/// is 400 even when equal; Transfer-Encoding not ending in chunked is 400, other codings
/// before a final chunked 501; a missing (HTTP/1.1), repeated or malformed Host is 400 in
/// every target form, an empty Host is valid (RFC 9110 7.2); absolute-form accepts only http
/// and https, and its authority, not Host, becomes RequestHead::host; authority-form is taken
/// only with CONNECT (a port required) and CONNECT only with it.
class RequestParser {
  public:
    explicit RequestParser(ParserLimits limits = {}) noexcept : limits_(limits) {}

    /// Parses the head at the start of `buffer` into `out` (cleared first). Stateless: call it
    /// again on the grown buffer after `incomplete`. Allocates nothing once `out.headers` has
    /// grown to the request's field count.
    ParseResult parse(std::string_view buffer, RequestHead& out) const;

    /// The limits this parser enforces.
    const ParserLimits& limits() const noexcept { return limits_; }

  private:
    ParserLimits limits_;
};

/// How a response body is delimited (RFC 9112 section 6.3).
enum class ResponseFraming : std::uint8_t {
    none,         ///< no body: HEAD, 1xx, 204, 304, or Content-Length: 0
    length,       ///< Content-Length bytes
    chunked,      ///< Transfer-Encoding: chunked
    until_close,  ///< neither field: the body ends when the server closes the connection
};

/// The status line and header section of one response, as parsed. Views point into the
/// buffer given to ResponseParser::parse().
struct ResponseHead {
    std::uint8_t version_minor = 1;  ///< 0 or 1 (HTTP/1.2-1.9 give 1)
    int status = 0;                  ///< 100-999
    std::string_view reason;         ///< the reason phrase (may be empty)
    std::vector<Header> headers;     ///< every field, in order received
    ResponseFraming framing = ResponseFraming::none;
    std::uint64_t content_length = 0;  ///< meaningful when framing == length
    /// The connection may carry another request after this response: HTTP/1.1 without
    /// "Connection: close", or HTTP/1.0 with "keep-alive"; never for until_close framing.
    bool keep_alive = true;

    /// Resets every member but keeps the capacity of `headers`.
    void clear() noexcept {
        version_minor = 1;
        status = 0;
        reason = {};
        headers.clear();
        framing = ResponseFraming::none;
        content_length = 0;
        keep_alive = true;
    }
    /// The value of the first field named `name` (case-insensitive), or an empty view.
    std::string_view header(std::string_view name) const noexcept;
};

/// Parses a response head, for the HTTP client, as strictly as RequestParser parses requests
/// and with the same ParserLimits (max_target does not apply).
///
/// The status line is exactly `HTTP/1.x SP 3DIGIT SP reason CRLF` (RFC 9112 4): the space
/// after the code is required even when the reason is empty, the code's first digit is 1-9
/// (RFC 9110 15: 100-599 are defined; 600-999 are kept as given, for the caller to treat as
/// 5xx), another major version is refused. Field lines follow RequestParser's rules, shared
/// code: CRLF only (a bare LF or CR is an error), no obs-fold, no whitespace before the colon,
/// repeated or malformed Content-Length refused even when equal, Transfer-Encoding only in
/// HTTP/1.1, never with Content-Length, ending in chunked (once), other codings refused.
/// Framing (RFC 9112 6.3): a response to HEAD, a 1xx, 204 or 304 has no body whatever its
/// fields say (their framing fields are not checked beyond syntax); then chunked, then
/// Content-Length, else the body runs until the server closes. A 101 must carry Upgrade.
///
/// Errors carry the class a server would answer the same fault in a request with (the proxy
/// maps them all to 502): 431 for a head over max_header_bytes or max_headers, 501 for an
/// unsupported transfer coding, 505 for another HTTP version, 400 for everything malformed.
class ResponseParser {
  public:
    explicit ResponseParser(ParserLimits limits = {}) noexcept : limits_(limits) {}

    /// Parses the head at the start of `buffer` into `out` (cleared first). Stateless, like
    /// RequestParser::parse(): call it again on the grown buffer after `incomplete`.
    /// `head_request`: the request was HEAD, so the response has no body.
    ParseResult parse(std::string_view buffer, ResponseHead& out, bool head_request = false) const;

    const ParserLimits& limits() const noexcept { return limits_; }

  private:
    ParserLimits limits_;
};

/// Decodes a chunked body (RFC 9112 section 7.1) incrementally, in place: data spans it returns
/// are views into the input it was given.
class ChunkedDecoder {
  public:
    struct Result {
        enum class Status : std::uint8_t { data, need_more, done, error };
        Status status = Status::need_more;
        std::size_t consumed = 0;  ///< input bytes used up by this call (always valid)
        std::string_view data;     ///< data: body bytes (a view into the input)
        int error_status = 0;      ///< error: 400; 413 over max_body; 431 over max_trailer_bytes
        std::string_view reason;   ///< error: short static description
    };

    /// `max_body` bounds the decoded size; `max_trailer_bytes` the trailer section.
    explicit ChunkedDecoder(std::uint64_t max_body = UINT64_MAX,
                            std::size_t max_trailer_bytes = 16 * 1024) noexcept
        : max_body_(max_body), max_trailer_bytes_(max_trailer_bytes) {}

    /// Consumes from the front of `in`. Returns at most one span of body data per call; call
    /// again with the rest of the input (`in.substr(consumed)`). `need_more` means every byte
    /// given was consumed (or must be kept: `consumed` says how many may be dropped) and more
    /// input is needed. `done` once the last chunk and the trailer section are consumed.
    Result next(std::string_view in);

    /// Trailer fields received after the last chunk (owned copies: the input is gone by then).
    const std::vector<std::pair<std::string, std::string>>& trailers() const noexcept {
        return trailers_;
    }
    /// Decoded body bytes so far.
    std::uint64_t total() const noexcept { return total_; }
    /// Back to the initial state, for the next request.
    void reset() noexcept;
    /// Changes the bound on the decoded size (a per-route limit known only after routing): a
    /// chunk-size line that would exceed it is refused with 413 before its data arrives.
    void set_max_body(std::uint64_t max_body) noexcept { max_body_ = max_body; }

  private:
    // size: hex digits; size_bws: whitespace after the size (must lead to ';'); ext_*: the
    // chunk-ext grammar of RFC 9112 7.1.1; size_lf: the LF ending the chunk line.
    enum class State : std::uint8_t {
        size,
        size_bws,
        ext_bws,
        ext_name_start,
        ext_name,
        ext_after_name,
        ext_value_start,
        ext_token_value,
        ext_quoted,
        ext_quoted_pair,
        size_lf,
        data,
        data_cr,
        data_lf,
        trailer,
        done,
        error,
    };
    // Bytes of chunk extensions allowed on one chunk line (from the first ';' or BWS to CR).
    static constexpr std::size_t kMaxChunkExtBytes = 1024;

    Result fail(int status, std::string_view reason) noexcept;
    // One byte of a chunk extension; returns a reason when it is invalid.
    std::string_view ext_step(unsigned char c) noexcept;

    State state_ = State::size;
    std::uint64_t chunk_left_ = 0;
    std::uint64_t total_ = 0;
    std::uint64_t max_body_;
    std::size_t max_trailer_bytes_;
    std::size_t size_digits_ = 0;
    std::size_t ext_bytes_ = 0;
    std::size_t trailer_bytes_ = 0;
    int error_status_ = 0;  // sticky: every call after an error repeats it
    std::string_view error_reason_;
    std::string trailer_line_;  // the trailer line being received, CRLF included
    std::vector<std::pair<std::string, std::string>> trailers_;
};

}  // namespace gannet::http
