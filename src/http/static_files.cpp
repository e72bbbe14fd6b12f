#include "http/static_files.hpp"

#include "http/date_cache.hpp"

#include <gannet/url.hpp>

#include <charconv>
#include <cstdio>

namespace gannet::http {

namespace {

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool iequals_ascii(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i];
        char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] + 32) : b[i];
        if (x != y) return false;
    }
    return true;
}

// Digits only (no sign, no space), no overflow.
std::optional<std::uint64_t> parse_u64(std::string_view s) noexcept {
    if (s.empty()) return std::nullopt;
    for (char ch : s) {
        if (ch < '0' || ch > '9') return std::nullopt;
    }
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

// Calls fn(tag, weak) for each entity-tag of a list (tag includes its quotes). Stops at the
// first malformed element (which then matches nothing). Returns true as soon as fn does.
template <class F>
bool for_each_etag(std::string_view list, F fn) noexcept {
    std::size_t i = 0;
    while (i < list.size()) {
        char ch = list[i];
        if (ch == ' ' || ch == '\t' || ch == ',') {
            ++i;
            continue;
        }
        bool weak = false;
        if (list.substr(i, 2) == "W/") {
            weak = true;
            i += 2;
        }
        if (i >= list.size() || list[i] != '"') return false;
        std::size_t close = list.find('"', i + 1);
        if (close == std::string_view::npos) return false;
        if (fn(list.substr(i, close - i + 1), weak)) return true;
        i = close + 1;
    }
    return false;
}

}  // namespace

std::optional<StaticPath> normalize_static_path(std::string_view raw) {
    StaticPath out;
    if (raw.empty()) return out;
    if (raw.front() != '/') return std::nullopt;
    raw.remove_prefix(1);
    if (raw.empty()) {
        out.trailing_slash = true;
        return out;
    }
    if (raw.back() == '/') {
        out.trailing_slash = true;
        raw.remove_suffix(1);
    }
    std::string segment;
    while (true) {
        std::size_t slash = raw.find('/');
        std::string_view piece = raw.substr(0, slash);
        if (piece.empty()) return std::nullopt;  // "a//b", "//etc": never an absolute path
        segment.clear();
        if (!percent_decode_into(piece, segment)) return std::nullopt;
        if (segment == "." || segment == "..") return std::nullopt;
        if (segment.find_first_of(std::string_view("\0/\\", 3)) != std::string::npos)
            return std::nullopt;
        if (segment.front() == '.') out.dotfile = true;
        if (!out.relative.empty()) out.relative += '/';
        out.relative += segment;
        if (slash == std::string_view::npos) break;
        raw.remove_prefix(slash + 1);
    }
    return out;
}

RangeResult parse_range(std::string_view header, std::uint64_t size) {
    RangeResult none;
    std::string_view h = trim(header);
    std::size_t eq = h.find('=');
    if (eq == std::string_view::npos || !iequals_ascii(trim(h.substr(0, eq)), "bytes")) return none;
    std::string_view set = h.substr(eq + 1);
    std::string_view spec;
    int count = 0;
    while (!set.empty()) {
        std::size_t comma = set.find(',');
        std::string_view item = trim(set.substr(0, comma));
        if (!item.empty()) {
            spec = item;
            ++count;
        }
        if (comma == std::string_view::npos) break;
        set.remove_prefix(comma + 1);
    }
    if (count != 1) return none;  // malformed (empty) or several ranges: the whole file
    std::size_t dash = spec.find('-');
    if (dash == std::string_view::npos) return none;
    std::string_view a = spec.substr(0, dash);
    std::string_view b = spec.substr(dash + 1);
    RangeResult out;
    if (a.empty()) {
        auto n = parse_u64(b);
        if (!n) return none;
        if (*n == 0 || size == 0) {
            out.kind = RangeResult::Kind::unsatisfiable;
            return out;
        }
        std::uint64_t len = *n < size ? *n : size;
        out.kind = RangeResult::Kind::single;
        out.range = {size - len, len};
        return out;
    }
    auto first = parse_u64(a);
    if (!first) return none;
    std::uint64_t last = 0;
    if (b.empty()) {
        last = size == 0 ? 0 : size - 1;
    } else {
        auto l = parse_u64(b);
        if (!l || *l < *first) return none;
        last = *l < size ? *l : (size == 0 ? 0 : size - 1);
    }
    if (*first >= size) {
        out.kind = RangeResult::Kind::unsatisfiable;
        return out;
    }
    out.kind = RangeResult::Kind::single;
    out.range = {*first, last - *first + 1};
    return out;
}

std::string make_etag(std::uint64_t size, std::int64_t mtime_ns) {
    char buf[48];
    int n = std::snprintf(buf, sizeof buf, "\"%llx-%llx\"", static_cast<unsigned long long>(size),
                          static_cast<unsigned long long>(mtime_ns));
    return std::string(buf, static_cast<std::size_t>(n));
}

bool etag_list_matches_weak(std::string_view header, std::string_view etag) noexcept {
    if (trim(header) == "*") return true;
    if (etag.empty()) return false;
    std::string_view opaque = etag.substr(etag.substr(0, 2) == "W/" ? 2 : 0);
    return for_each_etag(header, [&](std::string_view tag, bool) { return tag == opaque; });
}

bool etag_list_matches_strong(std::string_view header, std::string_view etag) noexcept {
    if (trim(header) == "*") return true;
    if (etag.empty() || etag.substr(0, 2) == "W/") return false;
    return for_each_etag(header,
                         [&](std::string_view tag, bool weak) { return !weak && tag == etag; });
}

StaticDecision evaluate_conditionals(const Conditionals& c, const FileValidators& v) {
    StaticDecision d;
    d.range = {0, v.size};
    if (c.if_match) {
        if (!etag_list_matches_strong(*c.if_match, v.etag)) {
            d.status = 412;
            return d;
        }
    } else if (c.if_unmodified_since && v.use_mtime) {
        auto t = parse_http_date(trim(*c.if_unmodified_since));
        if (t && v.mtime > *t) {
            d.status = 412;
            return d;
        }
    }
    if (c.if_none_match) {
        if (etag_list_matches_weak(*c.if_none_match, v.etag)) {
            d.status = 304;
            return d;
        }
    } else if (c.if_modified_since && v.use_mtime) {
        auto t = parse_http_date(trim(*c.if_modified_since));
        if (t && v.mtime <= *t) {
            d.status = 304;
            return d;
        }
    }
    if (!c.range) return d;
    bool apply = true;
    if (c.if_range) {
        std::string_view val = trim(*c.if_range);
        if (!val.empty() && (val.front() == '"' || val.substr(0, 2) == "W/")) {
            // Only a strong validator can make a range safe to combine (RFC 9110 13.1.5).
            apply = !v.etag.empty() && v.etag.substr(0, 2) != "W/" && val == v.etag;
        } else {
            auto t = parse_http_date(val);
            apply = v.use_mtime && t && *t == v.mtime;
        }
    }
    if (!apply) return d;
    RangeResult r = parse_range(*c.range, v.size);
    if (r.kind == RangeResult::Kind::single) {
        d.status = 206;
        d.range = r.range;
    } else if (r.kind == RangeResult::Kind::unsatisfiable) {
        d.status = 416;
    }
    return d;
}

}  // namespace gannet::http
