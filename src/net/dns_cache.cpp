#include "net/dns_cache.hpp"

#include <cctype>
#include <utility>

namespace gannet::net {

std::string DnsCache::key_of(std::string_view name) {
    std::string key(name);
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    // "example.com." and "example.com" are the same name (an absolute name's final dot).
    if (key.size() > 1 && key.back() == '.') key.pop_back();
    return key;
}

const DnsAnswer* DnsCache::find(std::string_view name, std::uint64_t now_ms) {
    if (entries_.empty()) return nullptr;
    auto it = entries_.find(key_of(name));
    if (it == entries_.end()) return nullptr;
    if (it->second.expires_ms <= now_ms) {
        entries_.erase(it);
        return nullptr;
    }
    return &it->second.answer;
}

void DnsCache::make_room(std::uint64_t now_ms) {
    for (auto it = entries_.begin(); it != entries_.end();) {
        it = it->second.expires_ms <= now_ms ? entries_.erase(it) : std::next(it);
    }
    // Still full of fresh answers: the one that would expire first goes. A linear scan, but
    // only when max_entries names are all fresh, which a worker meets rarely if ever.
    while (!entries_.empty() && entries_.size() >= max_entries_) {
        auto soonest = entries_.begin();
        for (auto it = entries_.begin(); it != entries_.end(); ++it) {
            if (it->second.expires_ms < soonest->second.expires_ms) soonest = it;
        }
        entries_.erase(soonest);
    }
}

void DnsCache::store(std::string_view name, DnsAnswer answer, std::uint64_t now_ms,
                     std::uint64_t ttl_ms) {
    if (ttl_ms == 0 || max_entries_ == 0) return;
    std::string key = key_of(name);
    auto it = entries_.find(key);
    if (it == entries_.end() && entries_.size() >= max_entries_) make_room(now_ms);
    entries_.insert_or_assign(std::move(key), Entry{std::move(answer), now_ms + ttl_ms});
}

}  // namespace gannet::net
