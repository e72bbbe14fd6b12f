// What the HTTP/1 connection tests share: a worker running on its own thread (timers need a
// real loop), a way to run code on it and wait for the result, and a small http::Service with
// routes that exercise each way a handler answers.
#pragma once

#include "http/accept.hpp"
#include "http/connection.hpp"
#include "io/worker.hpp"
#include "support/memory_stream.hpp"
#include "support/wire_responses.hpp"

#include <gannet/request.hpp>
#include <gannet/response.hpp>
#include <gannet/runtime.hpp>
#include <gannet/task.hpp>

#include <gtest/gtest.h>

#include <stdlib.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace gannet::test {
// A namespace of its own (inline, so users still say gannet::test::WorkerThread): other
// harnesses linked into the same test binary (tests/unit/net/net_harness.hpp) define a
// WorkerThread too, and two inline definitions under one name would break the ODR.
inline namespace connection_support {

using namespace std::chrono_literals;

/// A worker loop on its own thread for the duration of a test.
class WorkerThread {
  public:
    WorkerThread() = default;
    WorkerThread(const WorkerThread&) = delete;
    WorkerThread& operator=(const WorkerThread&) = delete;
    ~WorkerThread() { stop(); }

    io::Worker& worker() noexcept { return w_; }

    /// Runs `f` on the worker (from the top of its loop, like a poller event) and returns its
    /// result. Once the loop has ended (after a drain), runs `f` here instead: the worker's
    /// thread is gone and nothing else touches its objects.
    template <class F>
    auto call(F f) -> std::invoke_result_t<F&> {
        using R = std::invoke_result_t<F&>;
        std::packaged_task<R()> task(std::ref(f));
        auto done = task.get_future();
        if (!ended_) w_.post([&task] { task(); });
        const auto deadline = std::chrono::steady_clock::now() + 20s;
        while (done.wait_for(1ms) != std::future_status::ready) {
            if (ended_) {
                join();
                if (done.wait_for(0s) != std::future_status::ready) task();
                break;
            }
            if (std::chrono::steady_clock::now() > deadline) {
                std::fprintf(stderr, "WorkerThread::call: the worker did not answer in 20 s\n");
                std::abort();  // the posted task refers to this frame: cannot return
            }
        }
        return done.get();
    }

    /// Waits until `pred()`, evaluated on the worker, holds; false after `limit`.
    bool until(const std::function<bool()>& pred, std::chrono::milliseconds limit = 5s) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        for (;;) {
            if (call(pred)) return true;
            if (std::chrono::steady_clock::now() > deadline) return false;
            std::this_thread::sleep_for(1ms);
        }
    }

    /// Waits until the loop ends by itself (a drain with no session left); false after `limit`.
    bool wait_ended(std::chrono::milliseconds limit) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (!ended_) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            std::this_thread::sleep_for(1ms);
        }
        join();
        return true;
    }

    void stop() {
        if (!t_.joinable()) return;
        if (!ended_) w_.post([this] { w_.stop(); });
        join();
    }

  private:
    void join() {
        if (t_.joinable()) t_.join();
    }

    io::Worker w_{0};
    std::atomic<bool> ended_{false};
    std::thread t_{[this] {
        w_.run();
        ended_ = true;
    }};
};

/// A Service with a few routes, one per way of answering:
///   GET|HEAD /hello   sync "hello"
///   GET /big          sync, `big_size` bytes of 'x'
///   GET /close        sync, asks to close after the response
///   POST /echo        async: reads the body, answers it (413 with close above `echo_limit`,
///                     decided from Content-Length like the App's prepare_body)
///   GET /slow         async: sleeps 20 ms, answers "slow"
///   GET /chunked      streams `pieces` pieces of `piece_size` through the exchange, no
///                     length (chunked), then a trailer X-Pieces
///   GET /length       the same with a Content-Length (declared `length_adjust` bytes off)
///   GET /direct       `pieces` pieces through write_body_now() (flush() after a partial one,
///                     write_body() when not sent), chunked
///   GET /file         `file_count` bytes of `file_fd` through send_file(), with a
///                     Content-Length when `file_with_length`, else chunked
///   GET /upgrade      101, then echoes raw bytes (read_raw/write_body) until the end
///   GET /watch        streams one piece, then waits in wait_closed() (as SSE does) and
///                     finishes when it returns
///   GET /throw        async: throws
///   GET /throw-midway starts a chunked response, writes a piece, then throws
///   anything else     404
class TestService final : public http::Service {
  public:
    std::size_t big_size = 10'000;
    std::uint64_t echo_limit = 1 << 20;
    int pieces = 4;
    std::size_t piece_size = 5;
    std::int64_t length_adjust = 0;
    int file_fd = -1;
    std::uint64_t file_count = 0;
    bool file_with_length = true;

    // What happened (read on the worker, or after it stopped).
    int handled = 0;
    int pieces_written = 0;  // by the streaming routes, counted after each write_body()
    bool stream_finished = false;
    bool write_failed = false;                           // a write_body()/finish() returned false
    int body_error = 0;                                  // of the last /echo
    std::vector<http::Exchange::Direct> direct_results;  // of /direct's write_body_now()
    bool upgrade_ended = false;
    bool watch_ended = false;
    int protocol_errors = 0;
    int last_protocol_status = 0;

