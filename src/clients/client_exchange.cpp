#include "clients/client_exchange.hpp"

#include "clients/client_error.hpp"

#include <gannet/http_types.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>

namespace gannet::detail {

using clients::fail;
using clients::fail_cancelled;

namespace {

// While a write waits for room, it looks this often whether the server answered already (an
// early 413 from a server that stopped reading would otherwise be seen only at io_timeout).
constexpr std::uint64_t kEarlyCheckMs = 50;
// Interim responses (100, 102, 103) skipped before the final one; more is a broken server.
constexpr int kMaxInterim = 16;

std::uint64_t now() noexcept {
    return io::Worker::current()->now_ms();
}

bool is_token_char(unsigned char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c < 0x80 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != 0);
}

bool is_framing_field(std::string_view name) noexcept {
    return http::iequals(name, "content-length") || http::iequals(name, "transfer-encoding");
}

void check_field(std::string_view request, std::string_view name, std::string_view value) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
            return is_token_char(static_cast<unsigned char>(c));
        })) {
        fail(ClientErrorKind::invalid_request, request,
             "invalid header field name '" + std::string(name) + "'");
    }
    // No CR, LF or NUL (request splitting); other control bytes are refused by strict
    // servers, so refuse them here with a clear message.
    for (char ch : value) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c < 0x20 && c != '\t') || c == 0x7F) {
            fail(ClientErrorKind::invalid_request, request,
                 "invalid character in the value of header field '" + std::string(name) + "'");
        }
    }
    if (is_framing_field(name)) {
        fail(ClientErrorKind::invalid_request, request,
             std::string(name) + " is set by the client from the body (use BodySource::length)");
    }
}

}  // namespace

ClientExchange::ClientExchange(std::string request, clients::Url url, Limits limits,
                               const http::ParserLimits& parser_limits) noexcept
    : request_(std::move(request)), url_(std::move(url)), limits_(limits), parser_(parser_limits) {}

ClientExchange::~ClientExchange() {
    if (!lease_.conn) return;
    clients::ClientConn& c = *lease_.conn;
    if (failed_) {
        lease_.conn.reset();
        return;
    }
    // Dropped before the end of the body: reusable only when the rest has arrived already
    // (a response whose status was all the caller needed).
    if (!body_done_ && framing_ == http::ResponseFraming::length && status_ != 0 &&
        c.len - c.pos >= remaining_) {
        c.pos += static_cast<std::size_t>(remaining_);
        remaining_ = 0;
        body_done_ = true;
    }
    if (body_done_) {
        finish();
    } else {
        lease_.conn.reset();  // closes it
    }
}

bool ClientExchange::body_small(std::uint64_t max) const noexcept {
    return framing_ == http::ResponseFraming::none ||
           (framing_ == http::ResponseFraming::length && remaining_ <= max);
}

bool ClientExchange::retryable(ClientErrorKind kind) const noexcept {
    return kind == ClientErrorKind::closed && lease_.reused && received_ == 0 && pulled_ == 0;
}

void ClientExchange::reset_for_retry() noexcept {
    lease_.conn.reset();
    lease_.reused = false;
    sent_ = pulled_ = received_ = 0;
    request_done_ = early_ = peer_closed_ = false;
}

// --- sending --------------------------------------------------------------------------------

void ClientExchange::write_head(const Outgoing& out) {
    std::string& h = lease_.conn->out;
    h.clear();
    h.append(out.method).append(" ").append(out.target).append(" HTTP/1.1\r\n");
    bool has_host = false;
    if (out.fields != nullptr) {
        for (auto [name, value] : *out.fields) {
            check_field(request_, name, value);
            has_host = has_host || http::iequals(name, "host");
        }
    }
    for (const http::Header& f : out.forwarded) {
        has_host = has_host || http::iequals(f.name, "host");
    }
    if (!has_host) h.append("Host: ").append(out.authority).append("\r\n");
    for (const http::Header& f : out.forwarded) {
        if (is_framing_field(f.name)) continue;
        h.append(f.name).append(": ").append(f.value).append("\r\n");
    }
    if (out.fields != nullptr) {
        for (auto [name, value] : *out.fields) {
            h.append(name).append(": ").append(value).append("\r\n");
        }
    }
    if (out.stream != nullptr) {
        if (out.stream->length) {
            h.append("Content-Length: ").append(std::to_string(*out.stream->length)).append("\r\n");
        } else {
            h.append("Transfer-Encoding: chunked\r\n");
        }
    } else if (!out.body.empty() || out.method == "POST" || out.method == "PUT" ||
               out.method == "PATCH") {
        // RFC 9110 8.6: a user agent sends Content-Length for a method that defines a meaning
        // for content, even when it is empty.
        h.append("Content-Length: ").append(std::to_string(out.body.size())).append("\r\n");
    }
    h.append("\r\n");
}

