// App::static_files: files under a directory served with sendfile(2), validators, conditional
// and range requests. The decisions that need no file system live in http/static_files.cpp.
//
// Containment: every open goes through openat2(2) relative to the root's descriptor with
// RESOLVE_BENEATH, so the kernel itself refuses ".." and symlinks that climb out of the root,
// atomically (no check-then-open race). RESOLVE_BENEATH also refuses absolute symlinks even
// when they point inside the root; for those (EXDEV) the target is resolved with realpath(3),
// checked to lie inside the root, and opened again with RESOLVE_NO_SYMLINKS, which stays
// race-free because nothing is followed on that second open. Kernels without openat2 (before
// 5.6) get realpath + prefix check + O_NOFOLLOW.
#include <gannet/app.hpp>
#include <gannet/runtime.hpp>
#include <gannet/static_files.hpp>

#include "http/date_cache.hpp"
#include "http/exchange.hpp"
#include "http/mime.hpp"
#include "http/static_files.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>

namespace gannet {

namespace {

constexpr int kOpenFlags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;  // NONBLOCK: FIFOs

class UniqueFd {
  public:
    explicit UniqueFd(int fd = -1) noexcept : fd_(fd) {}
    UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    UniqueFd& operator=(UniqueFd&& o) noexcept {
        if (this != &o) reset(std::exchange(o.fd_, -1));
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }
    int get() const noexcept { return fd_; }
    void reset(int fd = -1) noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }

