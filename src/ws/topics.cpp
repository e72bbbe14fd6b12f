#include "ws/topics.hpp"

#include "io/worker.hpp"
#include "ws/session.hpp"

#include <algorithm>
#include <deque>
#include <optional>
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

// A topic on one worker. Deliveries walk the subscribers in slices of `slice` and yield to the
// event loop between slices, so a large fan-out neither stalls the worker's other connections
// nor sends messages one by one when they come faster than a pass: a message published during
// a pass joins it, and each subscriber gets every message it has not had yet in one write.
//
// Sequence numbers: the frames held are [base, end); a subscriber has had every frame before
// its `next`. During a pass unsubscribing leaves a hole (a null session) instead of moving the
// last subscriber into the gap, so that the cursor never skips anyone; holes are closed when
// the pass ends.
struct Sub {
    Session* session;
    std::uint64_t next;
};

struct Pending {
    std::shared_ptr<const std::string> frame;
    std::optional<TopicPolicy> policy;
};

struct Topic {
    std::vector<Sub> subs;
    std::deque<Pending> frames;
    std::uint64_t base = 0;
    std::uint64_t end = 0;
    std::size_t cursor = 0;      // the next subscriber of the current pass
    std::uint64_t pass_end = 0;  // `end` when the current pass began
    bool passing = false;
    std::size_t live = 0;  // subscribers that are not holes
};

std::size_t slice = 1024;  // per process; see topics_set_slice()

using TopicMap = std::unordered_map<std::string, Topic, StringHash, std::equal_to<>>;

// Keyed by App: a worker thread serves one App, but tests may run several Apps in a process.
thread_local std::unordered_map<const void*, TopicMap> t_registries;

void close_holes(Topic& t) {
    std::erase_if(t.subs, [](const Sub& s) { return s.session == nullptr; });
}

/// Offers subscriber `sub` the frames it has not had; true when its writer must be kicked.
bool catch_up(Topic& t, Sub& sub, std::vector<std::shared_ptr<const std::string>>& batch) {
    auto first = static_cast<std::size_t>(sub.next - t.base);
    auto count = static_cast<std::size_t>(t.end - sub.next);
    sub.next = t.end;
    const Pending& newest = t.frames.back();
    const TopicPolicy* policy = newest.policy ? &*newest.policy : nullptr;
    if (count == 1) return sub.session->offer(t.frames[first].frame, policy);
    batch.clear();
    for (std::size_t i = first; i < first + count; ++i) batch.push_back(t.frames[i].frame);
    return sub.session->offer_many(batch, policy);
}

void continue_pass(const void* app_key, std::string_view name);

/// Runs one slice of the current pass of `name`; schedules the next one or ends the pass.
void run_slice(const void* app_key, std::string_view name, Topic& t) {
    // Phase one only queues and writes (no coroutine runs, so the subscriber list cannot change
    // under us); phase two starts writers, which may resume handlers that subscribe,
    // unsubscribe or end. The shared_ptrs keep those sessions alive until their kick.
    // Each subscriber costs a few cache misses (its session, its connection): prefetching
    // them some subscribers ahead lets those misses overlap instead of queueing up.
    constexpr std::size_t session_ahead = 8;
    constexpr std::size_t exchange_ahead = 4;
    std::vector<std::shared_ptr<Session>> kick;
    std::vector<std::shared_ptr<const std::string>> batch;
    const std::size_t stop = std::min(t.subs.size(), t.cursor + slice);
    for (std::size_t i = t.cursor; i < stop; ++i) {
        if (i + session_ahead < stop && t.subs[i + session_ahead].session &&
            t.subs[i + session_ahead].next < t.end) {
            t.subs[i + session_ahead].session->prefetch();
        }
        if (i + exchange_ahead < stop && t.subs[i + exchange_ahead].session &&
            t.subs[i + exchange_ahead].next < t.end) {
            t.subs[i + exchange_ahead].session->prefetch_exchange();
        }
        Sub& sub = t.subs[i];
        if (sub.session == nullptr || sub.next >= t.end) continue;
        if (catch_up(t, sub, batch)) kick.push_back(sub.session->shared_from_this());
    }
    t.cursor = stop;
    for (auto& s : kick) s->kick();
    // `t` is still there after the kicks: a topic is never erased during its pass
    // (unsubscribing leaves a hole), and map nodes stay put when others come or go.
    if (t.cursor < t.subs.size()) {
        // More subscribers: let the loop handle other events first.
        if (io::Worker* w = io::Worker::current()) {
            w->post([app_key, n = std::string(name)] { continue_pass(app_key, n); });
            return;
        }
        run_slice(app_key, name, t);  // no worker (unit tests): carry on here
        return;
    }
    // The pass is over: everyone has had the frames before pass_end.
    close_holes(t);
    while (t.base < t.pass_end) {
        t.frames.pop_front();
        ++t.base;
    }
    if (t.end > t.pass_end) {  // published during the pass: another pass for them
        t.cursor = 0;
        t.pass_end = t.end;
        run_slice(app_key, name, t);
        return;
    }
    t.passing = false;
    if (t.live == 0) t_registries[app_key].erase(std::string(name));  // `name` may be its key
}

void continue_pass(const void* app_key, std::string_view name) {
    auto reg = t_registries.find(app_key);
    if (reg == t_registries.end()) return;
    auto it = reg->second.find(name);
    if (it == reg->second.end() || !it->second.passing) return;
    run_slice(app_key, name, it->second);
}

}  // namespace

void topics_set_slice(std::size_t subscribers) noexcept {
    slice = std::max<std::size_t>(1, subscribers);
}

void topics_subscribe(const void* app_key, std::string_view topic, Session* s) {
    auto& map = t_registries[app_key];
    auto it = map.find(topic);
    if (it == map.end()) it = map.emplace(std::string(topic), Topic{}).first;
    Topic& t = it->second;
    t.subs.push_back(Sub{s, t.end});  // only what is published from now on
    ++t.live;
}

void topics_unsubscribe(const void* app_key, std::string_view topic, Session* s) {
    auto reg = t_registries.find(app_key);
    if (reg == t_registries.end()) return;
    auto it = reg->second.find(topic);
    if (it == reg->second.end()) return;
    Topic& t = it->second;
    auto pos = std::find_if(t.subs.begin(), t.subs.end(),
                            [s](const Sub& sub) { return sub.session == s; });
    if (pos == t.subs.end()) return;
    --t.live;
    if (t.passing) {
        pos->session = nullptr;  // a hole until the pass ends
        return;
    }
    *pos = t.subs.back();  // delivery order between subscribers does not matter
    t.subs.pop_back();
    if (t.live == 0) reg->second.erase(it);
}

void topics_deliver(const void* app_key, std::string_view topic,
                    const std::shared_ptr<const std::string>& frame, const TopicPolicy* policy) {
    auto reg = t_registries.find(app_key);
    if (reg == t_registries.end()) return;
    auto it = reg->second.find(topic);
    if (it == reg->second.end()) return;
    Topic& t = it->second;
    t.frames.push_back(Pending{frame, policy ? std::optional<TopicPolicy>(*policy) : std::nullopt});
    ++t.end;
    if (t.passing) return;  // the pass under way takes it along
    t.passing = true;
    t.cursor = 0;
    t.pass_end = t.end;
    run_slice(app_key, it->first, t);
}

}  // namespace gannet::ws
