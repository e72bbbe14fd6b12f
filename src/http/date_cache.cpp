#include "http/date_cache.hpp"

#include <cstdint>
#include <ctime>

namespace gannet::http {

namespace {

// Our own calendar arithmetic (H. Hinnant's days/civil algorithms) instead of gmtime_r/timegm:
// no locale or TZ lookups, no global state, and the same results for every time_t.

constexpr std::int64_t kSecondsPerDay = 86400;
// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the range a four-digit year can show.
constexpr std::int64_t kMinTime = -62135596800;
constexpr std::int64_t kMaxTime = 253402300799;

constexpr std::array<std::string_view, 7> kDayNames = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 7> kLongDayNames = {
    "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 12> kMonthNames = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

struct Civil {
    std::int64_t year;
    int month;  // 1..12
    int day;    // 1..31
};

constexpr std::int64_t days_from_civil(std::int64_t y, int m, int d) noexcept {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const std::int64_t yoe = y - era * 400;
    const std::int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

constexpr Civil civil_from_days(std::int64_t z) noexcept {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const std::int64_t doe = z - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::int64_t mp = (5 * doy + 2) / 153;
    const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
    const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    return {yoe + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(1, 1, 1) * kSecondsPerDay == kMinTime);
static_assert(days_from_civil(10000, 1, 1) * kSecondsPerDay - 1 == kMaxTime);

constexpr bool is_leap(std::int64_t y) noexcept {
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

constexpr int days_in_month(std::int64_t y, int m) noexcept {
    constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : kDays[static_cast<std::size_t>(m - 1)];
}

void put2(char* out, int v) noexcept {
    out[0] = static_cast<char>('0' + v / 10);
    out[1] = static_cast<char>('0' + v % 10);
}

void put_name(char* out, std::string_view name) noexcept {
    out[0] = name[0];
    out[1] = name[1];
    out[2] = name[2];
}

// --- parsing -----------------------------------------------------------------------------------

bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

// Reads exactly `n` digits at s[pos..]; -1 if any is not a digit.
int digits(std::string_view s, std::size_t pos, std::size_t n) noexcept {
    int v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const char c = s[pos + i];
        if (!is_digit(c)) return -1;
        v = v * 10 + (c - '0');
    }
    return v;
}

int month_index(std::string_view name) noexcept {
    for (std::size_t i = 0; i < kMonthNames.size(); ++i) {
        if (kMonthNames[i] == name) return static_cast<int>(i) + 1;
    }
    return 0;
}

template <std::size_t N>
bool is_one_of(std::string_view name, const std::array<std::string_view, N>& names) noexcept {
    for (auto n : names) {
        if (n == name) return true;
    }
    return false;
}

// Parses "HH:MM:SS" at s[pos..pos+8).
bool parse_time_of_day(std::string_view s, std::size_t pos, int& h, int& m, int& sec) noexcept {
    if (s[pos + 2] != ':' || s[pos + 5] != ':') return false;
    h = digits(s, pos, 2);
    m = digits(s, pos + 3, 2);
    sec = digits(s, pos + 6, 2);
    return h >= 0 && h <= 23 && m >= 0 && m <= 59 && sec >= 0 && sec <= 60;
}

std::optional<std::time_t> to_time(std::int64_t year, int month, int day, int h, int m,
                                   int sec) noexcept {
    if (month < 1 || day < 1 || day > days_in_month(year, month)) return std::nullopt;
    const std::int64_t t = days_from_civil(year, month, day) * kSecondsPerDay +
                           std::int64_t{h} * 3600 + std::int64_t{m} * 60 + sec;
    return static_cast<std::time_t>(t);
}

// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" (exactly 29 bytes).
std::optional<std::time_t> parse_imf_fixdate(std::string_view s) noexcept {
    if (s.size() != kHttpDateLength) return std::nullopt;
    if (!is_one_of(s.substr(0, 3), kDayNames) || s.substr(3, 2) != ", " || s[7] != ' ' ||
        s[11] != ' ' || s[16] != ' ' || s.substr(25) != " GMT") {
        return std::nullopt;
    }
    const int day = digits(s, 5, 2);
    const int month = month_index(s.substr(8, 3));
    const int year = digits(s, 12, 4);
    int h = 0, m = 0, sec = 0;
    if (day < 0 || year < 0 || !parse_time_of_day(s, 17, h, m, sec)) return std::nullopt;
    return to_time(year, month, day, h, m, sec);
}

// RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT".
std::optional<std::time_t> parse_rfc850(std::string_view s, std::time_t now) noexcept {
    const std::size_t comma = s.find(',');
    if (comma == std::string_view::npos || !is_one_of(s.substr(0, comma), kLongDayNames)) {
        return std::nullopt;
    }
    const std::string_view rest = s.substr(comma);  // ", 06-Nov-94 08:49:37 GMT"
    if (rest.size() != 24 || rest[1] != ' ' || rest[4] != '-' || rest[8] != '-' ||
        rest[11] != ' ' || rest.substr(20) != " GMT") {
        return std::nullopt;
    }
    const int day = digits(rest, 2, 2);
    const int month = month_index(rest.substr(5, 3));
    const int yy = digits(rest, 9, 2);
    int h = 0, m = 0, sec = 0;
    if (day < 0 || yy < 0 || !parse_time_of_day(rest, 12, h, m, sec)) return std::nullopt;

    // RFC 9110 5.6.7: a year that looks more than 50 years ahead is the most recent past year
    // with the same two digits; symmetrically, we never go more than 50 years back.
    const std::int64_t now_days = (now >= 0 ? now : now - (kSecondsPerDay - 1)) / kSecondsPerDay;
    const std::int64_t this_year = civil_from_days(now_days).year;
    std::int64_t year = this_year - this_year % 100 + yy;
    if (year > this_year + 50) {
        year -= 100;
    } else if (year <= this_year - 50) {
        year += 100;
    }
    return to_time(year, month, day, h, m, sec);
}

// asctime: "Sun Nov  6 08:49:37 1994" (day is two digits or a space and a digit).
std::optional<std::time_t> parse_asctime(std::string_view s) noexcept {
    if (s.size() != 24) return std::nullopt;
    if (!is_one_of(s.substr(0, 3), kDayNames) || s[3] != ' ' || s[7] != ' ' || s[10] != ' ' ||
        s[19] != ' ') {
        return std::nullopt;
    }
    const int month = month_index(s.substr(4, 3));
    int day = -1;
    if (s[8] == ' ') {
        day = digits(s, 9, 1);
    } else {
        day = digits(s, 8, 2);
    }
    const int year = digits(s, 20, 4);
    int h = 0, m = 0, sec = 0;
    if (day < 0 || year < 0 || !parse_time_of_day(s, 11, h, m, sec)) return std::nullopt;
    return to_time(year, month, day, h, m, sec);
}

std::time_t coarse_now() noexcept {
    timespec ts{};
#ifdef CLOCK_REALTIME_COARSE
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
#else
    clock_gettime(CLOCK_REALTIME, &ts);
#endif
    return ts.tv_sec;
}

}  // namespace

void format_http_date_to(std::time_t t, char* out) noexcept {
    std::int64_t secs = static_cast<std::int64_t>(t);
    if (secs < kMinTime) secs = kMinTime;
    if (secs > kMaxTime) secs = kMaxTime;
    // Floor division: the day of a negative time is the one before, not after, the epoch.
    std::int64_t days = secs / kSecondsPerDay;
    std::int64_t sod = secs % kSecondsPerDay;
    if (sod < 0) {
        sod += kSecondsPerDay;
        --days;
    }
    const Civil c = civil_from_days(days);
    const auto weekday = static_cast<std::size_t>(days >= -4 ? (days + 4) % 7 : (days + 5) % 7 + 6);
    const int hour = static_cast<int>(sod / 3600);
    const int minute = static_cast<int>(sod / 60 % 60);
    const int second = static_cast<int>(sod % 60);
    const int year = static_cast<int>(c.year);

    put_name(out, kDayNames[weekday]);
    out[3] = ',';
    out[4] = ' ';
    put2(out + 5, c.day);
    out[7] = ' ';
    put_name(out + 8, kMonthNames[static_cast<std::size_t>(c.month - 1)]);
    out[11] = ' ';
    put2(out + 12, year / 100);
    put2(out + 14, year % 100);
    out[16] = ' ';
    put2(out + 17, hour);
    out[19] = ':';
    put2(out + 20, minute);
    out[22] = ':';
    put2(out + 23, second);
    out[25] = ' ';
    out[26] = 'G';
    out[27] = 'M';
    out[28] = 'T';
}

std::string format_http_date(std::time_t t) {
    std::string s(kHttpDateLength, '\0');
    format_http_date_to(t, s.data());
    return s;
}

std::optional<std::time_t> parse_http_date(std::string_view s) {
    return parse_http_date(s, coarse_now());
}

std::optional<std::time_t> parse_http_date(std::string_view s, std::time_t now) {
    if (s.size() == kHttpDateLength && s[3] == ',') return parse_imf_fixdate(s);
    if (s.size() == 24 && s[3] == ' ') return parse_asctime(s);
    return parse_rfc850(s, now);
}

DateCache::DateCache() noexcept : second_(coarse_now()) {
    format_http_date_to(second_, text_.data());
}

std::string_view DateCache::now() noexcept {
    return at(coarse_now());
}

std::string_view DateCache::at(std::time_t t) noexcept {
    if (t != second_) {
        second_ = t;
        format_http_date_to(t, text_.data());
    }
    return {text_.data(), text_.size()};
}

}  // namespace gannet::http
