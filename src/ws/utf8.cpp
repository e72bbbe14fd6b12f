#include "ws/utf8.hpp"

#include <array>
#include <cstddef>
#include <cstring>

namespace gannet::ws {
namespace {

// Byte classes, from the table of well-formed byte sequences in Unicode chapter 3 (Table 3-7).
// Continuation bytes are split into three ranges because the second byte after E0, ED, F0 and
// F4 is restricted to a sub-range.
constexpr std::uint8_t kAscii = 0;    // 00..7F
constexpr std::uint8_t kCont80 = 1;   // 80..8F
constexpr std::uint8_t kCont90 = 2;   // 90..9F
constexpr std::uint8_t kContA0 = 3;   // A0..BF
constexpr std::uint8_t kBad = 4;      // C0, C1, F5..FF: never valid anywhere
constexpr std::uint8_t kLead2 = 5;    // C2..DF
constexpr std::uint8_t kLeadE0 = 6;   // E0: next A0..BF (excludes overlongs)
constexpr std::uint8_t kLead3 = 7;    // E1..EC, EE, EF: next 80..BF
constexpr std::uint8_t kLeadED = 8;   // ED: next 80..9F (excludes surrogates)
constexpr std::uint8_t kLeadF0 = 9;   // F0: next 90..BF (excludes overlongs)
constexpr std::uint8_t kLead4 = 10;   // F1..F3: next 80..BF
constexpr std::uint8_t kLeadF4 = 11;  // F4: next 80..8F (stays <= U+10FFFF)
constexpr std::size_t kClassCount = 12;

// States. kAccept must be 0: Utf8Validator::finish() relies on it.
constexpr std::uint8_t kAccept = 0;
constexpr std::uint8_t kReject = 1;
constexpr std::uint8_t kNeed1 = 2;    // one more 80..BF
constexpr std::uint8_t kNeed2 = 3;    // two more 80..BF
constexpr std::uint8_t kAfterE0 = 4;  // A0..BF, then one more
constexpr std::uint8_t kAfterED = 5;  // 80..9F, then one more
constexpr std::uint8_t kNeed3 = 6;    // three more 80..BF
constexpr std::uint8_t kAfterF0 = 7;  // 90..BF, then two more
constexpr std::uint8_t kAfterF4 = 8;  // 80..8F, then two more
constexpr std::size_t kStateCount = 9;

constexpr std::array<std::uint8_t, 256> kClassOf = [] {
    std::array<std::uint8_t, 256> t{};
    for (int b = 0; b < 256; ++b) {
        std::uint8_t c = kBad;
        if (b <= 0x7F)
            c = kAscii;
        else if (b <= 0x8F)
            c = kCont80;
        else if (b <= 0x9F)
            c = kCont90;
        else if (b <= 0xBF)
            c = kContA0;
        else if (b <= 0xC1)
            c = kBad;
        else if (b <= 0xDF)
            c = kLead2;
        else if (b == 0xE0)
            c = kLeadE0;
        else if (b == 0xED)
            c = kLeadED;
        else if (b <= 0xEF)
            c = kLead3;
        else if (b == 0xF0)
            c = kLeadF0;
        else if (b <= 0xF3)
            c = kLead4;
        else if (b == 0xF4)
            c = kLeadF4;
        t[b] = c;
    }
    return t;
}();

// Next state, indexed [state * kClassCount + class]. Everything not listed rejects.
constexpr std::array<std::uint8_t, kStateCount* kClassCount> kNext = [] {
    std::array<std::uint8_t, kStateCount * kClassCount> t{};
    for (auto& s : t) s = kReject;
    auto set = [&t](std::uint8_t from, std::uint8_t c, std::uint8_t to) {
        t[from * kClassCount + c] = to;
    };
    set(kAccept, kAscii, kAccept);
    set(kAccept, kLead2, kNeed1);
    set(kAccept, kLeadE0, kAfterE0);
    set(kAccept, kLead3, kNeed2);
    set(kAccept, kLeadED, kAfterED);
    set(kAccept, kLeadF0, kAfterF0);
    set(kAccept, kLead4, kNeed3);
    set(kAccept, kLeadF4, kAfterF4);
    for (std::uint8_t c : {kCont80, kCont90, kContA0}) {
        set(kNeed1, c, kAccept);
        set(kNeed2, c, kNeed1);
        set(kNeed3, c, kNeed2);
    }
    set(kAfterE0, kContA0, kNeed1);
    set(kAfterED, kCont80, kNeed1);
    set(kAfterED, kCont90, kNeed1);
    set(kAfterF0, kCont90, kNeed2);
    set(kAfterF0, kContA0, kNeed2);
    set(kAfterF4, kCont80, kNeed2);
    return t;
}();

constexpr std::uint64_t kHighBits = 0x8080808080808080ull;

}  // namespace

bool Utf8Validator::failed() const noexcept {
    return state_ == kReject;
}

bool Utf8Validator::feed(std::string_view bytes) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    const auto* const end = p + bytes.size();
    std::uint8_t s = state_;
    if (s == kReject) return false;
    while (p != end) {
        if (s == kAccept) {
            // Text is mostly ASCII: skip it a word at a time while on a boundary.
            while (end - p >= 8) {
                std::uint64_t w = 0;
                std::memcpy(&w, p, 8);
                if ((w & kHighBits) != 0) break;
                p += 8;
            }
            if (p == end) break;
        }
        s = kNext[s * kClassCount + kClassOf[*p++]];
        if (s == kReject) break;
    }
    state_ = s;
    return s != kReject;
}

bool is_valid_utf8(std::string_view bytes) noexcept {
    Utf8Validator v;
    return v.feed(bytes) && v.finish();
}

}  // namespace gannet::ws
