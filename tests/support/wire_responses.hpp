// Parses HTTP/1.1 responses as a strict client reads them off the wire, for tests that check
// what a connection wrote: status line, header fields, and a body framed by Content-Length,
// chunked coding (its chunk sizes and trailer fields kept) or the end of the connection.
// Interim (1xx) responses are returned as responses of their own.
#pragma once

#include <gannet/http_types.hpp>

#include <charconv>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gannet::test {

struct WireResponse {
    std::string version;  ///< "HTTP/1.1"
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    bool chunked = false;
    std::vector<std::size_t> chunk_sizes;  ///< chunked: the size of each chunk, in order
    std::vector<std::pair<std::string, std::string>> trailers;

    /// The first field named `name` (case-insensitive), or nullopt.
    std::optional<std::string> header(std::string_view name) const {
        for (const auto& [n, v] : headers) {
            if (http::iequals(n, name)) return v;
        }
        return std::nullopt;
    }
    std::optional<std::string> trailer(std::string_view name) const {
        for (const auto& [n, v] : trailers) {
            if (http::iequals(n, name)) return v;
        }
        return std::nullopt;
    }
    /// True when a Connection field says close.
    bool closes() const {
        return header("Connection").value_or("").find("close") != std::string::npos;
    }
};

struct WireParse {
    std::vector<WireResponse> responses;  ///< the complete ones, in order
    std::size_t used = 0;                 ///< bytes they took
    std::string error;                    ///< non-empty when the bytes are not HTTP
};

namespace detail {

inline std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Parses "Name: value" lines in `block` (CRLF-separated, no final empty line).
inline bool parse_fields(std::string_view block,
                         std::vector<std::pair<std::string, std::string>>& out) {
    while (!block.empty()) {
        std::size_t eol = block.find("\r\n");
        std::string_view line = block.substr(0, eol);
        block = eol == std::string_view::npos ? std::string_view() : block.substr(eol + 2);
        std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) return false;
        out.emplace_back(std::string(line.substr(0, colon)),
                         std::string(trim_ows(line.substr(colon + 1))));
    }
    return true;
}

}  // namespace detail

/// Parses the responses at the start of `wire`. `methods[i]` is the method of the request that
/// the i-th final response answers ("GET" when not given): a response to HEAD has no body.
/// With `eof`, the bytes end where the connection ended (a body without framing ends there).
inline WireParse parse_responses(std::string_view wire,
                                 const std::vector<std::string>& methods = {}, bool eof = false) {
    WireParse out;
    std::size_t pos = 0;
    std::size_t final_index = 0;
    while (pos < wire.size()) {
        std::size_t end = wire.find("\r\n\r\n", pos);
        if (end == std::string_view::npos) break;
        std::string_view head = wire.substr(pos, end - pos);
        std::size_t eol = head.find("\r\n");
        std::string_view status_line = head.substr(0, eol);
        WireResponse r;
        if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." ||
            status_line[8] != ' ') {
            out.error = "bad status line: " + std::string(status_line);
            break;
        }
        r.version = std::string(status_line.substr(0, 8));
        auto [p, ec] = std::from_chars(status_line.data() + 9, status_line.data() + 12, r.status);
        if (ec != std::errc() || p != status_line.data() + 12) {
            out.error = "bad status code: " + std::string(status_line);
            break;
        }
        if (eol != std::string_view::npos &&
            !detail::parse_fields(head.substr(eol + 2), r.headers)) {
            out.error = "bad header field in: " + std::string(head);
            break;
        }
        std::size_t body_at = end + 4;
        if (r.status < 200) {  // interim: no body, not the answer to a request
            out.responses.push_back(std::move(r));
            pos = body_at;
            out.used = pos;
            continue;
        }
        std::string method = final_index < methods.size() ? methods[final_index] : "GET";
        bool no_body = method == "HEAD" || r.status == 204 || r.status == 304;
        auto te = r.header("Transfer-Encoding");
        auto cl = r.header("Content-Length");
        if (no_body) {
            pos = body_at;
        } else if (te) {
            if (*te != "chunked") {
                out.error = "unexpected Transfer-Encoding: " + *te;
                break;
            }
            r.chunked = true;
            std::size_t at = body_at;
            bool complete = false;
            bool bad = false;
            for (;;) {
                std::size_t line_end = wire.find("\r\n", at);
                if (line_end == std::string_view::npos) break;
                std::string_view size_line = wire.substr(at, line_end - at);
                std::size_t size = 0;
                auto [sp, sec] = std::from_chars(size_line.data(),
                                                 size_line.data() + size_line.size(), size, 16);
                if (sec != std::errc() ||
                    (sp != size_line.data() + size_line.size() && *sp != ';')) {
                    bad = true;
                    break;
                }
                at = line_end + 2;
                if (size == 0) {
                    std::size_t trailers_end = wire.find("\r\n", at);
                    if (trailers_end == std::string_view::npos) break;
                    if (trailers_end != at) {
                        trailers_end = wire.find("\r\n\r\n", at);
                        if (trailers_end == std::string_view::npos) break;
                        if (!detail::parse_fields(wire.substr(at, trailers_end - at), r.trailers)) {
                            bad = true;
                            break;
                        }
                        at = trailers_end + 4;
                    } else {
                        at += 2;
                    }
                    complete = true;
                    break;
                }
                if (wire.size() < at + size + 2) break;
                if (wire.substr(at + size, 2) != "\r\n") {
                    bad = true;
                    break;
                }
                r.body.append(wire.substr(at, size));
                r.chunk_sizes.push_back(size);
                at += size + 2;
            }
            if (bad) {
                out.error = "bad chunked framing";
                break;
            }
            if (!complete) break;
            pos = at;
        } else if (cl) {
            std::size_t n = 0;
            auto [cp, cec] = std::from_chars(cl->data(), cl->data() + cl->size(), n);
            if (cec != std::errc() || cp != cl->data() + cl->size()) {
                out.error = "bad Content-Length: " + *cl;
                break;
            }
            if (wire.size() - body_at < n) break;
            r.body = std::string(wire.substr(body_at, n));
            pos = body_at + n;
        } else {
            if (!eof) break;  // the body ends with the connection
            r.body = std::string(wire.substr(body_at));
            pos = wire.size();
        }
        out.responses.push_back(std::move(r));
        out.used = pos;
        ++final_index;
    }
    return out;
}

}  // namespace gannet::test
