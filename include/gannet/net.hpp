// Outbound connections (docs/outbound.md): net::connect, the connection it returns, the error
// every failed connect throws, and where names are resolved.
#pragma once

#include <gannet/task.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace gannet::io {
class Stream;  // the byte stream under the connection (internal)
}

namespace gannet::net {

/// How net::connect reaches a host.
struct ConnectOptions {
    /// The whole connect: name resolution and every connection attempt. Past it the connect
    /// fails with ConnectError::Cause::timed_out (or resolver_timed_out while resolving).
    std::chrono::milliseconds timeout{10'000};
    /// RFC 8305 §5 "Connection Attempt Delay": how long one attempt runs alone before the next
    /// address (of the other family first) is tried beside it. A failed attempt starts the next
    /// one at once.
    std::chrono::milliseconds attempt_delay{250};
};

/// Thrown when a connect fails. what() names the host, the port and the cause, e.g.
/// "connect to db.internal:5432: connection refused (10.0.0.5:5432)".
class ConnectError : public std::runtime_error {
  public:
    enum class Cause : std::uint8_t {
        invalid_address,     ///< the host or port cannot be used (empty host, port 0)
        no_such_host,        ///< the name does not exist (NXDOMAIN) or has no address
        resolver_failed,     ///< the DNS servers answered with an error (SERVFAIL, REFUSED, ...)
        resolver_timed_out,  ///< no DNS server answered within the resolver's bound
        refused,             ///< the host answered with a reset: nothing listens on the port
        unreachable,         ///< no route to the network or host
        timed_out,           ///< ConnectOptions::timeout passed before a connection was made
        other,               ///< another system error (the detail says which)
    };

    /// `detail` is what follows the cause in parentheses: the addresses tried, the error text.
    ConnectError(Cause cause, std::string_view host, std::uint16_t port, std::string_view detail);

    Cause cause() const noexcept { return cause_; }
    const std::string& host() const noexcept { return host_; }
    std::uint16_t port() const noexcept { return port_; }

  private:
    Cause cause_;
    std::string host_;
    std::uint16_t port_;
};

/// "connection refused", "no such host", ...: the cause as what() says it.
const char* to_string(ConnectError::Cause cause) noexcept;

/// Thrown by TcpConnection's read and write when the connection fails, e.g.
/// "read from 10.0.0.5:5432: connection reset" or "write to 10.0.0.5:5432: timed out".
class ConnectionError : public std::runtime_error {
  public:
    ConnectionError(const std::string& what, bool timed_out)
        : std::runtime_error(what), timed_out_(timed_out) {}
    /// True when the operation's timeout passed (TcpConnection::set_timeout).
    bool timed_out() const noexcept { return timed_out_; }

  private:
    bool timed_out_;
};

/// A TCP connection opened by net::connect. Move-only; the destructor closes it. Every
/// operation runs on the worker that connected it, like the coroutine that awaits it.
class TcpConnection {
  public:
    TcpConnection() noexcept;
    explicit TcpConnection(std::unique_ptr<io::Stream> stream) noexcept;  ///< internal
    TcpConnection(TcpConnection&& other) noexcept;
    TcpConnection& operator=(TcpConnection&& other) noexcept;
    TcpConnection(const TcpConnection&) = delete;
    TcpConnection& operator=(const TcpConnection&) = delete;
    ~TcpConnection();

    /// True until close() (or a move from it).
    bool is_open() const noexcept { return stream_ != nullptr; }
    explicit operator bool() const noexcept { return is_open(); }

    /// Waits until bytes arrive and reads up to `buf.size()` of them. Returns 0 at the end of
    /// the stream (the peer shut down its side). Throws ConnectionError when the connection
    /// fails or the timeout passes, gannet::Cancelled when the awaiting task is cancelled.
    Task<std::size_t> read(std::span<char> buf);
    /// Sends all of `data`, waiting while the peer does not take it (backpressure). Throws
    /// like read(). `data` must stay alive until the write completes.
    Task<void> write(std::string_view data);
    /// Ends the sending side: the peer reads the end of the stream; reading goes on.
    void shutdown_write() noexcept;
    /// Closes the connection now (the destructor does it too).
    void close() noexcept;

    /// How long one read or write may wait for the peer; 0 (the default): no limit.
    void set_timeout(std::chrono::milliseconds timeout) noexcept { timeout_ = timeout; }
    /// The peer's address, "10.0.0.5:5432" or "[::1]:8080"; empty once closed.
    std::string_view peer_address() const noexcept;
    std::string_view local_address() const noexcept;

  private:
    std::unique_ptr<io::Stream> stream_;
    std::chrono::milliseconds timeout_{0};
    bool closing_ = false;  // close() is cancelling our own waits
};

/// Connects to `host`:`port` from the current worker: a name (resolved on the worker, see
/// ResolverOptions), "localhost", or a numeric IPv4 or IPv6 address ("10.0.0.5", "::1",
/// "[::1]"). Tries the host's addresses the way RFC 8305 (Happy Eyeballs) says and returns the
/// first connection made. Throws ConnectError naming the host and the cause, or
/// gannet::Cancelled. Call it from a coroutine running on a worker (a handler).
Task<TcpConnection> connect(std::string_view host, std::uint16_t port, ConnectOptions options = {});

/// Where and how workers resolve names. Process-wide: set it before the server starts; a worker
/// that has already resolved picks a change up at its next lookup and drops its cache.
struct ResolverOptions {
    /// DNS servers: "10.0.0.2", "10.0.0.2:5353", "[fd00::2]:53". Empty: the servers in the
    /// GANNET_DNS_SERVERS environment variable (the same syntax, comma-separated) when it is
    /// set, else those of /etc/resolv.conf.
    std::vector<std::string> servers;
    /// How long one query waits for an answer before it is sent again (to the next server);
    /// each round through the servers doubles it.
    std::chrono::milliseconds query_timeout{2'000};
    /// Rounds through the servers before a lookup fails with resolver_timed_out. A server that
    /// never answers fails a lookup after query_timeout x (2^tries - 1): 6 s by default.
    int tries = 2;
    /// Names each worker caches (0: no cache). An answer lives for its TTL, at most max_ttl.
    std::size_t cache_entries = 1024;
    std::chrono::seconds max_ttl{600};
    /// How long "no such host" is remembered (a name that appears soon after is found soon).
    std::chrono::seconds negative_ttl{5};
};

/// Replaces the resolver options of every worker (see ResolverOptions). Throws
/// std::invalid_argument naming a server address that cannot be parsed.
void set_resolver_options(ResolverOptions options);
/// The options in force.
ResolverOptions resolver_options();

}  // namespace gannet::net