bool ClientExchange::check_early() {
    io::Stream& s = lease_.conn->stream();
    if (!s.readable()) return false;
    clients::ClientConn& c = *lease_.conn;
    if (c.len == c.cap) c.compact();
    if (c.len == c.cap) return true;  // the head fills the buffer: read_head() will say so
    io::IoResult r = s.read({c.buf + c.len, c.cap - c.len});
    if (r.bytes > 0) {
        c.len += r.bytes;
        received_ += r.bytes;
        early_ = true;
        return true;
    }
    if (r.error == io::IoError::would_block) return false;
    peer_closed_ = true;  // read_head() reports it, with whatever came before
    early_ = true;
    return true;
}

Task<bool> ClientExchange::write_all(std::span<std::string_view> pieces) {
    io::Stream& s = lease_.conn->stream();
    std::size_t first = 0;
    std::uint64_t last_progress = now();
    bool stopped = false;
    while (first < pieces.size() && !stopped) {
        io::IoResult r = s.write(pieces.subspan(first));
        sent_ += r.bytes;
        std::size_t moved = r.bytes;
        while (first < pieces.size() && moved >= pieces[first].size()) {
            moved -= pieces[first].size();
            ++first;
        }
        if (first < pieces.size()) pieces[first].remove_prefix(moved);
        if (first == pieces.size()) break;
        if (r.bytes > 0) last_progress = now();
        if (r.error != io::IoError::none && r.error != io::IoError::would_block) {
            // The server closed or reset the connection. If it answered first (an early
            // error status), that answer is what the caller gets.
            if (check_early()) {
                stopped = true;
                continue;
            }
            fail(ClientErrorKind::closed, request_,
                 sent_ == 0
                     ? std::string("while sending the request (nothing was sent)")
                     : "while sending the request (after " + std::to_string(sent_) + " bytes)");
        }
        if (check_early()) {
            stopped = true;
            continue;
        }
        const std::uint64_t t = now();
        const std::uint64_t io_left =
            limits_.io_ms == 0
                ? kEarlyCheckMs
                : (t - last_progress >= limits_.io_ms ? 0 : limits_.io_ms - (t - last_progress));
        if (io_left == 0) fail(ClientErrorKind::io_timeout, request_, "writing the request");
        bool total_binds = false;
        const std::uint64_t wait = clients::bounded_wait(
            std::min(io_left, kEarlyCheckMs), limits_.total_deadline_ms, t, request_, total_binds);
        io::WaitResult w = co_await s.wait_writable(wait);
        if (w == io::WaitResult::cancelled) fail_cancelled(request_, "sending the request");
        if (w == io::WaitResult::timed_out && total_binds) {
            fail(ClientErrorKind::total_timeout, request_, "while sending the request");
        }
    }
    co_return !stopped;
}

Task<void> ClientExchange::send(const Outgoing& out) {
    const std::string& head = lease_.conn->out;
    if (out.stream == nullptr) {
        std::array<std::string_view, 2> pieces{head, out.body};
        bool done = co_await write_all(std::span(pieces.data(), out.body.empty() ? 1 : 2));
        request_done_ = done;
        co_return;
    }
    // A streamed body: the head goes out with the first piece; each further piece is asked
    // for only once the previous one is written (backpressure).
    BodySource& src = *out.stream;
    const bool chunked = !src.length;
    const std::uint64_t declared = chunked ? 0 : *src.length;
    std::uint64_t total = 0;
    bool head_sent = false;
    char size_line[24];
    for (;;) {
        if (head_sent && check_early()) co_return;
        std::optional<std::string_view> piece;
        if (!chunked && total == declared) {
            piece.reset();  // a declared length that is reached ends the body (0: at once)
        } else {
            piece = co_await src.next();
            ++pulled_;
        }
        std::array<std::string_view, 4> pieces;
        std::size_t n = 0;
        if (!head_sent) pieces[n++] = head;
        if (piece) {
            if (piece->empty()) {
                if (head_sent) continue;  // nothing to send (an empty chunk would end the body)
            } else if (chunked) {
                const int k = std::snprintf(size_line, sizeof size_line, "%zx\r\n", piece->size());
                pieces[n++] = std::string_view(size_line, static_cast<std::size_t>(k));
                pieces[n++] = *piece;
                pieces[n++] = "\r\n";
            } else {
                if (piece->size() > declared - total) {
                    fail(ClientErrorKind::invalid_request, request_,
                         "the body source gave more than its declared length of " +
                             std::to_string(declared) + " bytes");
                }
                pieces[n++] = *piece;
            }
            total += piece->size();
        } else {
            if (!chunked && total != declared) {
                fail(ClientErrorKind::invalid_request, request_,
                     "the body source ended after " + std::to_string(total) + " of " +
                         std::to_string(declared) + " declared bytes");
            }
            if (chunked) pieces[n++] = "0\r\n\r\n";
        }
        head_sent = true;
        if (n > 0) {
            bool ok = co_await write_all(std::span(pieces.data(), n));
            if (!ok) co_return;
        }
        if (!piece) break;
        // With a declared length, the producer is not asked again once it is reached: the
        // loop's top ends the body.
    }
    request_done_ = true;
}

