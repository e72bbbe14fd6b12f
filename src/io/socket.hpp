// TCP socket helpers and the accept loop. Nothing here knows HTTP.
#pragma once

#include "io/waiters.hpp"
#include "io/worker.hpp"

#include <gannet/task.hpp>

#include <sys/socket.h>
#include <cstdint>

#include <functional>
#include <string>

namespace gannet::io {

/// Creates a non-blocking listening TCP socket bound to host:port with SO_REUSEADDR and, when
/// `reuse_port`, SO_REUSEPORT (one listener per worker, the kernel spreads connections).
/// `join_existing`: this is a further listener of our own on a port we already hold (the other
/// workers'); otherwise a port someone else listens on is refused even with SO_REUSEPORT.
/// Throws std::runtime_error naming the address on failure (a port in use, a bad host).
int listen_tcp(const std::string& host, std::uint16_t port, bool reuse_port,
               bool join_existing = false, int backlog = 4096);

/// The port a bound socket listens on (useful after binding port 0).
std::uint16_t local_port(int fd);

/// Closes `fd`, ignoring EINTR.
void close_fd(int fd) noexcept;

/// Sets or clears TCP_CORK: while set, the kernel sends only full segments (a response head
/// and the file behind it share them); clearing it sends what is left at once.
void set_cork(int fd, bool on) noexcept;

/// Accepts connections on one worker's listening socket and hands each new fd to `on_accept`.
/// Pauses accepting while the worker holds `max_sessions` sessions and resumes when one ends.
class Listener final : public Session {
  public:
    using AcceptFn = std::function<void(int fd, const sockaddr_storage& peer)>;
    Listener(int fd, std::size_t max_sessions, AcceptFn on_accept);
    ~Listener() override;
    void start();
    void drain() override;
    void abort() override { drain(); }
    /// Connections refused because the worker was at its connection cap (counted, not lost:
    /// they wait in the backlog).
    std::uint64_t pauses() const noexcept { return pauses_; }

  private:
    Task<void> loop();
    void resume_if_paused();

    FdState state_;
    std::size_t max_sessions_;
    AcceptFn on_accept_;
    bool paused_ = false;
    bool closed_ = false;
    Waiter unpaused_;  // the accept loop, while paused
    std::uint64_t pauses_ = 0;
};

}  // namespace gannet::io
