#include <gannet/url.hpp>

#include <algorithm>
#include <array>
#include <cstdint>

namespace gannet {

namespace {

// -1 for a byte that is not a hex digit.
constexpr std::array<std::int8_t, 256> kHexValue = [] {
    std::array<std::int8_t, 256> t{};
    t.fill(-1);
    for (int c = '0'; c <= '9'; ++c)
        t[static_cast<std::size_t>(c)] = static_cast<std::int8_t>(c - '0');
    for (int c = 'a'; c <= 'f'; ++c)
        t[static_cast<std::size_t>(c)] = static_cast<std::int8_t>(c - 'a' + 10);
    for (int c = 'A'; c <= 'F'; ++c)
        t[static_cast<std::size_t>(c)] = static_cast<std::int8_t>(c - 'A' + 10);
    return t;
}();

constexpr std::array<bool, 256> kUnreserved = [] {
    std::array<bool, 256> t{};
    for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = true;
    for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] = true;
    for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = true;
    for (char c : {'-', '.', '_', '~'}) t[static_cast<unsigned char>(c)] = true;
    return t;
}();

int hex_value(char c) noexcept {
    return kHexValue[static_cast<unsigned char>(c)];
}

// The byte that "%XX" at s[i] stands for, or -1 when s[i..i+3) is not a valid escape.
int escape_at(std::string_view s, std::size_t i) noexcept {
    if (i + 2 >= s.size()) return -1;
    const int hi = hex_value(s[i + 1]);
    const int lo = hex_value(s[i + 2]);
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

// Appends the decoded form of `s` to `out`. Strict: stops and returns false at a malformed
// escape (the caller rolls `out` back). Lenient: keeps a malformed escape's '%' as it is.
template <bool kStrict>
bool decode_append(std::string_view s, std::string& out, bool plus_as_space) {
    std::size_t run = 0;  // start of the bytes copied verbatim
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '%') {
            const int byte = escape_at(s, i);
            if (byte < 0) {
                if constexpr (kStrict) return false;
                continue;  // the '%' stays part of the verbatim run
            }
            out.append(s.data() + run, i - run);
            out.push_back(static_cast<char>(byte));
            i += 2;
            run = i + 1;
        } else if (c == '+' && plus_as_space) {
            out.append(s.data() + run, i - run);
            out.push_back(' ');
            run = i + 1;
        }
    }
    out.append(s.data() + run, s.size() - run);
    return true;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view s, bool plus_as_space) {
    std::string out;
    out.reserve(s.size());
    if (!decode_append<true>(s, out, plus_as_space)) return std::nullopt;
    return out;
}

bool percent_decode_into(std::string_view s, std::string& out, bool plus_as_space) {
    const std::size_t old_size = out.size();
    if (decode_append<true>(s, out, plus_as_space)) return true;
    out.resize(old_size);  // shrinking never reallocates
    return false;
}

std::string percent_encode(std::string_view s) {
    constexpr std::string_view kHex = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    for (const char c : s) {
        const auto b = static_cast<unsigned char>(c);
        if (kUnreserved[b]) {
            out.push_back(c);
        } else {
            const char esc[3] = {'%', kHex[b >> 4], kHex[b & 0xF]};
            out.append(esc, sizeof esc);
        }
    }
    return out;
}

QueryParams QueryParams::parse(std::string_view query) {
    QueryParams params;
    params.source_ = query;
    if (query.empty()) return params;  // the common case allocates nothing
    params.entries_.reserve(static_cast<std::size_t>(std::count(query.begin(), query.end(), '&')) +
                            1);
    std::size_t pos = 0;
    while (pos <= query.size()) {
        std::size_t amp = query.find('&', pos);
        if (amp == std::string_view::npos) amp = query.size();
        const std::string_view piece = query.substr(pos, amp - pos);
        pos = amp + 1;
        if (piece.empty()) continue;
        const std::size_t eq = piece.find('=');
        Entry e;
        if (eq == std::string_view::npos) {
            e.key = params.add_piece(piece);
            e.value = Piece{static_cast<std::size_t>(piece.data() + piece.size() - query.data()), 0,
                            false};
        } else {
            e.key = params.add_piece(piece.substr(0, eq));
            e.value = params.add_piece(piece.substr(eq + 1));
        }
        params.entries_.push_back(e);
    }
    return params;
}

QueryParams::Piece QueryParams::add_piece(std::string_view raw) {
    if (raw.find_first_of("%+") == std::string_view::npos) {
        return {static_cast<std::size_t>(raw.data() - source_.data()), raw.size(), false};
    }
    const std::size_t start = decoded_.size();
    decode_append<false>(raw, decoded_, true);
    return {start, decoded_.size() - start, true};
}

std::optional<std::string_view> QueryParams::get(std::string_view key) const noexcept {
    for (const Entry& e : entries_) {
        if (view(e.key) == key) return view(e.value);
    }
    return std::nullopt;
}

std::vector<std::string_view> QueryParams::get_all(std::string_view key) const {
    std::vector<std::string_view> values;
    for (const Entry& e : entries_) {
        if (view(e.key) == key) values.push_back(view(e.value));
    }
    return values;
}

}  // namespace gannet