  private:
    int fd_;
};

struct StaticState {
    std::string prefix;  // without a trailing '/'
    std::string root;    // realpath of the directory
    UniqueFd root_fd;
    StaticOptions options;
};

/// The outcome of opening a path below the root (blocking calls; may run on the pool).
struct Opened {
    UniqueFd fd;
    int status = 0;  // 0: fd is a regular file or a directory; else 403/404
    bool is_dir = false;
    struct stat st {};
};

std::atomic<bool> g_no_openat2{false};

int openat2_beneath(int dirfd, const char* path, std::uint64_t resolve) {
    open_how how{};
    how.flags = static_cast<std::uint64_t>(kOpenFlags);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | resolve;
    return static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
}

bool inside_root(const std::string& root, const std::string& resolved) {
    if (root == "/") return true;
    return resolved == root ||
           (resolved.size() > root.size() && resolved.compare(0, root.size(), root) == 0 &&
            resolved[root.size()] == '/');
}

std::string real_path(const std::string& path) {
    char* r = ::realpath(path.c_str(), nullptr);
    if (!r) return {};
    std::string out(r);
    std::free(r);
    return out;
}

// Resolves `rel` with realpath and opens the result if it lies inside the root.
int open_resolved(const StaticState& s, const std::string& rel, bool have_openat2) {
    std::string resolved = real_path(s.root + "/" + rel);
    if (resolved.empty()) return -1;
    if (!inside_root(s.root, resolved)) {
        errno = ENOENT;
        return -1;
    }
    if (!s.options.follow_symlinks && resolved != s.root + "/" + rel) {
        errno = ENOENT;
        return -1;
    }
    if (!have_openat2) return ::open(resolved.c_str(), kOpenFlags | O_NOFOLLOW);
    std::string below = resolved.size() > s.root.size() + 1 && s.root != "/"
                            ? resolved.substr(s.root.size() + 1)
                        : s.root == "/" && resolved.size() > 1 ? resolved.substr(1)
                                                               : std::string(".");
    return openat2_beneath(s.root_fd.get(), below.c_str(), RESOLVE_NO_SYMLINKS);
}

Opened open_below(const StaticState& s, const std::string& rel) {
    Opened out;
    const char* path = rel.empty() ? "." : rel.c_str();
    int fd = -1;
    if (!g_no_openat2.load(std::memory_order_relaxed)) {
        fd = openat2_beneath(s.root_fd.get(), path,
                             s.options.follow_symlinks ? 0 : RESOLVE_NO_SYMLINKS);
        if (fd < 0 && errno == ENOSYS) {
            g_no_openat2.store(true, std::memory_order_relaxed);
            fd = open_resolved(s, rel, false);
        } else if (fd < 0 && errno == EXDEV && s.options.follow_symlinks) {
            // An absolute symlink, or one that leaves the root: decide by where it leads.
            fd = open_resolved(s, rel, true);
        }
    } else {
        fd = open_resolved(s, rel, false);
    }
    if (fd < 0) {
        out.status = errno == EACCES || errno == EPERM ? 403 : 404;
        return out;
    }
    out.fd.reset(fd);
    if (::fstat(fd, &out.st) != 0) {
        out.fd.reset();
        out.status = 404;
        return out;
    }
    if (S_ISDIR(out.st.st_mode)) {
        out.is_dir = true;
        out.fd.reset();
    } else if (!S_ISREG(out.st.st_mode)) {
        out.fd.reset();
        out.status = 404;
    }
    return out;
}

Task<Opened> open_file(std::shared_ptr<const StaticState> st, std::string rel) {
    if (!st->options.offload_open) co_return open_below(*st, rel);
    Opened r = co_await offload([st, rel = std::move(rel)] { return open_below(*st, rel); });
    co_return r;
}

void add_cache_headers(Response& r, const StaticOptions& o, std::string_view etag,
                       const struct stat& st) {
    if (!etag.empty()) r.header("ETag", etag);
    if (o.last_modified) r.header("Last-Modified", http::format_http_date(st.st_mtim.tv_sec));
    if (!o.cache_control.empty()) {
        r.header("Cache-Control", o.cache_control);
    } else if (o.max_age) {
        r.header("Cache-Control", "public, max-age=" + std::to_string(o.max_age->count()));
    }
}

// A multipart boundary nobody can predict, so that no file can be made to contain it (RFC
// 2046 5.1.1): 64 random bits from getrandom(2), which does not block once the system's pool
// is initialised (long before a server answers requests).
std::string make_boundary() {
    std::uint64_t bits = 0;
    if (::getrandom(&bits, sizeof bits, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof bits)) {
        // Only before the kernel's pool is initialised (early boot): differs per response
        // at least, which is all a boundary strictly needs when no file contains it.
        thread_local std::uint64_t counter = 0;
        bits = static_cast<std::uint64_t>(::time(nullptr)) * 0x9E3779B97F4A7C15ULL + ++counter;
    }
    char buf[32];
    const int n =
        std::snprintf(buf, sizeof buf, "gannet-%016llx", static_cast<unsigned long long>(bits));
    return std::string(buf, static_cast<std::size_t>(n));
}

// Sends a file response's body through the exchange (which frames it and leaves it out for
// HEAD): for each of `ranges` the part's head (multipart only) and the file's bytes, then the
// closing delimiter. The one place where static files write; false once the client is gone.
Task<bool> send_file_body(http::Exchange* t, int fd, std::span<const http::ByteRange> ranges,
                          const http::MultipartRanges* multipart) {
    for (std::size_t i = 0; i < ranges.size(); ++i) {
        if (multipart != nullptr) {
            bool ok = co_await t->write_body(multipart->heads[i]);
            if (!ok) co_return false;
        }
        bool sent = co_await t->send_file(fd, ranges[i].first, ranges[i].length);
        if (!sent) co_return false;
    }
    if (multipart != nullptr) {
        bool ok = co_await t->write_body(multipart->tail);
        if (!ok) co_return false;
    }
    co_return co_await t->finish();
}

Task<Response> serve_static(std::shared_ptr<const StaticState> st, Request& req) {
    const StaticOptions& opt = st->options;
    std::string_view raw = req.path().substr(st->prefix.size());
    auto path = http::normalize_static_path(raw);
    if (!path) co_return Response::status_only(404);
    if (path->dotfile && opt.dotfiles != Dotfiles::allow)
        co_return Response::status_only(opt.dotfiles == Dotfiles::forbid ? 403 : 404);

    std::string rel = path->relative;
    Opened file = co_await open_file(st, rel);
    if (file.status != 0) co_return Response::status_only(file.status);
    if (file.is_dir) {
        if (!path->trailing_slash) {
            std::string location(req.path());
            location += '/';
            if (!req.query_string().empty()) {
                location += '?';
                location += req.query_string();
            }
            co_return Response::redirect(location, 301);
        }
        if (opt.index.empty()) co_return Response::status_only(404);
        rel = rel.empty() ? opt.index : rel + "/" + opt.index;
        Opened index = co_await open_file(st, rel);
        file = std::move(index);
        if (file.status != 0 || file.is_dir) co_return Response::status_only(404);
    } else if (path->trailing_slash) {
        co_return Response::status_only(404);  // "file.txt/": not a directory
    }

    const struct stat& sb = file.st;
    auto size = static_cast<std::uint64_t>(sb.st_size);
    std::string etag;
    if (opt.etag) {
        etag = http::make_etag(size, static_cast<std::int64_t>(sb.st_mtim.tv_sec) * 1'000'000'000 +
                                         sb.st_mtim.tv_nsec);
    }
    http::Conditionals cond{req.header("If-Match"),
                            req.header("If-None-Match"),
                            req.header("If-Modified-Since"),
                            req.header("If-Unmodified-Since"),
                            req.header("Range"),
                            req.header("If-Range")};
    http::FileValidators val{size, sb.st_mtim.tv_sec, opt.last_modified, etag};
    http::StaticDecision d = http::evaluate_conditionals(cond, val, opt.max_ranges);

    if (d.status == 304) {
        Response r(304);
        add_cache_headers(r, opt, etag, sb);
        co_return r;
    }
    if (d.status == 412) co_return Response::status_only(412);
    if (d.status == 416) {
        Response r = Response::status_only(416);
        r.header("Content-Range", "bytes */" + std::to_string(size));
        co_return r;
    }

    http::Exchange* t = req.exchange();
    if (t == nullptr) co_return Response::status_only(500);
    const std::string_view type = http::mime_type(rel);
    Response meta(d.status);
    add_cache_headers(meta, opt, etag, sb);
    meta.header("Accept-Ranges", opt.max_ranges == 0 ? "none" : "bytes");
    std::uint64_t length = d.range.length;
    std::span<const http::ByteRange> ranges(&d.range, 1);
    std::optional<http::MultipartRanges> multipart;
    if (!d.ranges.empty()) {
        // Several ranges: one body of parts, each with its own Content-Type and Content-Range,
        // and no Content-Range in the head (RFC 9110 14.6, 15.3.7.2).
        multipart = http::plan_multipart(d.ranges, size, type, make_boundary());
        meta.content_type(multipart->content_type);
        length = multipart->content_length;
        ranges = d.ranges;
    } else {
        meta.content_type(type);
        if (d.status == 206) {
            meta.header("Content-Range", "bytes " + std::to_string(d.range.first) + "-" +
                                             std::to_string(d.range.first + d.range.length - 1) +
                                             "/" + std::to_string(size));
        }
    }
    // The exchange frames it (Content-Length, no body for HEAD) and sends the file with
    // sendfile(2) where the stream allows.
    t->start_response(meta, length);
    co_await send_file_body(t, file.fd.get(), ranges, multipart ? &*multipart : nullptr);
    co_return Response::already_sent();
}

}  // namespace

App& App::static_files(std::string_view prefix, std::string_view dir) {
    return static_files(prefix, dir, StaticOptions{});
}

App& App::static_files(std::string_view prefix, std::string_view dir,
                       const StaticOptions& options) {
    auto st = std::make_shared<StaticState>();
    st->prefix = std::string(prefix);
    while (!st->prefix.empty() && st->prefix.back() == '/') st->prefix.pop_back();
    if (!st->prefix.empty() && st->prefix.front() != '/') {
        throw std::invalid_argument("static_files: prefix '" + std::string(prefix) +
                                    "' must start with '/'");
    }
    std::string d(dir);
    st->root = real_path(d);
    if (st->root.empty()) {
        throw std::runtime_error("static_files: '" + d + "': " + std::strerror(errno));
    }
    st->root_fd.reset(::open(st->root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (st->root_fd.get() < 0) {
        throw std::runtime_error("static_files: '" + d +
                                 "' is not a readable directory: " + std::strerror(errno));
    }
    st->options = options;
    std::shared_ptr<const StaticState> state = std::move(st);
    get(state->prefix + "/{*path}", [state](Request& req) { return serve_static(state, req); });
    return *this;
}

}  // namespace gannet
