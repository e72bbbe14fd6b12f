#include "sse/encoder.hpp"

#include <stdexcept>

namespace gannet::sse {

namespace {

void append_field(std::string_view name, std::string_view value, std::string& out) {
    out += name;
    out += ':';
    if (!value.empty()) {
        out += ' ';  // the client strips exactly one leading space
        out += value;
    }
    out += '\n';
}

}  // namespace

void validate(const Event& event) {
    if (event.event.find_first_of("\r\n") != std::string_view::npos) {
        throw std::invalid_argument("gannet: an SSE event name must not contain CR or LF");
    }
    if (event.id.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
        throw std::invalid_argument("gannet: an SSE event id must not contain CR, LF or NUL");
    }
    if (event.retry && event.retry->count() < 0) {
        throw std::invalid_argument("gannet: an SSE retry delay must not be negative");
    }
}

void append_event(const Event& event, std::string& out) {
    validate(event);
    out.reserve(out.size() + event.data.size() + event.event.size() + event.id.size() + 32);
    if (event.retry) append_field("retry", std::to_string(event.retry->count()), out);
    if (!event.event.empty()) append_field("event", event.event, out);
    if (!event.id.empty()) append_field("id", event.id, out);
    // Without a data line the client dispatches nothing: an event of only id and/or retry is a
    // bookkeeping record; anything else (even empty data) is a message.
    bool bookkeeping =
        event.data.empty() && event.event.empty() && (!event.id.empty() || event.retry.has_value());
    if (!bookkeeping) {
        for_each_line(event.data, [&](std::string_view line) { append_field("data", line, out); });
    }
    out += '\n';
}

void append_comment(std::string_view text, std::string& out) {
    for_each_line(text, [&](std::string_view line) { append_field("", line, out); });
}

}  // namespace gannet::sse
