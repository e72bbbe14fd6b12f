// A worker's cache of name lookups (docs/architecture.md, "Outbound connections"): answers live
// as long as their DNS TTL says (capped), "no such host" for a short fixed time, and the cache
// holds a bounded number of names. One per worker, so it needs no lock.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gannet::net {

/// One cached lookup: addresses (ports unset), or none for a name that does not exist.
struct DnsAnswer {
    std::vector<sockaddr_storage> addresses;  ///< empty: no such host
    std::string detail;                       ///< why not, for a name that does not exist
};

class DnsCache {
  public:
    /// At most `max_entries` names (0: caching off).
    explicit DnsCache(std::size_t max_entries = 1024) noexcept : max_entries_(max_entries) {}

    /// The answer for `name` (case-insensitive) while it is fresh at `now_ms`, or null.
    const DnsAnswer* find(std::string_view name, std::uint64_t now_ms);
    /// Stores `answer` for `name` until `now_ms + ttl_ms`. Evicts expired entries first, then
    /// the one closest to expiry, when full. A zero TTL stores nothing.
    void store(std::string_view name, DnsAnswer answer, std::uint64_t now_ms, std::uint64_t ttl_ms);
    void clear() noexcept { entries_.clear(); }
    std::size_t size() const noexcept { return entries_.size(); }
    void set_max_entries(std::size_t n) noexcept { max_entries_ = n; }

  private:
    struct Entry {
        DnsAnswer answer;
        std::uint64_t expires_ms;
    };
    static std::string key_of(std::string_view name);
    void make_room(std::uint64_t now_ms);

    std::size_t max_entries_;
    std::unordered_map<std::string, Entry> entries_;
};

}  // namespace gannet::net
