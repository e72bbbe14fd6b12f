#include "ws/topics.hpp"

#include "ws/session.hpp"

#include <algorithm>
#include <unordered_map>
#include <vector>

namespace gannet::ws {

namespace {

struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
        return std::hash<std::string_view>{}(s);
    }
};

using TopicMap =
    std::unordered_map<std::string, std::vector<Session*>, StringHash, std::equal_to<>>;

// Keyed by App: a worker thread serves one App, but tests may run several Apps in a process.
thread_local std::unordered_map<const void*, TopicMap> t_registries;

}  // namespace

void topics_subscribe(const void* app_key, std::string_view topic, Session* s) {
    auto& map = t_registries[app_key];
    auto it = map.find(topic);
    if (it == map.end()) it = map.emplace(std::string(topic), std::vector<Session*>{}).first;
    it->second.push_back(s);
}

void topics_unsubscribe(const void* app_key, std::string_view topic, Session* s) {
    auto reg = t_registries.find(app_key);
    if (reg == t_registries.end()) return;
    auto it = reg->second.find(topic);
    if (it == reg->second.end()) return;
    auto& subs = it->second;
    auto pos = std::find(subs.begin(), subs.end(), s);
    if (pos != subs.end()) {
        *pos = subs.back();  // delivery order between subscribers does not matter
        subs.pop_back();
    }
    if (subs.empty()) reg->second.erase(it);
}

void topics_deliver(const void* app_key, std::string_view topic,
                    const std::shared_ptr<const std::string>& frame, const TopicPolicy* policy) {
    auto reg = t_registries.find(app_key);
    if (reg == t_registries.end()) return;
    auto it = reg->second.find(topic);
    if (it == reg->second.end()) return;
    // Phase one only queues (no coroutine runs, so the subscriber list cannot change under
    // us); phase two starts writers, which may resume handlers that subscribe, unsubscribe or
    // end. The shared_ptrs keep those sessions alive until their kick.
    // Each subscriber costs a few cache misses (its session, its connection): prefetching
    // them some subscribers ahead lets those misses overlap instead of queueing up.
    constexpr std::size_t session_ahead = 8;
    constexpr std::size_t transport_ahead = 4;
    const std::vector<Session*>& subs = it->second;
    const std::size_t n = subs.size();
    std::vector<std::shared_ptr<Session>> kick;
    for (std::size_t i = 0; i < n; ++i) {
        if (i + session_ahead < n) subs[i + session_ahead]->prefetch();
        if (i + transport_ahead < n) subs[i + transport_ahead]->prefetch_transport();
        if (subs[i]->offer(frame, policy)) kick.push_back(subs[i]->shared_from_this());
    }
    for (auto& s : kick) s->kick();
}

}  // namespace gannet::ws
