// A scripted http::Exchange for unit tests of what sits above the protocols (WebSocket
// sessions, body readers): no socket, no worker, and every operation completes at once.
//  - read_body() hands out `body` in one piece, then the end.
//  - read_raw() hands out one `script` chunk per call and reports a timeout when the script is
//    exhausted, which drives ping and timeout logic deterministically.
//  - Writes append to `written`; write_body_now() takes at most `direct_limit` bytes, like a
//    socket whose buffer is nearly full, and keeps the rest until the next flush or write.
#pragma once

#include "http/exchange.hpp"

#include <algorithm>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace gannet::test {

class ScriptedExchange final : public http::Exchange {
    using BodyError = http::BodyError;

  public:
    std::string body;
    std::deque<std::string> script;  // one chunk per read_raw()
    std::string pending;             // handed out, not consumed
    std::string written;
    std::string unsent;  // what write_body_now() did not take
    std::size_t direct_limit = static_cast<std::size_t>(-1);
    int status = 0;  // of start_response()
    bool timed = false;
    bool gone = false;
    bool finished = false;

    Task<std::optional<std::string_view>> read_body() override {
        if (body_done_) return view(std::nullopt);
        body_done_ = true;
        return view(std::string_view(body));
    }
    BodyError body_error() const noexcept override { return BodyError::none; }
    void set_body_limit(std::uint64_t) noexcept override {}
    void start_response(const Response& head, std::optional<std::uint64_t>) override {
        status = head.status();
    }
    bool response_started() const noexcept override { return status != 0; }
    Task<bool> write_body(std::string_view data) override {
        written += unsent;
        unsent.clear();
        written.append(data);
        return boolean(!gone);
    }
    Direct write_body_now(std::string_view head, std::string_view data) noexcept override {
        if (gone || !unsent.empty()) return Direct::not_sent;
        std::string all = std::string(head) + std::string(data);
        std::size_t n = std::min(all.size(), direct_limit);
        if (n == 0) return Direct::not_sent;
        written.append(all, 0, n);
        if (n == all.size()) return Direct::sent;
        unsent = all.substr(n);
        return Direct::partial;
    }
    Task<bool> flush() override { return write_body({}); }
    Task<bool> send_file(int, std::uint64_t, std::uint64_t) override { return boolean(false); }
    Task<bool> finish(std::span<const http::Field>) override {
        finished = true;
        return boolean(!gone);
    }
    bool closed() const noexcept override { return gone; }
    bool draining() const noexcept override { return false; }
    Task<void> wait_closed() override { return nothing(); }
    void close_now() noexcept override { gone = true; }
    void close_after_response() noexcept override {}
    Task<std::optional<std::string_view>> read_raw(std::uint64_t, bool more) override {
        timed = false;
        if (!pending.empty() && !more) return view(std::string_view(pending));
        if (!script.empty()) {
            pending += script.front();
            script.pop_front();
            return view(std::string_view(pending));
        }
        timed = true;
        return view(std::nullopt);
    }
    void consume_raw(std::size_t n) noexcept override { pending.erase(0, n); }
    bool timed_out() const noexcept override { return timed; }

  private:
    static Task<std::optional<std::string_view>> view(std::optional<std::string_view> v) {
        co_return v;
    }
    static Task<bool> boolean(bool b) { co_return b; }
    static Task<void> nothing() { co_return; }
    bool body_done_ = false;
};

}  // namespace gannet::test
