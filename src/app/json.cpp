// The parts of <gannet/json.hpp> that need no JSON library: problem documents, the error hook,
// request checks and JsonWriter. (read_json() and json() are inline in the header, so only
// programs that include it need nlohmann::json.)
#define GANNET_JSON_NO_NLOHMANN
#include <gannet/http_types.hpp>
#include <gannet/json.hpp>

#include "http/json_escape.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>

namespace gannet {

namespace {

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

template <class T>
void append_number(std::string& out, T value) {
    char buf[32];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, value);
    (void)ec;  // 32 bytes hold any 64-bit integer and any double's shortest form
    out.append(buf, p);
}

}  // namespace

Response problem(int status, std::string_view detail) {
    std::string body;
    body.reserve(64 + detail.size());
    body += R"({"type":"about:blank","title":)";
    http::append_json_string(body, http::reason_phrase(status));
    body += R"(,"status":)";
    append_number(body, status);
    if (!detail.empty()) {
        body += R"(,"detail":)";
        http::append_json_string(body, detail);
    }
    body += '}';
    Response r = Response::json(body, status);
    r.content_type("application/problem+json");
    return r;
}

std::function<Response(Request&, std::exception_ptr)> json_errors() {
    return [](Request& req, std::exception_ptr e) -> Response {
        try {
            std::rethrow_exception(e);
        } catch (const JsonError& je) {
            // read_json() read the whole body before it threw: the connection stays usable.
            return problem(je.status(), je.what());
        } catch (const HttpError& he) {
            Response r = problem(he.status(), he.what());
            // As the default hook does: the body may be unread or broken, so do not reuse the
            // connection after these.
            if (detail::error_closes_connection(he.status())) r.close();
            return r;
        } catch (...) {
            detail::report_handler_failure(req, std::current_exception());
        }
        return problem(500);
    };
}

namespace detail {

void check_json_content_type(const Request& req) {
    auto type = req.header("Content-Type");
    if (!type) return;
    std::string_view t = *type;
    t = trim(t.substr(0, t.find(';')));
    if (http::iequals(t, "application/json")) return;
    auto slash = t.find('/');
    auto plus = t.rfind('+');
    if (slash != std::string_view::npos && plus != std::string_view::npos && plus > slash &&
        http::iequals(t.substr(plus), "+json")) {
        return;
    }
    throw JsonError(415,
                    "expected Content-Type: application/json, got '" + std::string(*type) + "'");
}

void check_json_depth(std::string_view text, std::size_t max_depth) {
    std::size_t depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (in_string) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth) {
                throw JsonError(400,
                                "JSON nested deeper than " + std::to_string(max_depth) + " levels");
            }
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
}

std::string json_parse_detail(const char* what) {
    std::string_view w = what;
    // "[json.exception.parse_error.101] parse error at line 1, column 2: ..."
    if (!w.empty() && w.front() == '[') {
        auto close = w.find("] ");
        if (close != std::string_view::npos) w.remove_prefix(close + 2);
    }
    return std::string(w);
}

}  // namespace detail

void JsonWriter::key(std::string_view k) {
    if (out_.size() > 1) out_.push_back(',');
    http::append_json_string(out_, k);
    out_.push_back(':');
}

JsonWriter& JsonWriter::field(std::string_view k, std::string_view value) {
    key(k);
    http::append_json_string(out_, value);
    return *this;
}

JsonWriter& JsonWriter::field(std::string_view k, std::int64_t value) {
    key(k);
    append_number(out_, value);
    return *this;
}

JsonWriter& JsonWriter::field(std::string_view k, std::uint64_t value) {
    key(k);
    append_number(out_, value);
    return *this;
}

JsonWriter& JsonWriter::field(std::string_view k, double value) {
    key(k);
    if (std::isfinite(value)) {
        append_number(out_, value);
    } else {
        out_ += "null";
    }
    return *this;
}

JsonWriter& JsonWriter::field(std::string_view k, bool value) {
    key(k);
    out_ += value ? "true" : "false";
    return *this;
}

JsonWriter& JsonWriter::null_field(std::string_view k) {
    key(k);
    out_ += "null";
    return *this;
}

JsonWriter& JsonWriter::raw_field(std::string_view k, std::string_view json) {
    key(k);
    out_ += json;
    return *this;
}

std::string JsonWriter::str() {
    out_.push_back('}');
    return std::move(out_);
}

Response JsonWriter::response(int status) {
    out_.push_back('}');
    return Response::json(out_, status);
}

}  // namespace gannet
