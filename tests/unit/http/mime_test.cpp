#include "http/mime.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace gannet::http {
namespace {

using namespace std::string_view_literals;

constexpr auto kOctet = "application/octet-stream"sv;

TEST(MimeType, CommonExtensions) {
    const std::pair<std::string_view, std::string_view> cases[] = {
        {"html", "text/html; charset=utf-8"},
        {"htm", "text/html; charset=utf-8"},
        {"css", "text/css; charset=utf-8"},
        {"js", "text/javascript; charset=utf-8"},
        {"mjs", "text/javascript; charset=utf-8"},
        {"cjs", "text/javascript; charset=utf-8"},
        {"json", "application/json"},
        {"map", "application/json"},
        {"webmanifest", "application/manifest+json"},
        {"txt", "text/plain; charset=utf-8"},
        {"csv", "text/csv; charset=utf-8"},
        {"md", "text/markdown; charset=utf-8"},
        {"xml", "application/xml"},
        {"svg", "image/svg+xml"},
        {"png", "image/png"},
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
        {"gif", "image/gif"},
        {"webp", "image/webp"},
        {"avif", "image/avif"},
        {"ico", "image/x-icon"},
        {"bmp", "image/bmp"},
        {"woff", "font/woff"},
        {"woff2", "font/woff2"},
        {"ttf", "font/ttf"},
        {"otf", "font/otf"},
        {"eot", "application/vnd.ms-fontobject"},
        {"mp3", "audio/mpeg"},
        {"mp4", "video/mp4"},
        {"webm", "video/webm"},
        {"ogg", "audio/ogg"},
        {"wav", "audio/wav"},
        {"m4a", "audio/mp4"},
        {"mov", "video/quicktime"},
        {"pdf", "application/pdf"},
        {"zip", "application/zip"},
        {"gz", "application/gzip"},
        {"tar", "application/x-tar"},
        {"wasm", "application/wasm"},
        {"yaml", "application/yaml"},
        {"yml", "application/yaml"},
        {"7z", "application/x-7z-compressed"},
        {"zst", "application/zstd"},
    };
    for (const auto& [ext, type] : cases) EXPECT_EQ(mime_type(ext), type) << ext;
}

TEST(MimeType, CaseInsensitive) {
    EXPECT_EQ(mime_type("HTML"), "text/html; charset=utf-8");
    EXPECT_EQ(mime_type("Index.HtMl"), "text/html; charset=utf-8");
    EXPECT_EQ(mime_type("/IMG/PHOTO.JPG"), "image/jpeg");
    EXPECT_EQ(mime_type("font.WOFF2"), "font/woff2");
}

TEST(MimeType, LeadingDotExtension) {
    EXPECT_EQ(mime_type(".css"), "text/css; charset=utf-8");
    EXPECT_EQ(mime_type(".WASM"), "application/wasm");
}

TEST(MimeType, PathsUseTheLastSegmentsLastExtension) {
    EXPECT_EQ(mime_type("/assets/app.min.js"), "text/javascript; charset=utf-8");
    EXPECT_EQ(mime_type("index.html"), "text/html; charset=utf-8");
    EXPECT_EQ(mime_type("backup.tar.gz"), "application/gzip");
    EXPECT_EQ(mime_type("/v1.2/readme"), kOctet);  // the dot is in a directory name
    EXPECT_EQ(mime_type("./public/style.css"), "text/css; charset=utf-8");
    EXPECT_EQ(mime_type("/a/b/c.d/e.png"), "image/png");
}

TEST(MimeType, UnknownOrMissingExtensions) {
    EXPECT_EQ(mime_type(""), kOctet);
    EXPECT_EQ(mime_type("."), kOctet);
    EXPECT_EQ(mime_type("/"), kOctet);
    EXPECT_EQ(mime_type("file."), kOctet);
    EXPECT_EQ(mime_type("/dir/file."), kOctet);
    EXPECT_EQ(mime_type("/dir/Makefile"), kOctet);
    EXPECT_EQ(mime_type("/dir/html"), kOctet);     // a file named "html" in a path has no extension
    EXPECT_EQ(mime_type("/home/u/.css"), kOctet);  // a dotfile
    EXPECT_EQ(mime_type("/home/u/.bashrc"), kOctet);
    EXPECT_EQ(mime_type("Makefile"), kOctet);
    EXPECT_EQ(mime_type("file.exe"), kOctet);
    EXPECT_EQ(mime_type("file.ts"), kOctet);  // TypeScript or MPEG-TS: not guessed
    EXPECT_EQ(mime_type("a.htmlx"), kOctet);
    EXPECT_EQ(mime_type("a.htm "), kOctet);
    EXPECT_EQ(mime_type("a.ht"), kOctet);
    EXPECT_EQ(mime_type("a.0"), kOctet);
    EXPECT_EQ(mime_type("a.zzzzzzzzzzzz"), kOctet);
    EXPECT_EQ(mime_type("a." + std::string(100, 'x')), kOctet);
    EXPECT_EQ(mime_type("a.webmanifestxxxxxx"), kOctet);
    EXPECT_EQ(mime_type(std::string_view("a.js\0", 5)), kOctet);
    EXPECT_EQ(mime_type("a.\xC3\xA9"), kOctet);
}

TEST(MimeType, TextTypesCarryUtf8AndOthersDoNot) {
    for (auto ext : {"html", "css", "js", "txt", "csv", "md", "ics", "log"}) {
        const std::string_view type = mime_type(ext);
        EXPECT_TRUE(type.starts_with("text/")) << ext;
        EXPECT_TRUE(type.ends_with("; charset=utf-8")) << ext;
    }
    for (auto ext : {"json", "svg", "xml", "png", "wasm", "woff2"}) {
        EXPECT_EQ(mime_type(ext).find("charset"), std::string_view::npos) << ext;
    }
}

TEST(MimeType, ResultIsStatic) {
    std::string path = "/x/a.css";
    const std::string_view type = mime_type(path);
    path.assign(100, 'q');
    EXPECT_EQ(type, "text/css; charset=utf-8");
    EXPECT_EQ(mime_type("b.css").data(), type.data());
}

}  // namespace
}  // namespace gannet::http
