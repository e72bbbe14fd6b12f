// TcpStream: io::Stream over a connected, non-blocking TCP socket on this worker's poller.
// The first Stream; TLS and client connections are the next ones (docs/architecture.md).
#pragma once

#include "io/stream.hpp"

#include <sys/socket.h>

#include <string>

namespace gannet::io {

class TcpStream final : public Stream {
  public:
    /// Takes ownership of the connected socket `fd`; `peer` is its remote address.
    TcpStream(int fd, const sockaddr_storage& peer);
    ~TcpStream() override;

    void attach() override;
    /// attach() for a socket whose non-blocking connect(2) is still in progress: neither
    /// readable nor writable until the poller reports that the handshake ended (either way).
    void attach_connecting();
    IoResult read(std::span<char> buf) noexcept override;
    IoResult write(std::span<const std::string_view> pieces) noexcept override;
    bool can_sendfile() const noexcept override { return true; }
    IoResult sendfile(int fd, std::uint64_t& offset, std::size_t count) noexcept override;
    void cork(bool on) noexcept override;
    void shutdown_write() noexcept override;
    void shutdown_both() noexcept override;
    void close() noexcept override;
    std::string_view peer_address() const noexcept override { return peer_; }
    std::string_view local_address() const noexcept override;

    int fd() const noexcept { return state_.fd; }

  private:
    IoResult send_one(std::string_view data) noexcept;

    Worker* worker_ = nullptr;  // the one attach() registered with
    char peer_[64];
    mutable std::string local_;  // formatted on first use
};

/// Writes "127.0.0.1:53211" or "[::1]:8080" (an IPv4 or IPv6 address), or "unknown", into
/// `out` (NUL-terminated, cut to fit); returns its length.
std::size_t format_address(const sockaddr_storage& ss, char* out, std::size_t size) noexcept;

}  // namespace gannet::io