    static std::string piece(int i, std::size_t size) {
        return std::string(size, static_cast<char>('a' + i % 26));
    }

    bool handle(Request& req, Response& res, Task<Response>& task) override {
        ++handled;
        std::string_view path = req.path();
        if (path == "/hello") {
            res = Response::text("hello");
        } else if (path == "/big") {
            res = Response::text(std::string(big_size, 'x'));
        } else if (path == "/close") {
            res = Response::text("bye");
            res.close();
        } else if (path == "/echo") {
            const auto& head = req.head();
            req.set_body_limit(echo_limit);
            if (head.body_kind == http::BodyKind::length && head.content_length > echo_limit) {
                res = Response::text("too large\n", 413);
                res.close();
                return true;
            }
            task = echo(req, *this);
            return false;
        } else if (path == "/slow") {
            task = slow();
            return false;
        } else if (path == "/chunked" || path == "/length") {
            task = stream(req, *this, path == "/length");
            return false;
        } else if (path == "/direct") {
            task = direct(req, *this);
            return false;
        } else if (path == "/file") {
            task = file(req, *this);
            return false;
        } else if (path == "/watch") {
            task = watch(req, *this);
            return false;
        } else if (path == "/upgrade") {
            task = upgrade(req, *this);
            return false;
        } else if (path == "/throw") {
            task = throwing();
            return false;
        } else if (path == "/throw-midway") {
            task = throwing_midway(req);
            return false;
        } else {
            res = Response::text("not found\n", 404);
        }
        return true;
    }

    void on_protocol_error(int status, std::string_view) noexcept override {
        ++protocol_errors;
        last_protocol_status = status;
    }

  private:
    // Coroutines are static functions taking what they use by reference: see worker_test.cpp.
    static Task<Response> echo(Request& req, TestService& s) {
        std::string body;
        while (auto chunk = co_await req.body().read()) body.append(*chunk);
        s.body_error = req.body().error();
        if (s.body_error != 0) co_return Response::status_only(s.body_error).close();
        co_return Response::text(body);
    }

    static Task<Response> slow() {
        co_await sleep_for(20ms);
        co_return Response::text("slow");
    }

    static Task<Response> stream(Request& req, TestService& s, bool with_length) {
        http::Exchange& ex = *req.exchange();
        Response head(200);
        head.header("Content-Type", "text/plain");
        std::optional<std::uint64_t> length;
        if (with_length) {
            length = static_cast<std::uint64_t>(static_cast<std::int64_t>(s.pieces * s.piece_size) +
                                                s.length_adjust);
        } else {
            head.header("Trailer", "X-Pieces");
        }
        ex.start_response(head, length);
        for (int i = 0; i < s.pieces; ++i) {
            bool ok = co_await ex.write_body(piece(i, s.piece_size));
            if (!ok) {
                s.write_failed = true;
                break;
            }
            ++s.pieces_written;
        }
        std::array<http::Field, 1> trailers{
            http::Field{"X-Pieces", std::to_string(s.pieces_written)}};
        bool ok = co_await ex.finish(trailers);
        if (!ok) s.write_failed = true;
        s.stream_finished = true;
        co_return Response::already_sent();
    }

    static Task<Response> direct(Request& req, TestService& s) {
        http::Exchange& ex = *req.exchange();
        ex.start_response(Response(200), std::nullopt);
        bool ok = co_await ex.flush();  // the head first: write_body_now() needs nothing pending
        for (int i = 0; ok && i < s.pieces; ++i) {
            std::string head = "[" + std::to_string(i) + "]";
            std::string body = piece(i, s.piece_size);
            http::Exchange::Direct d = ex.write_body_now(head, body);
            s.direct_results.push_back(d);
            if (d == http::Exchange::Direct::partial) {
                ok = co_await ex.flush();
            } else if (d == http::Exchange::Direct::not_sent) {
                ok = co_await ex.write_body(head + body);
            }
            if (ok) ++s.pieces_written;
        }
        ok = co_await ex.finish();
        if (!ok) s.write_failed = true;
        s.stream_finished = true;
        co_return Response::already_sent();
    }

    static Task<Response> file(Request& req, TestService& s) {
        http::Exchange& ex = *req.exchange();
        std::optional<std::uint64_t> length;
        if (s.file_with_length) length = s.file_count;
        ex.start_response(Response(200), length);
        bool ok = co_await ex.send_file(s.file_fd, 0, s.file_count);
        if (!ok) s.write_failed = true;
        ok = co_await ex.finish();
        if (!ok) s.write_failed = true;
        s.stream_finished = true;
        co_return Response::already_sent();
    }

    static Task<Response> watch(Request& req, TestService& s) {
        http::Exchange& ex = *req.exchange();
        ex.start_response(Response(200), std::nullopt);
        bool ok = co_await ex.write_body("watching");
        if (ok) co_await ex.wait_closed();
        ok = co_await ex.finish();
        if (!ok) s.write_failed = true;
        s.watch_ended = true;
        co_return Response::already_sent();
    }

