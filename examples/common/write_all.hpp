// A blocking helper the upload examples share: run it on the offload pool, never on a worker.
#pragma once

#include <unistd.h>

#include <cerrno>
#include <string_view>
#include <system_error>

/// Writes all of `data` to `fd`, retrying short writes and EINTR; throws std::system_error.
inline void write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw std::system_error(errno, std::generic_category(), "write");
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}
