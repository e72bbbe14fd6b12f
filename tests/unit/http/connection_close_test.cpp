// How an http::Connection ends, over a scripted in-memory stream (tests/support/
// memory_stream.hpp) on a real worker loop: protocol errors and the staged close of RFC 9112
// §9.6, timeouts, a peer that hangs up or resets, a failure injected at every operation in
// turn (fail_at), drain, and a handler that throws.
#include "support/connection_harness.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

using namespace gannet;
using namespace std::chrono_literals;
using test::get;
using test::kGetHello;
using test::MemoryPeer;
using test::post_echo;
using test::WireParse;

namespace {

class ConnectionCloseTest : public test::ConnectionFixture {};

// --- protocol errors and the staged close (RFC 9112 §9.6) ---------------------------------------

TEST_F(ConnectionCloseTest, MalformedRequestGets400AndTheConnectionClosesInStages) {
    auto peer = open();
    feed(peer, "GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n" + std::string(kGetHello));
    // Stage 1: the answer, then our side shut down; the connection still reads.
    ASSERT_TRUE(loop.until([&] { return peer->write_shut(); }));
    WireParse p = responses(peer);
    ASSERT_EQ(p.responses.size(), 1u) << "no byte for the request after the bad one";
    EXPECT_EQ(p.responses[0].status, 400);
    EXPECT_TRUE(p.responses[0].closes());
    EXPECT_EQ(p.used, written(peer).size());
    EXPECT_EQ(loop.call([&] { return service.last_protocol_status; }), 400);
    EXPECT_EQ(loop.call([&] { return service.handled; }), 0);
    EXPECT_FALSE(loop.call([&] { return peer->closed(); }));
    // Stage 2: what the client still sends is read and dropped, never answered.
    feed(peer, std::string(10'000, 'z'));
    ASSERT_TRUE(loop.until([&] { return peer->pending_input() == 0; }));
    EXPECT_EQ(p.used, written(peer).size());
    EXPECT_FALSE(loop.call([&] { return peer->closed(); }));
    // Stage 3: the client closes; so do we, with nothing unread (no reset).
    hang_up(peer);
    EXPECT_TRUE(wait_gone(peer));
    EXPECT_EQ(loop.call([&] { return peer->unread_at_close(); }), 0u);
}

TEST_F(ConnectionCloseTest, StagedCloseEndsAfterTheLingerTimeout) {
    limits.linger_timeout_ms = 50;
    auto peer = open();
    auto t0 = std::chrono::steady_clock::now();
    feed(peer, "GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n");
    ASSERT_TRUE(loop.until([&] { return peer->write_shut(); }));
    // The client keeps sending and never closes.
    for (int i = 0; i < 5; ++i) {
        feed(peer, std::string(1000, 'z'));
        std::this_thread::sleep_for(5ms);
    }
    ASSERT_TRUE(wait_gone(peer));
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 40ms);
    EXPECT_EQ(responses(peer).responses.size(), 1u);
}

TEST_F(ConnectionCloseTest, OversizedHeaderSectionGets431AndClosesInStages) {
    limits.parser.max_header_bytes = 1024;
    auto peer = open();
    feed(peer, "GET / HTTP/1.1\r\nHost: a\r\n");
    for (int i = 0; i < 10 && loop.call([&] { return peer->written().empty(); }); ++i) {
        feed(peer, "X-Filler-" + std::to_string(i) + ": " + std::string(200, 'f') + "\r\n");
    }
    ASSERT_TRUE(loop.until([&] { return peer->write_shut(); }));
    WireParse p = responses(peer);
    ASSERT_EQ(p.responses.size(), 1u);
    EXPECT_EQ(p.responses[0].status, 431);
    EXPECT_TRUE(p.responses[0].closes());
    // The rest of the oversized head is drained, not answered.
    feed(peer, std::string(50'000, 'f') + "\r\n\r\n");
    ASSERT_TRUE(loop.until([&] { return peer->pending_input() == 0; }));
    EXPECT_EQ(responses(peer).responses.size(), 1u);
    hang_up(peer);
    EXPECT_TRUE(wait_gone(peer));
    EXPECT_EQ(loop.call([&] { return peer->unread_at_close(); }), 0u);
}

TEST_F(ConnectionCloseTest, ClosingWithPipelinedRequestsStillUnreadClosesInStages) {
    // The client pipelined more than the connection has read when the response to /close
    // ends the connection: those bytes are still in the socket. Closing now makes the kernel
    // answer them with a reset, which can destroy the /close response before the client reads
    // it (RFC 9112 §9.6); nginx lingers in this case too (ngx_http_finalize_connection: a
    // response that closes while `header_in` holds pipelined bytes or the socket is readable).
    auto peer = open({}, [](MemoryPeer& p) { p.set_read_limit(1024); });
    std::string more;
    while (more.size() < 8000) more += kGetHello;
    feed(peer, get("/close") + more);
    ASSERT_TRUE(loop.until([&] { return peer->closed() || peer->write_shut(); }));
    WireParse p = responses(peer);
    ASSERT_EQ(p.responses.size(), 1u);
    EXPECT_TRUE(p.responses[0].closes());
    EXPECT_EQ(loop.call([&] { return peer->closed() ? peer->unread_at_close() : 0; }), 0u);
    EXPECT_TRUE(loop.call([&] { return peer->write_shut(); }));
    hang_up(peer);
    ASSERT_TRUE(wait_gone(peer));
    EXPECT_EQ(loop.call([&] { return peer->unread_at_close(); }), 0u);
}

TEST_F(ConnectionCloseTest, HeaderTimeoutAnswers408AndCloses) {
    limits.header_timeout_ms = 60;
    auto peer = open();
    auto t0 = std::chrono::steady_clock::now();
    feed(peer, "GET /hello HTTP/1.1\r\nHost: a\r\nX-Incomplete: ");
    ASSERT_TRUE(wait_gone(peer));
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 40ms);
    WireParse p = responses(peer);
    ASSERT_EQ(p.responses.size(), 1u);
    EXPECT_EQ(p.responses[0].status, 408);
    EXPECT_TRUE(p.responses[0].closes());
    EXPECT_EQ(loop.call([&] { return service.handled; }), 0);
}

TEST_F(ConnectionCloseTest, HeaderTimeoutRunsFromTheFirstByteNotTheLastRead) {
    limits.header_timeout_ms = 80;
    auto peer = open();
    // A head that takes over 3 s to trickle in at one byte every 10 ms; a timer re-armed on
    // every read would never fire.
    std::string wire = get("/hello", "X-Pad: " + std::string(300, 'p') + "\r\n");
    auto t0 = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i + 1 < wire.size() && loop.call([&] { return peer->alive(); }); ++i) {
        feed(peer, wire.substr(i, 1));
        std::this_thread::sleep_for(10ms);
    }
    ASSERT_TRUE(wait_gone(peer));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1500ms);
    EXPECT_EQ(responses(peer).responses.at(0).status, 408);
}

TEST_F(ConnectionCloseTest, IdleTimeoutClosesSilently) {
    limits.idle_timeout_ms = 50;
    auto peer = open();
    ASSERT_TRUE(wait_gone(peer));
    EXPECT_EQ(written(peer), "");

    // After a response too: no 408 for a connection between requests.
    auto second = open(kGetHello);
    ASSERT_TRUE(wait_gone(second));
    WireParse p = responses(second);
    ASSERT_EQ(p.responses.size(), 1u);
    EXPECT_EQ(p.responses[0].status, 200);
    EXPECT_EQ(p.used, written(second).size());
}

// --- the peer goes away; failures ---------------------------------------------------------------

TEST_F(ConnectionCloseTest, PeerHangsUpMidHead) {
    auto peer = open();
    feed(peer, "GET /hello HTTP/1.1\r\nHo");
    hang_up(peer);
    ASSERT_TRUE(wait_gone(peer));
    EXPECT_EQ(written(peer), "");
    EXPECT_EQ(loop.call([&] { return service.handled; }), 0);
}

TEST_F(ConnectionCloseTest, PeerHangsUpMidBody) {
    auto peer = open();
    feed(peer, "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhalf!");
    ASSERT_TRUE(loop.until([&] { return service.handled == 1; }));
    hang_up(peer);
    ASSERT_TRUE(wait_gone(peer));
    EXPECT_EQ(loop.call([&] { return service.body_error; }), 499);
}

TEST_F(ConnectionCloseTest, PeerHangsUpAfterACompleteRequestStillGetsTheAnswer) {
    // A client that half-closes after its request (shutdown(SHUT_WR), `nc -N`) is answered.
    auto peer = open();
    loop.call([&] {
        peer->feed(kGetHello);
        peer->hang_up();
    });
    ASSERT_TRUE(wait_gone(peer));
    WireParse p = responses(peer);
    ASSERT_EQ(p.responses.size(), 1u);
    EXPECT_EQ(p.responses[0].body, "hello");
}

TEST_F(ConnectionCloseTest, ResetWhileAHandlerStreamsEndsTheConnection) {
    service.pieces = 100;
    service.piece_size = 1000;
    auto peer = open({}, [](MemoryPeer& p) { p.set_output_capacity(3000); });
    feed(peer, get("/chunked"));
    ASSERT_TRUE(loop.until([&] { return peer->unread().size() > 0; }));
    loop.call([&] { peer->reset(); });
    ASSERT_TRUE(wait_gone(peer));
    EXPECT_TRUE(loop.call([&] { return service.write_failed && service.stream_finished; }));
}

TEST_F(ConnectionCloseTest, FailedWriteEndsTheConnection) {
    // Operation 1 reads the request, operation 2 writes the answer.
    auto peer = open(kGetHello, [](MemoryPeer& p) { p.fail_at(2); });
    ASSERT_TRUE(wait_gone(peer));
    EXPECT_TRUE(loop.call([&] { return peer->failed(); }));
    EXPECT_EQ(written(peer), "");
}

// --- a failure at every operation in turn (Beast's fail_count) ----------------------------------

// The request path of most connections: pipelining, a body in two pieces, 100-continue, a
// response streamed in pieces, one with a length, keep-alive.
const std::vector<std::string> kRequestScript = {
    std::string(kGetHello) + post_echo("abc"),
    "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nExpect: 100-continue\r\n\r\n",
    "abc",
    "def" + get("/chunked") + "GET /length HTTP/1.1\r\n",
    "Host: a\r\n\r\n",
};

void check_request_script(const WireParse& p) {
    ASSERT_TRUE(p.error.empty()) << p.error;
    ASSERT_EQ(p.responses.size(), 6u);  // 100 Continue included
    EXPECT_EQ(p.responses[0].body, "hello");
    EXPECT_EQ(p.responses[1].body, "abc");
    EXPECT_EQ(p.responses[2].status, 100);
    EXPECT_EQ(p.responses[3].body, "abcdef");
    std::string streamed;
    for (int i = 0; i < 6; ++i) streamed += test::TestService::piece(i, 300);
    EXPECT_EQ(p.responses[4].body, streamed);
    EXPECT_EQ(p.responses[5].body, streamed);
}

class ConnectionFailureTest : public test::ConnectionFixture {
  protected:
    ConnectionFailureTest() {
        service.pieces = 6;
        service.piece_size = 300;
    }

