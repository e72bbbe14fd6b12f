// Pub/sub topics: one registry per worker and App, reached only on that worker, so a delivery
// takes no lock. App::publish encodes the frame once and broadcasts it through the workers'
// mailboxes; each worker then queues it to its local subscribers in mailbox (= publish) order.
#pragma once

#include <gannet/websocket.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace gannet::ws {

class Session;

/// Adds `s` to `topic` on the calling worker (for the App identified by `app_key`).
void topics_subscribe(const void* app_key, std::string_view topic, Session* s);
/// Removes `s` from `topic` on the calling worker.
void topics_unsubscribe(const void* app_key, std::string_view topic, Session* s);
/// Queues the encoded `frame` to every subscriber of `topic` on the calling worker.
/// `policy`, when set, is the topic's own slow-subscriber policy (else each route's).
void topics_deliver(const void* app_key, std::string_view topic,
                    const std::shared_ptr<const std::string>& frame,
                    const TopicPolicy* policy = nullptr);

/// How many subscribers one delivery slice visits before yielding to the event loop (1 024;
/// tests make it small to exercise passes that span slices).
void topics_set_slice(std::size_t subscribers) noexcept;

}  // namespace gannet::ws
