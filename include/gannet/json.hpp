// JSON in and out: request and response helpers on nlohmann::json, and a small writer for flat
// objects on the hot path.
//
//   #include <gannet/json.hpp>     // optional: not part of <gannet/gannet.hpp>
//
//   app.on_error(json_errors());  // errors answered as application/problem+json
//   app.post("/users", [](Request& req) -> Task<Response> {
//       nlohmann::json body = co_await read_json(req);   // 400/413/415 as problem+json
//       if (!body["name"].is_string()) co_return problem(400, "name must be a string");
//       co_return json({{"id", 1}, {"name", body["name"]}}, 201);
//   });
//
// The DOM is nlohmann::json (Debian `nlohmann-json3-dev`, header-only): `j["name"]`,
// `j.value("age", 0)`, `j.dump()` read the way a JavaScript object does. This header is the only
// place Gannet touches it, so the core library builds and links without it; including this
// header needs <nlohmann/json.hpp> on the include path (it is in /usr/include on Debian).
//
// For responses whose shape is fixed and small (the /json benchmark, counters, ids), JsonWriter
// serializes a flat object straight into a string with no DOM, and Response::json(string_view)
// takes pre-serialized JSON as it is.
#pragma once

#include <gannet/app.hpp>
#include <gannet/request.hpp>
#include <gannet/response.hpp>
#include <gannet/task.hpp>

// src/app/json.cpp defines GANNET_JSON_NO_NLOHMANN: the library's own part of this header needs
// no JSON library, so building libgannet does not need one either.
#ifndef GANNET_JSON_NO_NLOHMANN
#include <nlohmann/json.hpp>
#endif

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

namespace gannet {

/// An RFC 9457 problem document (`application/problem+json`):
/// `{"type":"about:blank","title":"Bad Request","status":400,"detail":"..."}`. `detail` may be
/// empty (then it is left out); it is escaped, so it may quote client input safely.
Response problem(int status, std::string_view detail = {});

/// An HttpError whose answer is a problem document: thrown by read_json() for a body that is not
/// JSON, and by user code that wants a JSON error. json_errors() turns it (and every other
/// HttpError) into problem(status, message).
class JsonError : public HttpError {
  public:
    JsonError(int status, const std::string& detail) : HttpError(status, detail) {}
};

/// An error hook for App::on_error: every HttpError becomes problem(status, message); any other
/// exception becomes a bare 500 problem (the details go to the log, never to the client).
std::function<Response(Request&, std::exception_ptr)> json_errors();

#ifndef GANNET_JSON_NO_NLOHMANN
/// Serializes `value` as the body of an `application/json` response.
inline Response json(const nlohmann::json& value, int status = 200) {
    // error_handler_t::replace: a string holding invalid UTF-8 becomes U+FFFD rather than a
    // throw in the middle of answering.
    return Response::json(value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                          status);
}
#endif  // GANNET_JSON_NO_NLOHMANN

namespace detail {

/// Throws JsonError(415) unless the Content-Type is absent, application/json or a `+json` type.
void check_json_content_type(const Request& req);
/// Throws JsonError(400) when arrays and objects nest deeper than `max_depth` (the DOM is fine
/// with deep input, but serializing it again recurses once per level).
void check_json_depth(std::string_view text, std::size_t max_depth);
/// The message of a nlohmann parse error without its "[json.exception...]" prefix.
std::string json_parse_detail(const char* what);

}  // namespace detail

/// The deepest nesting read_json() accepts.
inline constexpr std::size_t kMaxJsonDepth = 256;

#ifndef GANNET_JSON_NO_NLOHMANN
/// Reads the whole body (up to the route's body limit) and parses it as JSON. Throws JsonError:
/// 415 when the Content-Type says it is something else, 400 for malformed or too deeply nested
/// JSON (the detail says where), and HttpError 413/408/400 when the body itself fails (over the
/// limit, too slow, cut short). An empty body is malformed JSON.
inline Task<nlohmann::json> read_json(Request& req) {
    detail::check_json_content_type(req);
    std::string text = co_await req.text();
    detail::check_json_depth(text, kMaxJsonDepth);
    nlohmann::json value = nlohmann::json::parse(text, nullptr, false);
    if (value.is_discarded()) {
        // Parse again, for the error's position: only on the error path, which is rare.
        std::string detail;
        try {
            [[maybe_unused]] auto ignored = nlohmann::json::parse(text);
        } catch (const nlohmann::json::parse_error& e) {
            detail = detail::json_parse_detail(e.what());
        }
        throw JsonError(400, detail.empty() ? std::string("malformed JSON") : detail);
    }
    co_return value;
}
#endif  // GANNET_JSON_NO_NLOHMANN

/// A flat JSON object written straight into a string: no DOM, one buffer, keys and strings
/// escaped (invalid UTF-8 becomes U+FFFD). For small answers on hot paths.
///
///   return JsonWriter().field("id", id).field("name", name).response();
class JsonWriter {
  public:
    JsonWriter() { out_.push_back('{'); }

    JsonWriter& field(std::string_view key, std::string_view value);
    JsonWriter& field(std::string_view key, const char* value) {
        return field(key, std::string_view(value));
    }
    JsonWriter& field(std::string_view key, const std::string& value) {
        return field(key, std::string_view(value));
    }
    JsonWriter& field(std::string_view key, std::int64_t value);
    JsonWriter& field(std::string_view key, std::uint64_t value);
    JsonWriter& field(std::string_view key, int value) {
        return field(key, static_cast<std::int64_t>(value));
    }
    JsonWriter& field(std::string_view key, unsigned value) {
        return field(key, static_cast<std::uint64_t>(value));
    }
    /// A non-finite double is written as null, as JSON.stringify does.
    JsonWriter& field(std::string_view key, double value);
    JsonWriter& field(std::string_view key, bool value);
    JsonWriter& null_field(std::string_view key);
    /// `json` must already be valid JSON (a nested object or array serialized elsewhere).
    JsonWriter& raw_field(std::string_view key, std::string_view json);

    /// The object so far, closed: `{"id":1}`. The writer is empty after it (moved from).
    std::string str();
    /// An application/json response with the object.
    Response response(int status = 200);

  private:
    void key(std::string_view k);
    std::string out_;
};

}  // namespace gannet
