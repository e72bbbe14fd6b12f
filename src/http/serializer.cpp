#include "http/serializer.hpp"

#include <gannet/http_types.hpp>

#include <array>
#include <charconv>
#include <cstring>

namespace gannet::http {

namespace {

// "HTTP/1.1 200 OK\r\n" for every status 100-599, built once: the hot path copies it.
struct StatusLines {
    std::array<std::string, 600> lines;
    StatusLines() {
        for (int s = 100; s < 600; ++s) {
            std::string line = "HTTP/1.1 ";
            line += std::to_string(s);
            line += ' ';
            line += reason_phrase(s);
            line += "\r\n";
            lines[static_cast<std::size_t>(s)] = std::move(line);
        }
    }
};

void append_status_line(int status, std::string& out) {
    static const StatusLines table;
    if (status >= 100 && status < 600) {
        out += table.lines[static_cast<std::size_t>(status)];
    } else {
        out += "HTTP/1.1 ";
        out += std::to_string(status);
        out += " Unknown\r\n";
    }
}

void append_number(std::uint64_t n, std::string& out) {
    char buf[24];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, n);
    out.append(buf, static_cast<std::size_t>(p - buf));
}

void append_fields(const FieldList& fields, std::string& out) {
    for (auto [name, value] : fields) {
        out += name;
        out += ": ";
        out += value;
        out += "\r\n";
    }
}

void append_common(const Response& res, const ResponseContext& ctx, std::string& out) {
    append_status_line(res.status(), out);
    out += "Server: gannet\r\nDate: ";
    out += ctx.date;
    out += "\r\n";
    if (auto ct = res.content_type(); !ct.empty()) {
        out += "Content-Type: ";
        out += ct;
        out += "\r\n";
    }
    append_fields(res.headers(), out);
    if (!ctx.keep_alive) {
        out += "Connection: close\r\n";
    } else if (ctx.version_minor == 0) {
        out += "Connection: keep-alive\r\n";
    }
}

}  // namespace

void serialize(const Response& res, const ResponseContext& ctx, std::string& out) {
    append_common(res, ctx, out);
    std::string_view body = res.body();
    if (status_has_no_body(res.status())) {
        out += "\r\n";
        return;
    }
    out += "Content-Length: ";
    append_number(body.size(), out);
    out += "\r\n\r\n";
    if (!ctx.head_request) out += body;
}

bool serialize_head(const Response& meta, const ResponseContext& ctx,
                    std::optional<std::uint64_t> length, std::string& out) {
    append_common(meta, ctx, out);
    bool chunked = false;
    if (!status_has_no_body(meta.status())) {
        if (length) {
            out += "Content-Length: ";
            append_number(*length, out);
            out += "\r\n";
        } else if (ctx.version_minor >= 1) {
            out += "Transfer-Encoding: chunked\r\n";
            chunked = !ctx.head_request;
        }
    }
    out += "\r\n";
    return chunked;
}

void serialize_upgrade(const Response& head, std::string_view date, std::string& out) {
    append_status_line(101, out);
    out += "Server: gannet\r\nDate: ";
    out += date;
    out += "\r\n";
    append_fields(head.headers(), out);
    out += "Connection: Upgrade\r\n\r\n";
}

void serialize_error(int status, std::string_view reason, std::string_view date, std::string& out) {
    append_status_line(status, out);
    out += "Server: gannet\r\nDate: ";
    out += date;
    out += "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n";
    std::string_view phrase = reason_phrase(status);
    std::size_t len = phrase.size() + 1 + (reason.empty() ? 0 : reason.size() + 2);
    out += "Content-Length: ";
    append_number(len, out);
    out += "\r\n\r\n";
    out += phrase;
    if (!reason.empty()) {
        out += ": ";
        out += reason;
    }
    out += "\n";
}

std::size_t chunk_header(std::size_t size, char (&buf)[kChunkHeaderMax]) noexcept {
    auto [p, ec] = std::to_chars(buf, buf + kChunkHeaderMax - 2, size, 16);
    *p++ = '\r';
    *p++ = '\n';
    return static_cast<std::size_t>(p - buf);
}

void append_chunk(std::string_view data, std::string& out) {
    if (data.empty()) return;
    char head[kChunkHeaderMax];
    out.append(head, chunk_header(data.size(), head));
    out += data;
    out += "\r\n";
}

}  // namespace gannet::http

#include "http/date_cache.hpp"

namespace gannet::http {

std::string_view current_date() noexcept {
    thread_local DateCache cache;
    return cache.now();
}

}  // namespace gannet::http
