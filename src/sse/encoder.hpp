// The text/event-stream wire format (WHATWG HTML, "Server-sent events", "Interpreting an event
// stream"): pure functions with no I/O, so that the framing is tested byte by byte.
#pragma once

#include <gannet/sse.hpp>

#include <string>
#include <string_view>

namespace gannet::sse {

/// Throws std::invalid_argument when `event` cannot be framed: CR or LF in `event.event` or
/// `event.id`, NUL in `event.id`, a negative retry.
void validate(const Event& event);

/// Appends `event`, ended by the blank line that dispatches it. `data` is split on CRLF, CR and
/// LF into one `data:` line per line. Validates first (see validate()).
void append_event(const Event& event, std::string& out);

/// Appends a comment: one `:` line per line of `text` (an empty text gives a bare `:`).
void append_comment(std::string_view text, std::string& out);

/// Calls `line(view)` for every line of `text`, splitting on CRLF, CR and LF; a text ending in
/// a line break has an empty last line. An empty text is one empty line.
template <class F>
void for_each_line(std::string_view text, F&& line) {
    std::size_t start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c != '\r' && c != '\n') continue;
        line(text.substr(start, i - start));
        if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
        start = i + 1;
    }
    line(text.substr(start));
}

}  // namespace gannet::sse
