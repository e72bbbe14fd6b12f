// GANNET_ASSERT: checks the promises the comments make (which worker a coroutine resumes on,
// one waiter where only one may wait, no resume of a finished task) in Debug and sanitizer
// builds, and costs nothing in Release.
//
// CMake defines GANNET_ENABLE_ASSERTS=1 on the gannet target (and so on everything linking it)
// when CMAKE_BUILD_TYPE is Debug or GANNET_SANITIZE is set. It is public only because a public
// header (task.hpp, runtime.hpp) checks its own invariants; users never need it.
#pragma once

namespace gannet::detail {

#if defined(GANNET_ENABLE_ASSERTS) && GANNET_ENABLE_ASSERTS
inline constexpr bool kAssertsEnabled = true;
#else
inline constexpr bool kAssertsEnabled = false;
#endif

/// Writes `file:line: assertion failed: expr: message` to stderr (one write) and aborts.
[[noreturn]] void assert_failed(const char* expr, const char* message, const char* file,
                                int line) noexcept;

}  // namespace gannet::detail

#if defined(GANNET_ENABLE_ASSERTS) && GANNET_ENABLE_ASSERTS
/// Aborts with file:line, the expression and `message` (a string literal) when `expr` is false.
#define GANNET_ASSERT(expr, message)              \
    (__builtin_expect(static_cast<bool>(expr), 1) \
         ? static_cast<void>(0)                   \
         : ::gannet::detail::assert_failed(#expr, message, __FILE__, __LINE__))
#else
// Not evaluated, but still compiled: names used only in checks stay "used", and a check that
// no longer compiles is noticed in Release builds too.
#define GANNET_ASSERT(expr, message) static_cast<void>(sizeof(static_cast<bool>(expr)))
#endif
