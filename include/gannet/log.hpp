// Gannet's one logging sink: every message the library writes (a handler that threw, a
// connection that failed, a protocol error at debug level) goes through here, and an
// application can send them to its own logger instead of stderr.
//
//     gannet::set_log_level(gannet::LogLevel::debug);
//     gannet::set_log_sink([](gannet::LogLevel level, std::string_view line) {
//         my_logger.write(gannet::to_string(level), line);
//     });
//
// Messages below the level cost one relaxed load and a branch; GANNET_LOG does not even
// evaluate its arguments then.
#pragma once

#include <atomic>
#include <functional>
#include <string_view>

namespace gannet {

/// How much a message matters. `off` as a level silences everything.
enum class LogLevel : int { debug = 0, info = 1, warn = 2, error = 3, off = 4 };

/// Receives each message that passes the level: one line, without a trailing newline. Called on
/// the thread that logs (a worker, the blocking pool, the main thread), possibly from several at
/// once, so it must be thread-safe; it should not block for long (workers wait for it).
using LogSink = std::function<void(LogLevel, std::string_view)>;

/// Replaces the sink; an empty function restores the default, which writes
/// `gannet: <level>: <message>` to stderr with one write(2) per line (lines from different
/// workers never interleave). Safe to call at any time from any thread.
void set_log_sink(LogSink sink);

/// Drops messages below `level` from now on. The default is `info`.
void set_log_level(LogLevel level) noexcept;
/// The current level.
LogLevel log_level() noexcept;

/// "debug", "info", "warn", "error" or "off".
std::string_view to_string(LogLevel level) noexcept;

namespace detail {
extern std::atomic<int> log_threshold;  // LogLevel as int, read on every log call
void log_write(LogLevel level, std::string_view message);
[[gnu::format(printf, 2, 3)]] void log_printf(LogLevel level, const char* format, ...);
}  // namespace detail

/// True when a message at `level` would reach the sink: check it before building an expensive
/// message.
inline bool log_enabled(LogLevel level) noexcept {
    return static_cast<int>(level) >= detail::log_threshold.load(std::memory_order_relaxed);
}

/// Sends `message` (one line, no newline) to the sink if `level` is enabled.
inline void log(LogLevel level, std::string_view message) {
    if (log_enabled(level)) detail::log_write(level, message);
}

}  // namespace gannet

/// printf-style logging that formats only when `level` is enabled; the arguments are not
/// evaluated otherwise. `GANNET_LOG(gannet::LogLevel::warn, "port %u: %s", port, why);`
#define GANNET_LOG(level, ...)                                                              \
    do {                                                                                    \
        if (::gannet::log_enabled(level)) ::gannet::detail::log_printf(level, __VA_ARGS__); \
    } while (0)
