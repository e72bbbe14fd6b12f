#include <gannet/multipart.hpp>
#include <gannet/url.hpp>

#include <algorithm>

namespace gannet {

namespace {

char lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

bool is_ows(char c) noexcept {
    return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
    return s;
}

bool is_tchar(char c) noexcept {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_bchar(char c) noexcept {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

// Splits "type/sub; a=1; b=\"x\"" into the media type and (name, value) parameters, values
// unquoted. Returns false when malformed.
bool parse_params(std::string_view s, std::string_view& type,
                  std::vector<std::pair<std::string, std::string>>& params) {
    std::size_t semi = s.find(';');
    type = trim(s.substr(0, semi));
    if (semi == std::string_view::npos) return true;
    std::size_t i = semi + 1;
    while (i < s.size()) {
        while (i < s.size() && (is_ows(s[i]) || s[i] == ';')) ++i;
        if (i >= s.size()) break;
        std::size_t start = i;
        while (i < s.size() && is_tchar(s[i])) ++i;
        std::string name(s.substr(start, i - start));
        while (i < s.size() && is_ows(s[i])) ++i;
        if (name.empty() || i >= s.size() || s[i] != '=') return false;
        ++i;
        while (i < s.size() && is_ows(s[i])) ++i;
        std::string value;
        if (i < s.size() && s[i] == '"') {
            ++i;
            bool closed = false;
            while (i < s.size() && !closed) {
                if (s[i] == '\\' && i + 1 < s.size()) {
                    value += s[i + 1];
                    i += 2;
                } else if (s[i] == '"') {
                    closed = true;
                    ++i;
                } else {
                    value += s[i++];
                }
            }
            if (!closed) return false;
        } else {
            start = i;
            while (i < s.size() && s[i] != ';' && !is_ows(s[i])) ++i;
            value = std::string(s.substr(start, i - start));
        }
        while (i < s.size() && is_ows(s[i])) ++i;
        if (i < s.size() && s[i] != ';') return false;
        for (auto& ch : name) ch = lower(ch);
        params.emplace_back(std::move(name), std::move(value));
    }
    return true;
}

// RFC 8187 ext-value: charset'lang'pct-encoded. Only UTF-8 (and its ASCII subset) is taken.
std::optional<std::string> decode_ext_value(std::string_view v) {
    std::size_t q1 = v.find('\'');
    if (q1 == std::string_view::npos) return std::nullopt;
    std::size_t q2 = v.find('\'', q1 + 1);
    if (q2 == std::string_view::npos) return std::nullopt;
    std::string_view charset = v.substr(0, q1);
    if (!iequals(charset, "utf-8") && !iequals(charset, "us-ascii")) return std::nullopt;
    return percent_decode(v.substr(q2 + 1));
}

}  // namespace

std::optional<std::string> multipart_boundary(std::string_view content_type) {
    std::string_view type;
    std::vector<std::pair<std::string, std::string>> params;
    if (!parse_params(content_type, type, params)) return std::nullopt;
    if (type.size() < 10 || !iequals(type.substr(0, 10), "multipart/")) return std::nullopt;
    for (auto& [name, value] : params) {
        if (name != "boundary") continue;
        if (value.empty() || value.size() > 70 || value.back() == ' ') return std::nullopt;
        if (!std::all_of(value.begin(), value.end(), is_bchar)) return std::nullopt;
        return value;
    }
    return std::nullopt;
}

std::optional<std::string_view> PartHeaders::get(std::string_view n) const noexcept {
    for (const auto& [k, v] : fields) {
        if (iequals(k, n)) return std::string_view(v);
    }
    return std::nullopt;
}

MultipartParser::MultipartParser(std::string_view boundary, MultipartLimits limits)
    : delimiter_("\r\n--"), limits_(limits) {
    delimiter_ += boundary;
}

MultipartParser::Result MultipartParser::fail(const char* why, std::size_t consumed) {
    state_ = State::failed;
    error_ = why;
    return {Event::error, consumed, {}};
}

bool MultipartParser::parse_headers(std::string_view block) {
    headers_ = PartHeaders{};
    while (!block.empty()) {
        std::size_t eol = block.find("\r\n");
        std::string_view line = block.substr(0, eol);
        block = eol == std::string_view::npos ? std::string_view() : block.substr(eol + 2);
        std::size_t colon = line.find(':');
        if (colon == 0 || colon == std::string_view::npos) return false;
        std::string_view name = line.substr(0, colon);
        if (!std::all_of(name.begin(), name.end(), is_tchar)) return false;  // also obs-fold
        std::string_view value = trim(line.substr(colon + 1));
        for (char c : value) {
            if (c == '\0' || c == '\r' || c == '\n') return false;
        }
        headers_.fields.emplace_back(std::string(name), std::string(value));
    }
    if (auto cd = headers_.get("Content-Disposition")) {
        std::string_view type;
        std::vector<std::pair<std::string, std::string>> params;
        if (!parse_params(*cd, type, params)) return false;
        std::optional<std::string> ext;
        for (auto& [k, v] : params) {
            if (k == "name") headers_.name = v;
            if (k == "filename") headers_.filename = v;
            if (k == "filename*") ext = decode_ext_value(v);
        }
        if (ext) headers_.filename = std::move(ext);
    }
    if (auto ct = headers_.get("Content-Type")) headers_.content_type = std::string(*ct);
    return true;
}

MultipartParser::Result MultipartParser::next(std::string_view in) {
    std::size_t used = 0;
    const std::string_view delim = delimiter_;
    const std::string_view dash_boundary = delim.substr(2);  // "--boundary"
    while (true) {
        std::string_view rest = in.substr(used);
        switch (state_) {
            case State::start:
                // The first delimiter may open the body without a CRLF before it.
                if (rest.size() < dash_boundary.size()) {
                    if (dash_boundary.substr(0, rest.size()) != rest) {
                        state_ = State::preamble;
                        continue;
                    }
                    return {Event::need_more, used, {}};
                }
                if (rest.substr(0, dash_boundary.size()) == dash_boundary) {
                    used += dash_boundary.size();
                    state_ = State::after_delimiter;
                } else {
                    state_ = State::preamble;
                }
                continue;
            case State::preamble: {
                std::size_t at = rest.find(delim);
                if (at == std::string_view::npos) {
                    // Discard the preamble but keep what could start a delimiter.
                    std::size_t keep = std::min(rest.size(), delim.size() - 1);
                    return {Event::need_more, used + rest.size() - keep, {}};
                }
                used += at + delim.size();
                state_ = State::after_delimiter;
                continue;
            }
            case State::after_delimiter: {
                if (rest.size() < 2) return {Event::need_more, used, {}};
                if (rest[0] == '-' && rest[1] == '-') {
                    state_ = State::done;
                    return {Event::done, used + 2, {}};
                }
                std::size_t i = 0;
                while (i < rest.size() && is_ows(rest[i])) ++i;  // transport padding
                if (i > 256) return fail("multipart: bad delimiter line", used);
                if (rest.size() - i < 2) return {Event::need_more, used, {}};
                if (rest[i] != '\r' || rest[i + 1] != '\n')
                    return fail("multipart: bad delimiter line", used);
                if (++parts_ > limits_.max_parts) return fail("multipart: too many parts", used);
                used += i + 2;
                state_ = State::headers;
                continue;
            }
            case State::headers: {
                if (rest.size() < 2) return {Event::need_more, used, {}};
                std::size_t end = 0;
                std::size_t skip = 0;
                if (rest.substr(0, 2) == "\r\n") {
                    skip = 2;  // no header fields at all
                } else {
                    end = rest.find("\r\n\r\n");
                    if (end == std::string_view::npos) {
                        if (rest.size() > limits_.max_header_bytes)
                            return fail("multipart: part headers too large", used);
                        return {Event::need_more, used, {}};
                    }
                    if (end > limits_.max_header_bytes)
                        return fail("multipart: part headers too large", used);
                    skip = end + 4;
                }
                if (!parse_headers(rest.substr(0, end)))
                    return fail("multipart: malformed part headers", used);
                state_ = State::body;
                return {Event::part_begin, used + skip, {}};
            }
            case State::body: {
                std::size_t at = rest.find(delim);
                if (at == 0) {
                    state_ = State::after_delimiter;
                    return {Event::part_end, used + delim.size(), {}};
                }
                std::size_t n = at;
                if (at == std::string_view::npos) {
                    // A delimiter that starts in the last delim-1 bytes starts with CR there.
                    std::size_t tail =
                        rest.size() > delim.size() - 1 ? rest.size() - (delim.size() - 1) : 0;
                    std::size_t cr = rest.find('\r', tail);
                    n = cr == std::string_view::npos ? rest.size() : cr;
                }
                if (n == 0) return {Event::need_more, used, {}};
                return {Event::data, used + n, rest.substr(0, n)};
            }
            case State::done:
                return {Event::done, used + rest.size(), {}};
            case State::failed:
                return {Event::error, used, {}};
        }
    }
}

// --- the coroutine side -------------------------------------------------------------------

const PartHeaders& MultipartPart::headers() const noexcept {
    return r_->parser_->headers();
}

Task<std::optional<std::string_view>> MultipartPart::read() {
    return r_->read_part();
}

Task<std::string> MultipartPart::text(std::size_t max) {
    std::string out;
    bool over = false;
    std::optional<std::string_view> chunk = co_await read();
    while (chunk && !over) {
        if (out.size() + chunk->size() > max) {
            over = true;
        } else {
            out.append(*chunk);
            chunk = co_await read();
        }
    }
    if (over) throw HttpError(413, "multipart field too large");
    if (r_->error_ != 0) throw HttpError(r_->error_, r_->message_);
    co_return out;
}

MultipartReader::MultipartReader(Request& req, MultipartLimits limits) : req_(req) {
    auto type = req.header("Content-Type");
    std::string_view media = type ? trim(type->substr(0, type->find(';'))) : std::string_view();
    if (!iequals(media, "multipart/form-data")) {
        set_error(415, "expected a multipart/form-data body");
        return;
    }
    auto boundary = multipart_boundary(*type);
    if (!boundary) {
        set_error(400, "multipart: missing or invalid boundary");
        return;
    }
    parser_.emplace(*boundary, limits);
}

void MultipartReader::set_error(int status, std::string_view why) {
    if (error_ != 0) return;
    error_ = status;
    message_ = std::string(why);
    in_part_ = false;
}

Task<MultipartParser::Result> MultipartReader::pump() {
    using Event = MultipartParser::Event;
    MultipartParser::Result r;
    bool have = false;
    while (!have) {
        r = parser_->next(std::string_view(buf_).substr(pos_));
        pos_ += r.consumed;
        if (r.event == Event::error) {
            set_error(400, parser_->error());
            have = true;
        } else if (r.event != Event::need_more) {
            have = true;
        } else if (eof_) {
            set_error(400, "multipart: body ended before the close delimiter");
            r.event = Event::error;
            have = true;
        } else {
            buf_.erase(0, pos_);  // only a partial delimiter or header block is left
            pos_ = 0;
            std::optional<std::string_view> chunk = co_await req_.body().read();
            if (chunk) {
                buf_.append(*chunk);
            } else {
                eof_ = true;
                if (int e = req_.body().error(); e != 0) {
                    set_error(e, e == 413   ? "request body too large"
                                 : e == 408 ? "request body timed out"
                                            : "request body incomplete");
                    r.event = Event::error;
                    have = true;
                }
            }
        }
    }
    co_return r;
}

Task<std::optional<std::string_view>> MultipartReader::read_part() {
    using Event = MultipartParser::Event;
    std::optional<std::string_view> out;
    if (in_part_ && error_ == 0) {
        MultipartParser::Result r = co_await pump();
        if (r.event == Event::data) {
            out = r.data;
        } else {
            in_part_ = false;  // part_end, or an error already recorded
        }
    }
    co_return out;
}

Task<MultipartPart*> MultipartReader::next() {
    using Event = MultipartParser::Event;
    MultipartPart* out = nullptr;
    while (in_part_ && error_ == 0) {
        std::optional<std::string_view> skipped = co_await read_part();
        (void)skipped;
    }
    if (error_ == 0 && !finished_) {
        MultipartParser::Result r = co_await pump();
        if (r.event == Event::part_begin) {
            in_part_ = true;
            out = &part_;
        } else if (r.event == Event::done) {
            finished_ = true;
            // Read the epilogue (usually a CRLF) so the connection can be kept alive.
            while (!eof_) {
                std::optional<std::string_view> rest = co_await req_.body().read();
                if (!rest) eof_ = true;
            }
        }
    }
    co_return out;
}

}  // namespace gannet