    static Task<Response> upgrade(Request& req, TestService& s) {
        http::Exchange& ex = *req.exchange();
        Response head(101);
        head.header("Upgrade", "echo");
        ex.start_response(head, std::nullopt);
        bool ok = co_await ex.flush();
        while (ok) {
            std::optional<std::string_view> data = co_await ex.read_raw(0, false);
            if (!data) break;
            std::string copy(*data);
            ex.consume_raw(copy.size());
            ok = co_await ex.write_body(copy);
        }
        s.upgrade_ended = true;
        co_return Response::already_sent();
    }

    static Task<Response> throwing_midway(Request& req) {
        http::Exchange& ex = *req.exchange();
        ex.start_response(Response(200), std::nullopt);
        bool ok = co_await ex.write_body("partial");
        if (ok) throw std::runtime_error("handler failed midway (expected by the test)");
        co_return Response::already_sent();
    }

    static Task<Response> throwing() {
        throw std::runtime_error("handler failed (expected by the test)");
        co_return Response::text("unreachable");
    }
};

// A file with known contents, removed at the end.
class TempFile {
  public:
    explicit TempFile(const std::string& contents) {
        char name[] = "/tmp/gannet-connection-test-XXXXXX";
        fd_ = ::mkstemp(name);
        path_ = name;
        if (fd_ >= 0) {
            std::size_t off = 0;
            while (off < contents.size()) {
                ssize_t n = ::write(fd_, contents.data() + off, contents.size() - off);
                if (n <= 0) break;
                off += static_cast<std::size_t>(n);
            }
        }
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    ~TempFile() {
        if (fd_ >= 0) ::close(fd_);
        ::unlink(path_.c_str());
    }
    int fd() const noexcept { return fd_; }

  private:
    int fd_ = -1;
    std::string path_;
};

// --- scripts ---------------------------------------------------------------------------------

inline constexpr std::string_view kGetHello = "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n";

inline std::string post_echo(std::string_view body, std::string_view extra = "") {
    return "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n" + std::string(extra) + "\r\n" + std::string(body);
}

inline std::string get(std::string_view path, std::string_view extra = "",
                       std::string_view version = "1.1") {
    return "GET " + std::string(path) + " HTTP/" + std::string(version) + "\r\nHost: a\r\n" +
           std::string(extra) + "\r\n";
}

/// The fixture of the connection tests: a worker, limits and a service, and the steps of a
/// script run on the worker.
class ConnectionFixture : public ::testing::Test {
  protected:
    // Declared before the loop: connections refer to both until the loop has stopped.
    http::ServerLimits limits;
    TestService service;
    http::ConnectionStats stats;
    WorkerThread loop;

    /// A connection served on the worker; `input` is there before it starts (it arrived with
    /// the connection), `setup` scripts the stream first.
    std::shared_ptr<MemoryPeer> open(std::string_view input = {},
                                     const std::function<void(MemoryPeer&)>& setup = {}) {
        return loop.call([&] {
            auto [stream, peer] = make_memory_stream();
            if (setup) setup(*peer);
            peer->feed(input);
            http::serve_stream(std::move(stream), limits, service, stats);
            return peer;
        });
    }

    void feed(const std::shared_ptr<MemoryPeer>& peer, std::string_view bytes) {
        loop.call([&] { peer->feed(bytes); });
    }
    void hang_up(const std::shared_ptr<MemoryPeer>& peer) {
        loop.call([&] { peer->hang_up(); });
    }
    std::string written(const std::shared_ptr<MemoryPeer>& peer) {
        return loop.call([&] { return peer->written(); });
    }
    WireParse responses(const std::shared_ptr<MemoryPeer>& peer,
                        const std::vector<std::string>& methods = {}) {
        return loop.call([&] { return parse_responses(peer->written(), methods, !peer->alive()); });
    }
    /// Waits for `n` complete responses (interim ones included).
    bool wait_responses(const std::shared_ptr<MemoryPeer>& peer, std::size_t n,
                        const std::vector<std::string>& methods = {},
                        std::chrono::milliseconds limit = 5s) {
        return loop.until(
            [&] { return parse_responses(peer->written(), methods).responses.size() >= n; }, limit);
    }
    /// Waits until the connection has ended and its worker destroyed it (and the stream).
    bool wait_gone(const std::shared_ptr<MemoryPeer>& peer, std::chrono::milliseconds limit = 5s) {
        return loop.until([&] { return !peer->alive() && loop.worker().sessions() == 0; }, limit);
    }
    /// True when the connection is still there after `ms` (nothing ends it by itself).
    bool stays_open(const std::shared_ptr<MemoryPeer>& peer, std::chrono::milliseconds ms = 30ms) {
        std::this_thread::sleep_for(ms);
        return loop.call([&] { return peer->alive() && !peer->closed(); });
    }
};

}  // namespace connection_support
}  // namespace gannet::test
