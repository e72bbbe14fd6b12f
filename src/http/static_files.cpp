#include "http/static_files.hpp"

#include "http/date_cache.hpp"

#include <gannet/url.hpp>

#include <algorithm>
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

namespace {

enum class SpecKind { invalid, unsatisfiable, satisfiable };

// One byte-range-spec or suffix-range (RFC 9110 14.1.1) against `size`, as first..last.
SpecKind parse_range_spec(std::string_view spec, std::uint64_t size, std::uint64_t& first,
                          std::uint64_t& last) noexcept {
    const std::size_t dash = spec.find('-');
    if (dash == std::string_view::npos) return SpecKind::invalid;
    const std::string_view a = spec.substr(0, dash);
    const std::string_view b = spec.substr(dash + 1);
    if (a.empty()) {  // suffix-range: the last n bytes
        const auto n = parse_u64(b);
        if (!n) return SpecKind::invalid;
        if (*n == 0 || size == 0) return SpecKind::unsatisfiable;
        first = size - (*n < size ? *n : size);
        last = size - 1;
        return SpecKind::satisfiable;
    }
    const auto f = parse_u64(a);
    if (!f) return SpecKind::invalid;
    std::uint64_t l = UINT64_MAX;
    if (!b.empty()) {
        const auto parsed = parse_u64(b);
        if (!parsed || *parsed < *f) return SpecKind::invalid;
        l = *parsed;
    }
    if (*f >= size) return SpecKind::unsatisfiable;
    first = *f;
    last = l < size ? l : size - 1;
    return SpecKind::satisfiable;
}

// A requested range and the position of its range-spec in the header.
struct Requested {
    std::uint64_t first;
    std::uint64_t last;
    std::size_t order;
};

}  // namespace

RangeResult parse_range(std::string_view header, std::uint64_t size, std::size_t max_ranges) {
    RangeResult none;
    std::string_view h = trim(header);
    std::size_t eq = h.find('=');
    if (eq == std::string_view::npos || !iequals_ascii(trim(h.substr(0, eq)), "bytes")) return none;
    std::string_view set = h.substr(eq + 1);

    // The usual request is one range: that path allocates nothing.
    Requested one{};
    std::vector<Requested> many;
    std::size_t specs = 0;
    std::size_t satisfiable = 0;
    while (!set.empty()) {
        const std::size_t comma = set.find(',');
        const std::string_view item = trim(set.substr(0, comma));
        set.remove_prefix(comma == std::string_view::npos ? set.size() : comma + 1);
        if (item.empty()) continue;  // 1#range-spec allows empty elements
        if (++specs > max_ranges) return none;
        Requested r{0, 0, specs};
        const SpecKind kind = parse_range_spec(item, size, r.first, r.last);
        if (kind == SpecKind::invalid) return none;
        if (kind == SpecKind::unsatisfiable) continue;
        if (++satisfiable == 1) {
            one = r;
            continue;
        }
        if (many.empty()) many.push_back(one);
        many.push_back(r);
    }
    if (specs == 0) return none;  // "bytes=" or "bytes=,"
    RangeResult out;
    if (satisfiable == 0) {
        out.kind = RangeResult::Kind::unsatisfiable;
        return out;
    }
    if (satisfiable > 1) {
        // Coalesce in byte order, then put the parts back in the order requested, each where
        // its earliest range was.
        std::sort(many.begin(), many.end(), [](const Requested& x, const Requested& y) {
            return x.first < y.first || (x.first == y.first && x.order < y.order);
        });
        std::size_t kept = 0;
        for (std::size_t i = 1; i < many.size(); ++i) {
            Requested& cur = many[kept];
            const Requested& next = many[i];
            // cur.last < size <= UINT64_MAX - 1, so cur.last + 1 cannot overflow.
            if (next.first <= cur.last + 1 || next.first - (cur.last + 1) < kRangeCoalesceGap) {
                cur.last = std::max(cur.last, next.last);
                cur.order = std::min(cur.order, next.order);
            } else {
                many[++kept] = next;
            }
        }
        many.resize(kept + 1);
        std::sort(many.begin(), many.end(),
                  [](const Requested& x, const Requested& y) { return x.order < y.order; });
        if (many.size() > 1) {
            out.kind = RangeResult::Kind::multiple;
            out.ranges.reserve(many.size());
            for (const Requested& r : many) out.ranges.push_back({r.first, r.last - r.first + 1});
            return out;
        }
        one = many.front();
    }
    out.kind = RangeResult::Kind::single;
    out.range = {one.first, one.last - one.first + 1};
    return out;
}

MultipartRanges plan_multipart(const std::vector<ByteRange>& ranges, std::uint64_t size,
                               std::string_view part_type, std::string_view boundary) {
    MultipartRanges out;
    out.content_type = "multipart/byteranges; boundary=";
    out.content_type += boundary;
    out.heads.reserve(ranges.size());
    const std::string total = std::to_string(size);
    for (const ByteRange& r : ranges) {
        std::string head;
        if (!out.heads.empty()) head += "\r\n";  // ends the previous part's bytes
        head += "--";
        head += boundary;
        head += "\r\n";
        if (!part_type.empty()) {
            head += "Content-Type: ";
            head += part_type;
            head += "\r\n";
        }
        head += "Content-Range: bytes ";
        head += std::to_string(r.first);
        head += '-';
        head += std::to_string(r.first + r.length - 1);
        head += '/';
        head += total;
        head += "\r\n\r\n";
        out.content_length += head.size() + r.length;
        out.heads.push_back(std::move(head));
    }
    out.tail = "\r\n--";
    out.tail += boundary;
    out.tail += "--\r\n";
    out.content_length += out.tail.size();
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

StaticDecision evaluate_conditionals(const Conditionals& c, const FileValidators& v,
                                     std::size_t max_ranges) {
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
    RangeResult r = parse_range(*c.range, v.size, max_ranges);
    switch (r.kind) {
        case RangeResult::Kind::none:
            break;
        case RangeResult::Kind::single:
            d.status = 206;
            d.range = r.range;
            break;
        case RangeResult::Kind::multiple:
            d.status = 206;
            d.ranges = std::move(r.ranges);
            break;
        case RangeResult::Kind::unsatisfiable:
            d.status = 416;
            break;
    }
    return d;
}

}  // namespace gannet::http
