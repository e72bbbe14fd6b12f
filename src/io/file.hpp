// Reading an open file at an offset, for streams that cannot sendfile(2) (TLS): the file's
// bytes go through user space. Local files only; a slow file system belongs on offload().
#pragma once

#include "io/stream.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <span>

namespace gannet::io {

/// Reads up to `buf.size()` bytes of `fd` at `offset`. IoError::file when the file ends first
/// or cannot be read.
inline IoResult read_file_at(int fd, std::span<char> buf, std::uint64_t offset) noexcept {
    for (;;) {
        ssize_t n = ::pread(fd, buf.data(), buf.size(), static_cast<off_t>(offset));
        if (n > 0) return {static_cast<std::size_t>(n), IoError::none};
        if (n < 0 && errno == EINTR) continue;
        return {0, IoError::file};
    }
}

}  // namespace gannet::io
