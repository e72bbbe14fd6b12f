// The logging sink behind include/gannet/log.hpp.
#include <gannet/log.hpp>

#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

namespace gannet {

namespace detail {
std::atomic<int> log_threshold{static_cast<int>(LogLevel::info)};
}  // namespace detail

namespace {

// The application's sink, if any. Logging is rare (errors, opt-in debug lines), so a mutex
// around a shared_ptr copy is enough; the sink itself runs outside the lock, so a slow sink
// does not serialise the workers more than it must, and a sink may log or replace itself.
std::mutex g_sink_mutex;
std::shared_ptr<const LogSink> g_sink;

void write_all(int fd, const char* p, std::size_t n) noexcept {
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return;  // nowhere left to report it
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
}

bool is_control(char c) noexcept {
    auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u == 0x7f;
}

// `gannet: <level>: <message>\n` in one write(2): stderr is shared by every worker, and a line
// written in pieces could be torn by another thread's line. (Writes to a pipe are atomic up to
// PIPE_BUF, 4 KiB; longer lines, rare, may interleave with others.) Control characters in the
// message (a newline in a logged request path) are escaped as \xHH: one message, one line.
void default_sink(LogLevel level, std::string_view message) noexcept {
    constexpr std::string_view kPrefix = "gannet: ";
    std::string_view name = to_string(level);
    std::size_t controls = 0;
    for (char c : message) controls += is_control(c) ? 1 : 0;
    std::size_t size = kPrefix.size() + name.size() + 2 + message.size() + 3 * controls + 1;
    char stack[1024];
    std::string heap;
    char* buf = stack;
    if (size > sizeof stack) {
        try {
            heap.resize(size);
        } catch (...) {
            return;
        }
        buf = heap.data();
    }
    char* p = buf;
    auto put = [&p](std::string_view s) {
        for (char c : s) *p++ = c;
    };
    put(kPrefix);
    put(name);
    put(": ");
    for (char c : message) {
        if (!is_control(c)) {
            *p++ = c;
            continue;
        }
        constexpr char kHex[] = "0123456789abcdef";
        auto u = static_cast<unsigned char>(c);
        *p++ = '\\';
        *p++ = 'x';
        *p++ = kHex[u >> 4];
        *p++ = kHex[u & 0xf];
    }
    *p++ = '\n';
    write_all(STDERR_FILENO, buf, static_cast<std::size_t>(p - buf));
}

}  // namespace

void set_log_sink(LogSink sink) {
    std::shared_ptr<const LogSink> next;
    if (sink) next = std::make_shared<const LogSink>(std::move(sink));
    std::lock_guard lock(g_sink_mutex);
    g_sink.swap(next);
    // `next` (the old sink) is released after the lock: a call in flight keeps its own copy.
}

void set_log_level(LogLevel level) noexcept {
    detail::log_threshold.store(static_cast<int>(level), std::memory_order_relaxed);
}

LogLevel log_level() noexcept {
    return static_cast<LogLevel>(detail::log_threshold.load(std::memory_order_relaxed));
}

std::string_view to_string(LogLevel level) noexcept {
    switch (level) {
        case LogLevel::debug:
            return "debug";
        case LogLevel::info:
            return "info";
        case LogLevel::warn:
            return "warn";
        case LogLevel::error:
            return "error";
        case LogLevel::off:
            return "off";
    }
    return "?";
}

namespace detail {

void log_write(LogLevel level, std::string_view message) {
    std::shared_ptr<const LogSink> sink;
    {
        std::lock_guard lock(g_sink_mutex);
        sink = g_sink;
    }
    if (!sink) {
        default_sink(level, message);
        return;
    }
    try {
        (*sink)(level, message);
    } catch (...) {
        // A sink that throws must not take a worker down; say so where it cannot be lost.
        default_sink(LogLevel::error, "the log sink threw; the message was:");
        default_sink(level, message);
    }
}

void log_printf(LogLevel level, const char* format, ...) {
    char stack[512];
    va_list args;
    va_start(args, format);
    va_list again;
    va_copy(again, args);
    int n = std::vsnprintf(stack, sizeof stack, format, args);
    va_end(args);
    if (n < 0) {
        va_end(again);
        return;
    }
    if (static_cast<std::size_t>(n) < sizeof stack) {
        va_end(again);
        log_write(level, std::string_view(stack, static_cast<std::size_t>(n)));
        return;
    }
    std::string heap(static_cast<std::size_t>(n) + 1, '\0');
    std::vsnprintf(heap.data(), heap.size(), format, again);
    va_end(again);
    heap.pop_back();
    log_write(level, heap);
}

}  // namespace detail

}  // namespace gannet