    /// Runs `script` (its pieces fed one after another, each once the connection has done all
    /// it can with the one before, so that every run makes the same operations in the same
    /// order; then a hang-up) with fail_at(1), fail_at(2), ... until a run that no failure
    /// reached. Every run must end with the connection gone: no crash, no hang, and under ASan
    /// no leak and no use after free. `check` sees the clean run's output. Returns the number
    /// of operations of the clean run.
    std::size_t walk(const std::vector<std::string>& script,
                     const std::function<void(MemoryPeer&)>& setup,
                     const std::function<void(const WireParse&)>& check) {
        std::size_t clean_operations = 0;
        std::size_t runs = 0;
        for (std::size_t n = 1; n < 1000; ++n) {
            auto peer = open({}, [&](MemoryPeer& p) {
                setup(p);
                p.fail_at(n);
            });
            for (const auto& piece : script) {
                feed(peer, piece);
                loop.until([&] {
                    return !peer->alive() ||
                           (peer->pending_input() == 0 && peer->waiting_for_input());
                });
            }
            bool failed = loop.call([&] { return peer->failed(); });
            if (!failed) clean_operations = loop.call([&] { return peer->operations(); });
            hang_up(peer);
            EXPECT_TRUE(wait_gone(peer)) << "fail_at(" << n << ")";
            ++runs;
            if (!failed) {
                check(responses(peer));
                break;
            }
        }
        EXPECT_GT(clean_operations, 3u);
        EXPECT_EQ(runs, clean_operations + 1) << "one run per operation, and one with no failure";
        return clean_operations;
    }
};

TEST_F(ConnectionFailureTest, RequestPathThroughPartialWrites) {
    walk(
        kRequestScript,
        [](MemoryPeer& p) {
            p.set_write_limit(512);
            p.set_auto_drain(true);
        },
        check_request_script);
}

TEST_F(ConnectionFailureTest, RequestPathThroughSevenByteReads) {
    walk(
        kRequestScript, [](MemoryPeer& p) { p.set_read_limit(7); }, check_request_script);
}

TEST_F(ConnectionFailureTest, ErrorAndStagedClose) {
    walk(
        {"GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n", "junk", std::string(5000, 'j')},
        [](MemoryPeer& p) { p.set_read_limit(1000); },
        [](const WireParse& p) {
            ASSERT_EQ(p.responses.size(), 1u);
            EXPECT_EQ(p.responses[0].status, 400);
        });
}

TEST_F(ConnectionFailureTest, Upgrade) {
    walk(
        {get("/upgrade", "Connection: Upgrade\r\nUpgrade: echo\r\n"), "ping", "pong"},
        [](MemoryPeer& p) {
            p.set_write_limit(50);
            p.set_auto_drain(true);
        },
        [](const WireParse& p) {
            ASSERT_EQ(p.responses.size(), 1u);
            EXPECT_EQ(p.responses[0].status, 101);
        });
}

TEST_F(ConnectionFailureTest, SendFile) {
    std::string contents(20'000, 'f');
    test::TempFile file(contents);
    service.file_fd = file.fd();
    service.file_count = contents.size();
    for (bool sendfile : {false, true}) {
        SCOPED_TRACE(sendfile ? "sendfile" : "copy");
        walk(
            {get("/file"), std::string(kGetHello)},
            [sendfile](MemoryPeer& p) {
                p.set_sendfile(sendfile);
                p.set_write_limit(4096);
                p.set_auto_drain(true);
            },
            [&](const WireParse& p) {
                ASSERT_EQ(p.responses.size(), 2u);
                EXPECT_TRUE(p.responses[0].body == contents);
            });
    }
}

TEST_F(ConnectionCloseTest, BodyTimeoutAnswersTheHandlerAndCloses) {
    limits.body_timeout_ms = 50;
    auto peer = open();
    feed(peer, "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhalf!");
    ASSERT_TRUE(wait_gone(peer));
    EXPECT_EQ(loop.call([&] { return service.body_error; }), 408);
    WireParse p = responses(peer);
    ASSERT_EQ(p.responses.size(), 1u);
    EXPECT_EQ(p.responses[0].status, 408);  // what the test service answers with the error
    EXPECT_TRUE(p.responses[0].closes());
}

TEST_F(ConnectionCloseTest, HangUpWakesAHandlerWaitingForTheClientToLeave) {
    auto peer = open();
    feed(peer, get("/watch"));
    ASSERT_TRUE(loop.until([&] { return peer->written().ends_with("watching\r\n"); }));
    EXPECT_FALSE(loop.call([&] { return service.watch_ended; }));
    hang_up(peer);
    ASSERT_TRUE(wait_gone(peer));
    EXPECT_TRUE(loop.call([&] { return service.watch_ended; }));
}

TEST_F(ConnectionCloseTest, AbortEndsAConnectionBlockedInAWrite) {
    service.pieces = 50;
    service.piece_size = 1000;
    auto peer = open({}, [](MemoryPeer& p) { p.set_output_capacity(2000); });
    feed(peer, get("/chunked"));
    ASSERT_TRUE(
        loop.until([&] { return peer->unread().size() > 0 && service.pieces_written > 0; }));
    loop.call([&] { loop.worker().abort_all(); });
    ASSERT_TRUE(wait_gone(peer));
    EXPECT_TRUE(loop.call([&] { return peer->both_shut() && service.write_failed; }));
    EXPECT_LT(loop.call([&] { return service.pieces_written; }), 50);
}

// --- drain --------------------------------------------------------------------------------------

TEST_F(ConnectionCloseTest, DrainEndsAnIdleConnectionAtOnce) {
    auto peer = open(kGetHello);
    ASSERT_TRUE(wait_responses(peer, 1));
    loop.call([&] { loop.worker().drain(); });
    ASSERT_TRUE(loop.wait_ended(2s)) << "the worker's loop ends once its last connection is gone";
    EXPECT_FALSE(peer->alive());
    EXPECT_EQ(test::parse_responses(peer->written()).responses.size(), 1u);
}

TEST_F(ConnectionCloseTest, DrainLetsTheRequestInFlightFinishThenCloses) {
    auto peer = open();
    feed(peer, "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nfirst");
    ASSERT_TRUE(loop.until([&] { return service.handled == 1; }));
    loop.call([&] { loop.worker().drain(); });
    EXPECT_TRUE(stays_open(peer)) << "the body is still being read";
    feed(peer, " half");
    ASSERT_TRUE(loop.wait_ended(2s));
    WireParse p = test::parse_responses(peer->written());
    ASSERT_EQ(p.responses.size(), 1u);
    EXPECT_EQ(p.responses[0].body, "first half");
    EXPECT_TRUE(p.responses[0].closes()) << "no keep-alive while draining";
    EXPECT_FALSE(peer->alive());
}

TEST_F(ConnectionCloseTest, DrainMidHeadServesThatRequestThenCloses) {
    auto peer = open();
    feed(peer, "GET /hello HTTP/1.1\r\n");
    ASSERT_TRUE(loop.until([&] { return peer->pending_input() == 0; }));
    loop.call([&] { loop.worker().drain(); });
    EXPECT_TRUE(stays_open(peer));
    feed(peer, "Host: a\r\n\r\n");
    ASSERT_TRUE(loop.wait_ended(2s));
    WireParse p = test::parse_responses(peer->written());
    ASSERT_EQ(p.responses.size(), 1u);
    EXPECT_EQ(p.responses[0].body, "hello");
    EXPECT_TRUE(p.responses[0].closes());
}

TEST_F(ConnectionCloseTest, DrainEndsAnUpgradedConnection) {
    auto peer = open();
    feed(peer, get("/upgrade", "Connection: Upgrade\r\nUpgrade: echo\r\n"));
    ASSERT_TRUE(loop.until([&] { return peer->waiting_for_input() && !peer->written().empty(); }));
    loop.call([&] { loop.worker().drain(); });
    ASSERT_TRUE(loop.wait_ended(2s)) << "read_raw() ends when the server drains";
    EXPECT_TRUE(service.upgrade_ended);
    EXPECT_FALSE(peer->alive());
}

TEST_F(ConnectionCloseTest, DrainWakesAHandlerWaitingForTheClientToLeave) {
    auto peer = open();
    feed(peer, get("/watch"));
    ASSERT_TRUE(loop.until([&] { return peer->written().ends_with("watching\r\n"); }));
    loop.call([&] { loop.worker().drain(); });
    ASSERT_TRUE(loop.wait_ended(2s));
    EXPECT_TRUE(service.watch_ended);
    WireParse p = test::parse_responses(peer->written(), {}, true);
    ASSERT_EQ(p.responses.size(), 1u) << "the stream ends with its last chunk";
    EXPECT_EQ(p.responses[0].body, "watching");
    EXPECT_FALSE(peer->alive()) << "then the connection ends, after a complete response";
}

// --- a Service that throws ----------------------------------------------------------------------

// The Service is expected to turn a handler's exception into a response (the App does); one
// that escapes reaches the connection, which must end it without a crash or a leak: with a 500
// that closes, or by closing with nothing sent for that request.
void expect_nothing_or_a_closing_500(const std::vector<test::WireResponse>& rest) {
    ASSERT_LE(rest.size(), 1u);
    if (!rest.empty()) {
        EXPECT_EQ(rest[0].status, 500);
        EXPECT_TRUE(rest[0].closes());
    }
}

TEST_F(ConnectionCloseTest, HandlerExceptionEndsTheConnection) {
    auto peer = open();
    feed(peer, get("/throw") + std::string(kGetHello));
    ASSERT_TRUE(wait_gone(peer));
    WireParse p = responses(peer);
    EXPECT_EQ(p.used, written(peer).size()) << "nothing but whole responses";
    expect_nothing_or_a_closing_500(p.responses);
}

TEST_F(ConnectionCloseTest, HandlerExceptionStillDeliversTheResponsesBeforeIt) {
    // /hello was answered (its response is in the output buffer, waiting for the end of the
    // batch) before /throw's handler threw.
    auto peer = open();
    feed(peer, std::string(kGetHello) + get("/throw"));
    ASSERT_TRUE(wait_gone(peer));
    WireParse p = responses(peer);
    ASSERT_GE(p.responses.size(), 1u) << written(peer);
    EXPECT_EQ(p.responses[0].body, "hello");
    expect_nothing_or_a_closing_500({p.responses.begin() + 1, p.responses.end()});
    EXPECT_EQ(p.used, written(peer).size());
}

TEST_F(ConnectionCloseTest, HandlerExceptionAfterTheResponseStartedCutsIt) {
    auto peer = open();
    feed(peer, get("/throw-midway") + std::string(kGetHello));
    ASSERT_TRUE(wait_gone(peer));
    std::string out = written(peer);
    EXPECT_TRUE(out.ends_with("\r\n\r\n7\r\npartial\r\n")) << "cut after the piece: " << out;
    EXPECT_TRUE(responses(peer).responses.empty()) << "the client sees a body that never ends";
}

}  // namespace
