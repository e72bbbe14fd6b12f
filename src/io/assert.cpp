// The failure path of GANNET_ASSERT (include/gannet/detail/assert.hpp). Always compiled, so a
// program built with checks links against a library built without them.
#include <gannet/detail/assert.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace gannet::detail {

void assert_failed(const char* expr, const char* message, const char* file, int line) noexcept {
    // Straight to stderr, not through the log sink: the process is about to abort, and the
    // sink may be what is broken. One write, so the line is not torn by other threads.
    char buf[1024];
    int n = std::snprintf(buf, sizeof buf, "%s:%d: gannet: assertion failed: %s: %s\n", file, line,
                          expr, message);
    if (n > 0) {
        auto len = static_cast<std::size_t>(n);
        if (len >= sizeof buf) {  // truncated: keep the line a line
            len = sizeof buf - 1;
            buf[len - 1] = '\n';
        }
        [[maybe_unused]] auto w = ::write(STDERR_FILENO, buf, len);
    }
    std::abort();
}

}  // namespace gannet::detail
