// The App's SSE hooks: SSE routes and the per-App channel registry (in AppCore::sse_state).
#include "app/app_core.hpp"
#include "sse/channel.hpp"
#include "sse/event_stream.hpp"

#include <gannet/sse.hpp>

#include <map>
#include <mutex>
#include <string>

namespace gannet {

namespace {

struct SseRegistry {
    std::mutex mutex;
    std::map<std::string, std::unique_ptr<SseChannel>, std::less<>> channels;
};

SseRegistry& registry(detail::AppCore& core) {
    std::lock_guard lock(core.extension_mutex);
    if (!core.sse_state) core.sse_state = std::make_shared<SseRegistry>();
    return *static_cast<SseRegistry*>(core.sse_state.get());
}

}  // namespace

App& App::sse(std::string_view pattern, SseHandler handler) {
    return sse(pattern, std::move(handler), SseOptions{});
}

App& App::sse(std::string_view pattern, SseHandler handler, const SseOptions& options) {
    if (!handler)
        throw std::invalid_argument("gannet: SSE route " + std::string(pattern) +
                                    " needs a handler");
    // The route (and so this lambda) lives as long as the App: the references run_sse keeps to
    // the handler and the options outlive every request.
    return get(pattern, [h = std::move(handler), options](Request& req) {
        return detail::run_sse(h, options, req);
    });
}

SseChannel& App::channel(std::string_view name) {
    SseRegistry& reg = registry(*core_);
    std::lock_guard lock(reg.mutex);
    auto it = reg.channels.find(name);
    if (it == reg.channels.end()) {
        const detail::AppCore* core = core_.get();
        auto channel_core = std::make_shared<detail::SseChannelCore>(
            std::string(name),
            [core](std::function<void()> fn) { core->broadcast(std::move(fn)); });
        it = reg.channels
                 .emplace(std::string(name), std::make_unique<SseChannel>(std::move(channel_core)))
                 .first;
    }
    return *it->second;
}

}  // namespace gannet