// --- the response head ----------------------------------------------------------------------

Task<void> ClientExchange::run(clients::Lease lease, const Outgoing& out) {
    lease_ = std::move(lease);
    lease_.conn->ensure_buffer();
    head_request_ = out.method == "HEAD";
    write_head(out);
    co_await send(out);
    co_await read_head();
}

Task<void> ClientExchange::read_head() {
    clients::ClientConn& c = *lease_.conn;
    const std::uint64_t head_deadline = limits_.head_ms == 0 ? 0 : now() + limits_.head_ms;
    http::ResponseHead head;
    int interim = 0;
    for (;;) {
        const http::ParseResult r =
            parser_.parse(std::string_view(c.buf + c.pos, c.len - c.pos), head, head_request_);
        if (r.status == http::ParseResult::Status::complete) {
            // RFC 9110 15.2: a client skips the 1xx it does not expect (100 Continue after a
            // body it sent anyway, 102, 103 Early Hints); 101 is final for us.
            if (head.status < 200 && head.status != 101) {
                c.pos += r.consumed;
                if (++interim > kMaxInterim) {
                    fail(ClientErrorKind::bad_response, request_, "too many interim responses");
                }
                continue;
            }
            status_ = head.status;
            reason_.assign(head.reason);
            for (const http::Header& h : head.headers) headers_.add(h.name, h.value);
            framing_ = head.framing;
            remaining_ = head.content_length;
            keep_alive_ = head.keep_alive;
            c.pos += r.consumed;
            if (framing_ == http::ResponseFraming::none) body_done_ = true;
            co_return;
        }
        if (r.status == http::ParseResult::Status::error) {
            fail(r.error_status == 431 ? ClientErrorKind::head_too_large
                                       : ClientErrorKind::bad_response,
                 request_, r.reason);
        }
        if (peer_closed_) {
            fail(ClientErrorKind::closed, request_,
                 c.len == c.pos ? std::string("before a byte of response")
                                : "after " + std::to_string(c.len - c.pos) + " bytes of the head");
        }
        const Fill f = co_await fill(head_deadline, ClientErrorKind::head_timeout,
                                     "waiting for the response head");
        if (f != Fill::data) {
            fail(ClientErrorKind::closed, request_,
                 std::string(f == Fill::reset ? "(reset) " : "") +
                     (c.len == c.pos
                          ? "before a byte of response"
                          : "after " + std::to_string(c.len - c.pos) + " bytes of the head"));
        }
    }
}

Task<ClientExchange::Fill> ClientExchange::fill(std::uint64_t phase_deadline_ms,
                                                ClientErrorKind phase_kind, std::string_view step) {
    clients::ClientConn& c = *lease_.conn;
    io::Stream& s = c.stream();
    if (c.pos == c.len) c.pos = c.len = 0;
    if (c.len == c.cap) c.compact();
    for (;;) {
        if (s.readable()) {
            io::IoResult r = s.read({c.buf + c.len, c.cap - c.len});
            if (r.bytes > 0) {
                c.len += r.bytes;
                received_ += r.bytes;
                co_return Fill::data;
            }
            if (r.error == io::IoError::eof) co_return Fill::eof;
            if (r.error != io::IoError::would_block) co_return Fill::reset;
        }
        const std::uint64_t t = now();
        std::uint64_t phase = 0;
        if (phase_deadline_ms != 0) {
            if (t >= phase_deadline_ms) fail(phase_kind, request_, step);
            phase = phase_deadline_ms - t;
        }
        bool total_binds = false;
        const std::uint64_t wait =
            clients::bounded_wait(phase, limits_.total_deadline_ms, t, request_, total_binds);
        io::WaitResult w = co_await s.wait_readable(wait);
        if (w == io::WaitResult::cancelled) fail_cancelled(request_, step);
        if (w == io::WaitResult::timed_out) {
            fail(total_binds ? ClientErrorKind::total_timeout : phase_kind, request_, step);
        }
    }
}

