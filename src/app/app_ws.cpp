// App::ws and App::publish: the WebSocket route adapter (the opening handshake, then a
// ws::Session for the life of the connection) and pub/sub fan-out through the workers'
// mailboxes.
#include "app/app_core.hpp"
#include "http/exchange.hpp"
#include "ws/deflate.hpp"
#include "ws/frame.hpp"
#include "ws/handshake.hpp"
#include "ws/session.hpp"
#include "ws/topics.hpp"

#include <mutex>
#include <optional>
#include <unordered_map>

#include <gannet/websocket.hpp>

#include <algorithm>
#include <memory>
#include <string>

namespace gannet {

namespace {

Task<Response> ws_endpoint(std::shared_ptr<ws::RouteState> route, Request& req) {
    const auto& head = req.head();
    ws::HandshakeResult hs = ws::validate_upgrade(head.method, head.version_minor, head.headers);
    if (!hs.ok()) {
        Response r = Response::text(std::string(hs.error.message) + "\n", hs.error.status);
        if (!hs.error.header_name.empty()) r.header(hs.error.header_name, hs.error.header_value);
        r.header("Connection", "close");
        co_return r;
    }
    if (route->options.accept && !route->options.accept(req)) {
        co_return Response::text("WebSocket upgrade refused\n", 403);
    }
    http::Exchange* exchange = req.exchange();
    if (!exchange) co_return Response::status_only(500);

    std::string subprotocol(
        ws::select_subprotocol(std::span<const std::string>(hs.request.subprotocols),
                               std::span<const std::string>(route->options.subprotocols)));
    std::optional<ws::DeflateAgreement> deflate;
    if (route->options.compression) {
        deflate = ws::negotiate_deflate(hs.request.extensions, route->deflate);
    }
    // Whatever happens next, this exchange speaks WebSocket (or nothing) from here on.
    exchange->start_response(
        ws::accept_response(hs.request.accept_key, subprotocol,
                            deflate ? std::string_view(deflate->response) : std::string_view{}),
        std::nullopt);
    bool written = co_await exchange->flush();
    if (!written) co_return Response::already_sent();

    auto session =
        std::make_shared<ws::Session>(req, route, std::move(subprotocol), std::move(deflate));
    co_await session->run();
    co_return Response::already_sent();
}

}  // namespace

App& App::ws(std::string_view pattern, WebSocketHandler handler) {
    return ws(pattern, std::move(handler), WebSocketOptions{});
}

App& App::ws(std::string_view pattern, WebSocketHandler handler, const WebSocketOptions& options) {
    auto route = std::make_shared<ws::RouteState>();
    route->handler = std::move(handler);
    route->options = options;
    route->app_key = core_.get();
    route->deflate.enabled = options.compression;
    route->deflate.threshold = options.compression_threshold;
    route->deflate.level = std::clamp(options.compression_level, 0, 9);
    route->deflate.server_max_window_bits = std::clamp(options.compression_window_bits, 8, 15);
    route->deflate.server_no_context_takeover = options.no_context_takeover;
    detail::Endpoint e;
    e.async = [route](Request& req) { return ws_endpoint(route, req); };
    add("GET", pattern, std::move(e), RouteOptions{});
    return *this;
}

namespace {

// Per-App WebSocket state kept in AppCore::ws_state: the topics' own slow-subscriber policies.
// Read on the publishing thread only (the policy travels with the message to the workers).
struct WsState {
    std::mutex mutex;
    std::unordered_map<std::string, TopicPolicy> policies;
};

WsState& ws_state(detail::AppCore& core) {
    std::lock_guard lock(core.extension_mutex);
    if (!core.ws_state) core.ws_state = std::make_shared<WsState>();
    return *static_cast<WsState*>(core.ws_state.get());
}

}  // namespace

void set_topic_policy(App& app, std::string_view topic, TopicPolicy policy) {
    WsState& st = ws_state(app.core());
    std::lock_guard lock(st.mutex);
    st.policies[std::string(topic)] = policy;
}

void App::publish(std::string_view topic, std::string_view message, bool binary) {
    // Encoded once for every worker and subscriber: uncompressed, since a compressed frame
    // depends on each connection's compression context.
    auto frame = std::make_shared<std::string>();
    frame->reserve(message.size() + 10);
    ws::append_frame(*frame, binary ? ws::Opcode::binary : ws::Opcode::text, message);
    std::shared_ptr<const std::string> shared = std::move(frame);
    std::optional<TopicPolicy> policy;
    {
        WsState& st = ws_state(*core_);
        std::lock_guard lock(st.mutex);
        if (auto it = st.policies.find(std::string(topic)); it != st.policies.end()) {
            policy = it->second;
        }
    }
    core_->broadcast([key = static_cast<const void*>(core_.get()), t = std::string(topic),
                      f = std::move(shared),
                      policy] { ws::topics_deliver(key, t, f, policy ? &*policy : nullptr); });
}

}  // namespace gannet
