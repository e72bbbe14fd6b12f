#include "http/mime.hpp"

#include <algorithm>
#include <array>
#include <cstddef>

namespace gannet::http {

namespace {

struct MimeEntry {
    std::string_view extension;  // lower case
    std::string_view type;
};

constexpr std::string_view kOctetStream = "application/octet-stream";
constexpr std::string_view kJs = "text/javascript; charset=utf-8";  // RFC 9239

// Sorted by extension, for binary search (checked below). ".ts" is left out on purpose: it is
// both TypeScript and MPEG transport streams, and neither guess is safe.
constexpr std::array kTable = {
    MimeEntry{"7z", "application/x-7z-compressed"},
    MimeEntry{"aac", "audio/aac"},
    MimeEntry{"apng", "image/apng"},
    MimeEntry{"avi", "video/x-msvideo"},
    MimeEntry{"avif", "image/avif"},
    MimeEntry{"bin", kOctetStream},
    MimeEntry{"bmp", "image/bmp"},
    MimeEntry{"bz2", "application/x-bzip2"},
    MimeEntry{"cjs", kJs},
    MimeEntry{"css", "text/css; charset=utf-8"},
    MimeEntry{"csv", "text/csv; charset=utf-8"},
    MimeEntry{"doc", "application/msword"},
    MimeEntry{"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    MimeEntry{"eot", "application/vnd.ms-fontobject"},
    MimeEntry{"epub", "application/epub+zip"},
    MimeEntry{"flac", "audio/flac"},
    MimeEntry{"gif", "image/gif"},
    MimeEntry{"gz", "application/gzip"},
    MimeEntry{"heic", "image/heic"},
    MimeEntry{"htm", "text/html; charset=utf-8"},
    MimeEntry{"html", "text/html; charset=utf-8"},
    MimeEntry{"ico", "image/x-icon"},
    MimeEntry{"ics", "text/calendar; charset=utf-8"},
    MimeEntry{"jpeg", "image/jpeg"},
    MimeEntry{"jpg", "image/jpeg"},
    MimeEntry{"js", kJs},
    MimeEntry{"json", "application/json"},
    MimeEntry{"jsonld", "application/ld+json"},
    MimeEntry{"jxl", "image/jxl"},
    MimeEntry{"log", "text/plain; charset=utf-8"},
    MimeEntry{"m4a", "audio/mp4"},
    MimeEntry{"m4v", "video/mp4"},
    MimeEntry{"map", "application/json"},
    MimeEntry{"md", "text/markdown; charset=utf-8"},
    MimeEntry{"mid", "audio/midi"},
    MimeEntry{"midi", "audio/midi"},
    MimeEntry{"mjs", kJs},
    MimeEntry{"mkv", "video/x-matroska"},
    MimeEntry{"mov", "video/quicktime"},
    MimeEntry{"mp3", "audio/mpeg"},
    MimeEntry{"mp4", "video/mp4"},
    MimeEntry{"mpeg", "video/mpeg"},
    MimeEntry{"odp", "application/vnd.oasis.opendocument.presentation"},
    MimeEntry{"ods", "application/vnd.oasis.opendocument.spreadsheet"},
    MimeEntry{"odt", "application/vnd.oasis.opendocument.text"},
    MimeEntry{"oga", "audio/ogg"},
    MimeEntry{"ogg", "audio/ogg"},
    MimeEntry{"ogv", "video/ogg"},
    MimeEntry{"opus", "audio/ogg"},
    MimeEntry{"otf", "font/otf"},
    MimeEntry{"pdf", "application/pdf"},
    MimeEntry{"png", "image/png"},
    MimeEntry{"ppt", "application/vnd.ms-powerpoint"},
    MimeEntry{"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
    MimeEntry{"rar", "application/vnd.rar"},
    MimeEntry{"rtf", "application/rtf"},
    MimeEntry{"svg", "image/svg+xml"},
    MimeEntry{"tar", "application/x-tar"},
    MimeEntry{"tgz", "application/gzip"},
    MimeEntry{"tif", "image/tiff"},
    MimeEntry{"tiff", "image/tiff"},
    MimeEntry{"toml", "application/toml"},
    MimeEntry{"ttf", "font/ttf"},
    MimeEntry{"txt", "text/plain; charset=utf-8"},
    MimeEntry{"wasm", "application/wasm"},
    MimeEntry{"wav", "audio/wav"},
    MimeEntry{"weba", "audio/webm"},
    MimeEntry{"webm", "video/webm"},
    MimeEntry{"webmanifest", "application/manifest+json"},
    MimeEntry{"webp", "image/webp"},
    MimeEntry{"woff", "font/woff"},
    MimeEntry{"woff2", "font/woff2"},
    MimeEntry{"xhtml", "application/xhtml+xml"},
    MimeEntry{"xls", "application/vnd.ms-excel"},
    MimeEntry{"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    MimeEntry{"xml", "application/xml"},
    MimeEntry{"xz", "application/x-xz"},
    MimeEntry{"yaml", "application/yaml"},
    MimeEntry{"yml", "application/yaml"},
    MimeEntry{"zip", "application/zip"},
    MimeEntry{"zst", "application/zstd"},
};

constexpr std::size_t kMaxExtension = 16;  // longer than any entry; longer input is unknown

constexpr bool table_is_sorted() {
    for (std::size_t i = 1; i < kTable.size(); ++i) {
        if (!(kTable[i - 1].extension < kTable[i].extension)) return false;
    }
    for (const auto& e : kTable) {
        if (e.extension.size() > kMaxExtension) return false;
        for (char c : e.extension) {
            if (c >= 'A' && c <= 'Z') return false;
        }
    }
    return true;
}
static_assert(table_is_sorted(), "kTable must be sorted, unique and lower case");

std::string_view extension_of(std::string_view s) noexcept {
    const std::size_t slash = s.rfind('/');
    const bool is_path = slash != std::string_view::npos;
    const std::string_view segment = is_path ? s.substr(slash + 1) : s;
    const std::size_t dot = segment.rfind('.');
    if (dot == std::string_view::npos) return is_path ? std::string_view{} : segment;
    if (dot == 0 && is_path) return {};  // a dotfile such as "/home/u/.bashrc"
    return segment.substr(dot + 1);
}

}  // namespace

std::string_view mime_type(std::string_view path_or_extension) noexcept {
    const std::string_view ext = extension_of(path_or_extension);
    if (ext.empty() || ext.size() > kMaxExtension) return kOctetStream;
    // Lower-case into a stack buffer: no allocation on the static-file path.
    std::array<char, kMaxExtension> buf{};
    for (std::size_t i = 0; i < ext.size(); ++i) {
        const char c = ext[i];
        buf[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    }
    const std::string_view key(buf.data(), ext.size());
    const auto it =
        std::lower_bound(kTable.begin(), kTable.end(), key,
                         [](const MimeEntry& e, std::string_view k) { return e.extension < k; });
    if (it != kTable.end() && it->extension == key) return it->type;
    return kOctetStream;
}

}  // namespace gannet::http