// --- the body -------------------------------------------------------------------------------

void ClientExchange::finish() noexcept {
    body_done_ = true;
    if (!lease_.conn) return;
    const bool reusable = keep_alive_ && request_done_ && !early_ &&
                          framing_ != http::ResponseFraming::until_close && status_ != 101;
    clients::OriginPool& pool = lease_.conn->pool();
    pool.release(std::move(lease_.conn), reusable);
}

Task<std::optional<std::string_view>> ClientExchange::read_body() {
    if (body_done_) {
        finish();
        co_return std::nullopt;
    }
    clients::ClientConn& c = *lease_.conn;
    const std::uint64_t io_deadline = limits_.io_ms == 0 ? 0 : now() + limits_.io_ms;
    switch (framing_) {
        case http::ResponseFraming::none:
            break;
        case http::ResponseFraming::length: {
            if (c.pos == c.len) {
                const Fill f = co_await fill(io_deadline, ClientErrorKind::io_timeout,
                                             "reading the response body");
                if (f != Fill::data) {
                    fail(ClientErrorKind::closed_mid_body, request_,
                         std::to_string(remaining_) + " bytes were still to come");
                }
            }
            const auto n =
                static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, c.len - c.pos));
            std::string_view piece(c.buf + c.pos, n);
            c.pos += n;
            remaining_ -= n;
            if (remaining_ == 0) body_done_ = true;  // released at the next call
            co_return piece;
        }
        case http::ResponseFraming::chunked:
            for (;;) {
                const http::ChunkedDecoder::Result r =
                    chunked_.next(std::string_view(c.buf + c.pos, c.len - c.pos));
                c.pos += r.consumed;
                switch (r.status) {
                    case http::ChunkedDecoder::Result::Status::data:
                        if (!r.data.empty()) co_return r.data;
                        break;
                    case http::ChunkedDecoder::Result::Status::done:
                        for (const auto& [name, value] : chunked_.trailers()) {
                            trailers_.add(name, value);
                        }
                        finish();
                        co_return std::nullopt;
                    case http::ChunkedDecoder::Result::Status::error:
                        fail(ClientErrorKind::bad_response, request_, r.reason);
                    case http::ChunkedDecoder::Result::Status::need_more: {
                        const Fill f = co_await fill(io_deadline, ClientErrorKind::io_timeout,
                                                     "reading the response body");
                        if (f != Fill::data) {
                            fail(ClientErrorKind::closed_mid_body, request_,
                                 "in the middle of the chunked body");
                        }
                        break;
                    }
                }
            }
        case http::ResponseFraming::until_close: {
            if (c.pos == c.len) {
                const Fill f = co_await fill(io_deadline, ClientErrorKind::io_timeout,
                                             "reading the response body");
                if (f == Fill::reset) {
                    fail(ClientErrorKind::closed_mid_body, request_,
                         "reset before the end of a close-delimited body");
                }
                if (f == Fill::eof) break;
            }
            std::string_view piece(c.buf + c.pos, c.len - c.pos);
            c.pos = c.len;
            co_return piece;
        }
    }
    finish();
    co_return std::nullopt;
}

Task<std::string> ClientExchange::text(std::uint64_t max) {
    std::string out;
    if (framing_ == http::ResponseFraming::length) {
        if (remaining_ > max) {
            failed_ = true;
            fail(ClientErrorKind::body_too_large, request_,
                 "Content-Length " + std::to_string(remaining_) + " is over the limit of " +
                     std::to_string(max) + " bytes");
        }
        out.reserve(static_cast<std::size_t>(remaining_));
    }
    while (auto piece = co_await read_body()) {
        if (piece->size() > max - out.size()) {
            failed_ = true;
            fail(ClientErrorKind::body_too_large, request_,
                 "over the limit of " + std::to_string(max) + " bytes");
        }
        out.append(*piece);
    }
    co_return out;
}

ClientExchange::Upgraded ClientExchange::take_upgraded() {
    Upgraded u;
    if (status_ != 101 || !lease_.conn) return u;
    clients::ClientConn& c = *lease_.conn;
    u.buffered.assign(c.buf + c.pos, c.len - c.pos);
    c.pos = c.len;
    u.stream = c.take_stream();
    lease_.conn.reset();  // frees the pool slot; the stream is the caller's now
    body_done_ = true;
    return u;
}

}  // namespace gannet::detail
