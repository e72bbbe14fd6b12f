// http::Connection over a scripted in-memory stream (tests/support/memory_stream.hpp), on a
// real worker loop: the request path (pipelining and corking, partial reads and writes,
// backpressure), keep-alive, request bodies and 100-continue, HEAD, and responses written
// through the exchange (streamed, direct, files, an upgrade). How a connection ends is in
// connection_close_test.cpp.
#include "support/connection_harness.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

using namespace gannet;
using namespace std::chrono_literals;
using test::MemoryPeer;
using test::TempFile;
using test::TestService;
using test::WireParse;
using test::WorkerThread;

namespace {

using test::get;
using test::kGetHello;
using test::post_echo;

class ConnectionTest : public test::ConnectionFixture {};

// --- the request path -------------------------------------------------------------------------

TEST_F(ConnectionTest, OneRequestOneResponse) {
    auto peer = open();
    feed(peer, kGetHello);
    ASSERT_TRUE(wait_responses(peer, 1));
    WireParse p = responses(peer);
    ASSERT_TRUE(p.error.empty()) << p.error;
    ASSERT_EQ(p.responses.size(), 1u);
    const auto& r = p.responses[0];
    EXPECT_EQ(r.version, "HTTP/1.1");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "hello");
    EXPECT_EQ(r.header("Content-Length"), "5");
    EXPECT_TRUE(r.header("Date").has_value());
    EXPECT_FALSE(r.closes());
    EXPECT_EQ(p.used, written(peer).size()) << "nothing after the response";
    EXPECT_TRUE(stays_open(peer));
    EXPECT_TRUE(loop.call([&] { return peer->attached() && peer->writes_with_data() == 1; }));
    EXPECT_EQ(loop.call([&] { return service.handled; }), 1);
}

TEST_F(ConnectionTest, PipelinedRequestsAnswerInOrderWithOneWritePerBatch) {
    std::string batch = std::string(kGetHello) + post_echo("abc") + get("/missing") +
                        std::string(kGetHello) + post_echo("defg");
    auto peer = open();
    feed(peer, batch);
    ASSERT_TRUE(wait_responses(peer, 5));
    WireParse p = responses(peer);
    ASSERT_TRUE(p.error.empty()) << p.error;
    ASSERT_EQ(p.responses.size(), 5u);
    EXPECT_EQ(p.responses[0].body, "hello");
    EXPECT_EQ(p.responses[1].body, "abc");
    EXPECT_EQ(p.responses[2].status, 404);
    EXPECT_EQ(p.responses[3].body, "hello");
    EXPECT_EQ(p.responses[4].body, "defg");
    // Corking (docs/architecture.md, "The request path"): the five responses leave in one write.
    EXPECT_EQ(loop.call([&] { return peer->writes(); }), 1u);
    EXPECT_TRUE(stays_open(peer));

    // The next batch is another single write.
    feed(peer, std::string(kGetHello) + std::string(kGetHello));
    ASSERT_TRUE(wait_responses(peer, 7));
    EXPECT_EQ(loop.call([&] { return peer->writes(); }), 2u);
}

TEST_F(ConnectionTest, PipelinedRequestsArrivingWithTheConnection) {
    auto peer = open(std::string(kGetHello) + get("/missing") + std::string(kGetHello));
    ASSERT_TRUE(wait_responses(peer, 3));
    WireParse p = responses(peer);
    ASSERT_EQ(p.responses.size(), 3u);
    EXPECT_EQ(p.responses[1].status, 404);
    EXPECT_EQ(loop.call([&] { return peer->writes(); }), 1u);
}

TEST_F(ConnectionTest, PipelinedAsyncHandlerThatSuspendsKeepsTheOrder) {
    auto peer = open();
    feed(peer, std::string(kGetHello) + get("/slow") + post_echo("xyz") + get("/slow"));
    ASSERT_TRUE(wait_responses(peer, 4));
    WireParse p = responses(peer);
    ASSERT_EQ(p.responses.size(), 4u);
    EXPECT_EQ(p.responses[0].body, "hello");
    EXPECT_EQ(p.responses[1].body, "slow");
    EXPECT_EQ(p.responses[2].body, "xyz");
    EXPECT_EQ(p.responses[3].body, "slow");
}

TEST_F(ConnectionTest, RequestReadOneByteAtATime) {
    std::string wire = post_echo("body bytes", "X-Long-Header: " + std::string(200, 'v') + "\r\n");
    auto peer = open({}, [](MemoryPeer& p) { p.set_read_limit(1); });
    feed(peer, wire);
    ASSERT_TRUE(wait_responses(peer, 1));
    WireParse p = responses(peer);
    ASSERT_EQ(p.responses.size(), 1u);
    EXPECT_EQ(p.responses[0].body, "body bytes");
    EXPECT_GE(loop.call([&] { return peer->reads(); }), wire.size());
}

TEST_F(ConnectionTest, RequestArrivingOneByteAtATime) {
    // Each byte is its own arrival: the connection parks and wakes once per byte.
    std::string wire = post_echo("0123456789") + std::string(kGetHello);
    auto peer = open();
    std::string head_of_first = wire.substr(0, wire.find("\r\n\r\n") + 4);
    for (std::size_t i = 0; i < wire.size(); ++i) {
        feed(peer, wire.substr(i, 1));
        if (i + 1 == head_of_first.size() + 9) {
            // One byte of the body missing: no answer yet, and no byte of the next request read.
            EXPECT_EQ(written(peer), "");
        }
    }
    ASSERT_TRUE(wait_responses(peer, 2));
    WireParse p = responses(peer);
    ASSERT_EQ(p.responses.size(), 2u);
    EXPECT_EQ(p.responses[0].body, "0123456789");
    EXPECT_EQ(p.responses[1].body, "hello");
    EXPECT_GE(loop.call([&] { return peer->reads(); }), wire.size());
}

// --- writing: partial writes and backpressure ---------------------------------------------------

TEST_F(ConnectionTest, ResponseWrittenThroughPartialWritesWaitsForTheClient) {
    service.big_size = 10'000;
    auto peer = open({}, [](MemoryPeer& p) { p.set_write_limit(1000); });
    feed(peer, get("/big") + std::string(kGetHello));
    ASSERT_TRUE(loop.until([&] { return peer->writes() >= 1; }));
    // The socket took 1000 bytes and is full: nothing moves until the client reads.
    std::this_thread::sleep_for(20ms);
    EXPECT_EQ(loop.call([&] { return peer->written().size(); }), 1000u);
    EXPECT_EQ(loop.call([&] { return peer->writes(); }), 1u);

    std::string got;
    for (int i = 0; i < 100 && test::parse_responses(got).responses.size() < 2; ++i) {
        got += loop.call([&] { return peer->drain_output(); });
        std::this_thread::sleep_for(1ms);
    }
    WireParse p = test::parse_responses(got);
    ASSERT_EQ(p.responses.size(), 2u) << got.size();
    EXPECT_EQ(p.responses[0].body, std::string(10'000, 'x'));
    EXPECT_EQ(p.responses[1].body, "hello");
    // Both responses in one batch, sent in 1000-byte writes: no empty write, no extra one.
    std::size_t total = got.size();
    EXPECT_EQ(loop.call([&] { return peer->writes(); }), (total + 999) / 1000);
    EXPECT_TRUE(stays_open(peer));
}

TEST_F(ConnectionTest, ResponseWrittenSevenBytesPerWrite) {
    service.big_size = 3000;
    auto peer = open({}, [](MemoryPeer& p) {
        p.set_write_limit(7);
        p.set_auto_drain(true);
    });
    feed(peer, get("/big"));
    ASSERT_TRUE(wait_responses(peer, 1));
    WireParse p = responses(peer);
    ASSERT_EQ(p.responses.size(), 1u);
    EXPECT_EQ(p.responses[0].body, std::string(3000, 'x'));
    std::size_t total = written(peer).size();
    EXPECT_EQ(loop.call([&] { return peer->writes_with_data(); }), (total + 6) / 7);
}

TEST_F(ConnectionTest, StreamingHandlerIsHeldBackByASlowClient) {
    service.pieces = 64;
    service.piece_size = 1024;
    limits.write_buffer_limit = 4096;
    auto peer = open({}, [](MemoryPeer& p) { p.set_output_capacity(4096); });
    feed(peer, get("/chunked"));
    ASSERT_TRUE(loop.until([&] { return peer->written().size() > 0; }));
    std::this_thread::sleep_for(30ms);
    // The client reads nothing: the handler waits in write_body() instead of buffering 64 KiB.
    int progress = loop.call([&] { return service.pieces_written; });
    EXPECT_LE(progress, 5);
    EXPECT_LE(loop.call([&] { return peer->unread().size(); }), 4096u);

    std::string got;
    for (int i = 0; i < 2000 && test::parse_responses(got).responses.empty(); ++i) {
        got += loop.call([&] { return peer->drain_output(); });
        std::this_thread::sleep_for(1ms);
    }
    WireParse p = test::parse_responses(got);
    ASSERT_EQ(p.responses.size(), 1u);
    const auto& r = p.responses[0];
    EXPECT_TRUE(r.chunked);
    ASSERT_EQ(r.body.size(), 64u * 1024);
    for (int i = 0; i < 64; ++i) {
        ASSERT_EQ(r.body.substr(static_cast<std::size_t>(i) * 1024, 1024),
                  TestService::piece(i, 1024))
            << "piece " << i;
    }
    EXPECT_EQ(r.trailer("X-Pieces"), "64");
    EXPECT_TRUE(loop.call([&] { return service.stream_finished && !service.write_failed; }));
    EXPECT_TRUE(stays_open(peer));
}

TEST_F(ConnectionTest, ClientThatNeverReadsIsCutAfterTheWriteTimeout) {
    limits.write_timeout_ms = 60;
    service.big_size = 100'000;
    auto peer = open({}, [](MemoryPeer& p) { p.set_output_capacity(1000); });
    feed(peer, get("/big"));
    ASSERT_TRUE(wait_gone(peer));
    EXPECT_EQ(loop.call([&] { return peer->written().size(); }), 1000u);
}

// --- keep-alive and closing after a response ----------------------------------------------------

TEST_F(ConnectionTest, Http11KeepsTheConnectionOpen) {
    auto peer = open();
    for (int i = 1; i <= 3; ++i) {
        feed(peer, kGetHello);
        ASSERT_TRUE(wait_responses(peer, static_cast<std::size_t>(i)));
    }
    for (const auto& r : responses(peer).responses)
        EXPECT_FALSE(r.header("Connection").has_value());
    EXPECT_TRUE(stays_open(peer));
}

TEST_F(ConnectionTest, ConnectionCloseIsAnsweredAndClosed) {
    auto peer = open();
    feed(peer, get("/hello", "Connection: close\r\n") + std::string(kGetHello));
    ASSERT_TRUE(wait_gone(peer));
    WireParse p = responses(peer);
    ASSERT_EQ(p.responses.size(), 1u) << "nothing after a Connection: close request";
    EXPECT_TRUE(p.responses[0].closes());
    EXPECT_EQ(p.used, written(peer).size());
    EXPECT_EQ(loop.call([&] { return peer->unread_at_close(); }), 0u);
}

TEST_F(ConnectionTest, ResponseThatAsksToCloseEndsTheConnection) {
    auto peer = open();
    feed(peer, get("/close") + std::string(kGetHello));
    ASSERT_TRUE(wait_gone(peer));
    WireParse p = responses(peer);
    ASSERT_EQ(p.responses.size(), 1u);
    EXPECT_EQ(p.responses[0].body, "bye");
    EXPECT_TRUE(p.responses[0].closes());
}

TEST_F(ConnectionTest, Http10ClosesByDefault) {
    auto peer = open();
    feed(peer, get("/hello", "", "1.0"));
    ASSERT_TRUE(wait_gone(peer));
    WireParse p = responses(peer);
    ASSERT_EQ(p.responses.size(), 1u);
    EXPECT_EQ(p.responses[0].body, "hello");
    EXPECT_NE(p.responses[0].header("Connection").value_or(""), "keep-alive");
}

TEST_F(ConnectionTest, Http10KeepAliveStaysOpen) {
    auto peer = open();
    feed(peer, get("/hello", "Connection: keep-alive\r\n", "1.0"));
    ASSERT_TRUE(wait_responses(peer, 1));
    WireParse p = responses(peer);
    EXPECT_EQ(p.responses[0].header("Connection"), "keep-alive");
    EXPECT_TRUE(stays_open(peer));
    feed(peer, get("/hello", "Connection: keep-alive\r\n", "1.0"));
    ASSERT_TRUE(wait_responses(peer, 2));
}

// --- request bodies -----------------------------------------------------------------------------

TEST_F(ConnectionTest, ChunkedRequestBodyInPieces) {
    auto peer = open();
    feed(peer, "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel");
    feed(peer, "lo\r\n");
    feed(peer, "6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n");
    std::this_thread::sleep_for(10ms);
    EXPECT_EQ(written(peer), "") << "the body is not complete before the trailer section ends";
    feed(peer, "\r\n" + std::string(kGetHello));
    ASSERT_TRUE(wait_responses(peer, 2));
    WireParse p = responses(peer);
    EXPECT_EQ(p.responses[0].body, "hello world");
    EXPECT_EQ(p.responses[1].body, "hello");
    EXPECT_TRUE(stays_open(peer));
}

TEST_F(ConnectionTest, MalformedChunkedBodyEndsTheConnection) {
    auto peer = open();
    feed(peer, "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
    ASSERT_TRUE(loop.until([&] { return peer->write_shut() || !peer->alive(); }));
    EXPECT_EQ(loop.call([&] { return service.body_error; }), 400);
    WireParse p = responses(peer);
    ASSERT_EQ(p.responses.size(), 1u);
    EXPECT_EQ(p.responses[0].status, 400);
    EXPECT_TRUE(p.responses[0].closes());
    hang_up(peer);
    EXPECT_TRUE(wait_gone(peer));
}

TEST_F(ConnectionTest, ExpectContinueIsAnsweredWhenTheHandlerReads) {
    auto peer = open();
    feed(peer,
         "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    ASSERT_TRUE(loop.until([&] { return !peer->written().empty(); }));
    EXPECT_EQ(written(peer), "HTTP/1.1 100 Continue\r\n\r\n");
    feed(peer, "hello");
    ASSERT_TRUE(wait_responses(peer, 2));
    WireParse p = responses(peer);
    EXPECT_EQ(p.responses[0].status, 100);
    EXPECT_EQ(p.responses[1].status, 200);
    EXPECT_EQ(p.responses[1].body, "hello");
    EXPECT_TRUE(stays_open(peer));
}

TEST_F(ConnectionTest, ExpectContinueIsNotSentWhenTheBodyIsAlreadyThere) {
    auto peer = open();
    feed(peer, post_echo("hello", "Expect: 100-continue\r\n"));
    ASSERT_TRUE(wait_responses(peer, 1));
    WireParse p = responses(peer);
    ASSERT_EQ(p.responses.size(), 1u);
    EXPECT_EQ(p.responses[0].status, 200);
}

TEST_F(ConnectionTest, ExpectContinueIsIgnoredForHttp10) {
    auto peer = open();
    feed(peer, "POST /echo HTTP/1.0\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
    std::this_thread::sleep_for(20ms);
    EXPECT_EQ(written(peer), "");
    feed(peer, "ok");
    ASSERT_TRUE(wait_responses(peer, 1));
    EXPECT_EQ(responses(peer).responses[0].status, 200);
}

TEST_F(ConnectionTest, ExpectContinueWithoutReadingAnswersAndClosesInStages) {
    // The handler answers without reading: no 100 Continue, and since the body may still come
    // the connection closes after the response, in stages.
    auto peer = open();
    feed(peer,
         "POST /hello HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n");
    ASSERT_TRUE(loop.until([&] { return peer->write_shut(); }));
    WireParse p = responses(peer);
    ASSERT_EQ(p.responses.size(), 1u);
    EXPECT_EQ(p.responses[0].status, 200);
    EXPECT_TRUE(p.responses[0].closes());
    hang_up(peer);
    EXPECT_TRUE(wait_gone(peer));
}

TEST_F(ConnectionTest, BodyOverTheLimitIsRefusedBeforeContinue) {
    service.echo_limit = 100;
    auto peer = open();
    feed(peer,
         "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n");
    ASSERT_TRUE(loop.until([&] { return peer->write_shut(); }));
    WireParse p = responses(peer);
    ASSERT_EQ(p.responses.size(), 1u) << "no 100 Continue before the 413";
    EXPECT_EQ(p.responses[0].status, 413);
    EXPECT_TRUE(p.responses[0].closes());
}

// --- HEAD and responses streamed through the exchange -------------------------------------------

TEST_F(ConnectionTest, HeadGetsTheHeadersButNoBody) {
    auto peer = open();
    feed(peer, "HEAD /hello HTTP/1.1\r\nHost: a\r\n\r\n" + std::string(kGetHello));
    ASSERT_TRUE(wait_responses(peer, 2, {"HEAD", "GET"}));
    WireParse p = responses(peer, {"HEAD", "GET"});
    ASSERT_TRUE(p.error.empty()) << p.error;
    ASSERT_EQ(p.responses.size(), 2u);
    EXPECT_EQ(p.responses[0].header("Content-Length"), "5") << "the length GET would have";
    EXPECT_EQ(p.responses[0].body, "");
    EXPECT_EQ(p.responses[1].body, "hello");
    EXPECT_EQ(p.used, written(peer).size());
}

TEST_F(ConnectionTest, HeadOfAStreamedResponseSendsNoBody) {
    auto peer = open();
    feed(peer, "HEAD /chunked HTTP/1.1\r\nHost: a\r\n\r\n" + std::string(kGetHello));
    ASSERT_TRUE(wait_responses(peer, 2, {"HEAD", "GET"}));
    WireParse p = responses(peer, {"HEAD", "GET"});
    ASSERT_EQ(p.responses.size(), 2u);
    EXPECT_EQ(p.responses[0].status, 200);
    EXPECT_EQ(p.responses[1].body, "hello");
    EXPECT_EQ(p.used, written(peer).size()) << "not a byte of chunked body after the HEAD answer";
    EXPECT_TRUE(stays_open(peer));
}

TEST_F(ConnectionTest, StreamedResponseIsChunkedWithTrailers) {
    service.pieces = 3;
    service.piece_size = 4;
    auto peer = open();
    feed(peer, get("/chunked") + std::string(kGetHello));
    ASSERT_TRUE(wait_responses(peer, 2));
    WireParse p = responses(peer);
    ASSERT_TRUE(p.error.empty()) << p.error;
    const auto& r = p.responses[0];
    EXPECT_EQ(r.header("Transfer-Encoding"), "chunked");
    EXPECT_FALSE(r.header("Content-Length").has_value());
    EXPECT_EQ(r.chunk_sizes, (std::vector<std::size_t>{4, 4, 4}));
    EXPECT_EQ(r.body, "aaaabbbbcccc");
    EXPECT_EQ(r.trailer("X-Pieces"), "3");
    EXPECT_FALSE(r.closes());
    EXPECT_EQ(p.responses[1].body, "hello");
    EXPECT_TRUE(stays_open(peer));
}

TEST_F(ConnectionTest, StreamedResponseWithContentLength) {
    service.pieces = 3;
    service.piece_size = 4;
    auto peer = open();
    feed(peer, get("/length") + std::string(kGetHello));
    ASSERT_TRUE(wait_responses(peer, 2));
    WireParse p = responses(peer);
    const auto& r = p.responses[0];
    EXPECT_EQ(r.header("Content-Length"), "12");
    EXPECT_FALSE(r.header("Transfer-Encoding").has_value());
    EXPECT_EQ(r.body, "aaaabbbbcccc");
    EXPECT_EQ(p.responses[1].body, "hello");
    EXPECT_TRUE(stays_open(peer));
}

TEST_F(ConnectionTest, StreamedResponseToHttp10EndsWithTheConnection) {
    service.pieces = 2;
    service.piece_size = 3;
    auto peer = open();
    feed(peer, get("/chunked", "Connection: keep-alive\r\n", "1.0"));
    ASSERT_TRUE(wait_gone(peer));
    WireParse p = responses(peer);
    ASSERT_EQ(p.responses.size(), 1u);
    EXPECT_FALSE(p.responses[0].chunked) << "HTTP/1.0 has no chunked coding";
    EXPECT_EQ(p.responses[0].body, "aaabbb");
}

TEST_F(ConnectionTest, StreamedBodyShorterThanItsLengthEndsTheConnection) {
    // The client can only tell a truncated body by the connection closing early.
    service.pieces = 2;
    service.piece_size = 3;
    service.length_adjust = 4;
    auto peer = open();
    feed(peer, get("/length") + std::string(kGetHello));
    ASSERT_TRUE(wait_gone(peer));
    std::string out = written(peer);
    EXPECT_NE(out.find("Content-Length: 10\r\n"), std::string::npos);
    EXPECT_TRUE(out.ends_with("\r\n\r\naaabbb")) << out;
    EXPECT_TRUE(responses(peer).responses.empty()) << "an incomplete response, nothing after it";
}

TEST_F(ConnectionTest, StreamedBodyLongerThanItsLengthIsRefused) {
    service.pieces = 2;
    service.piece_size = 3;
    service.length_adjust = -4;  // declares 2 bytes, writes 3 at once
    auto peer = open();
    feed(peer, get("/length") + std::string(kGetHello));
    ASSERT_TRUE(wait_gone(peer));
    EXPECT_TRUE(loop.call([&] { return service.write_failed; }));
    std::string out = written(peer);
    EXPECT_NE(out.find("Content-Length: 2\r\n"), std::string::npos);
    EXPECT_TRUE(out.ends_with("\r\n\r\n")) << "no byte beyond the declared length: " << out;
}

TEST_F(ConnectionTest, DirectWritesKeepTheirFramingThroughPartialWrites) {
    service.pieces = 5;
    service.piece_size = 20;
    auto peer = open({}, [](MemoryPeer& p) {
        p.set_write_limit(16);
        p.set_auto_drain(true);
    });
    feed(peer, get("/direct") + std::string(kGetHello));
    ASSERT_TRUE(wait_responses(peer, 2));
    WireParse p = responses(peer);
    ASSERT_TRUE(p.error.empty()) << p.error;
    const auto& r = p.responses[0];
    EXPECT_TRUE(r.chunked);
    std::string expected;
    for (int i = 0; i < 5; ++i)
        expected += "[" + std::to_string(i) + "]" + TestService::piece(i, 20);
    EXPECT_EQ(r.body, expected);
    EXPECT_EQ(r.chunk_sizes, (std::vector<std::size_t>(5, 23)));
    EXPECT_EQ(p.responses[1].body, "hello");
    auto results = loop.call([&] { return service.direct_results; });
    EXPECT_NE(std::find(results.begin(), results.end(), http::Exchange::Direct::partial),
              results.end())
        << "the 16-byte socket must have cut a direct write";
}

TEST_F(ConnectionTest, DirectWritesGoOutWholeWhenTheSocketHasRoom) {
    service.pieces = 3;
    service.piece_size = 10;
    auto peer = open();
    feed(peer, get("/direct"));
    ASSERT_TRUE(wait_responses(peer, 1));
    EXPECT_EQ(responses(peer).responses[0].chunk_sizes, (std::vector<std::size_t>(3, 13)));
    auto results = loop.call([&] { return service.direct_results; });
    EXPECT_EQ(results, (std::vector<http::Exchange::Direct>(3, http::Exchange::Direct::sent)));
    // The head, then one write per piece, then the last chunk.
    EXPECT_EQ(loop.call([&] { return peer->writes(); }), 5u);
}

TEST_F(ConnectionTest, SendFileWithAndWithoutSendfileInEitherFraming) {
    std::string contents;
    for (int i = 0; contents.size() < 150'000; ++i) contents += std::to_string(i) + ",";
    TempFile file(contents);
    ASSERT_GE(file.fd(), 0);
    for (bool sendfile : {false, true}) {
        for (bool with_length : {true, false}) {
            SCOPED_TRACE(std::string(sendfile ? "sendfile" : "copy") +
                         (with_length ? ", length" : ", chunked"));
            service.file_fd = file.fd();
            service.file_count = contents.size();
            service.file_with_length = with_length;
            auto peer = open({}, [sendfile](MemoryPeer& p) {
                p.set_sendfile(sendfile);
                p.set_write_limit(5000);
                p.set_auto_drain(true);
            });
            feed(peer, get("/file") + std::string(kGetHello));
            ASSERT_TRUE(wait_responses(peer, 2));
            WireParse p = responses(peer);
            ASSERT_TRUE(p.error.empty()) << p.error;
            EXPECT_EQ(p.responses[0].chunked, !with_length);
            EXPECT_TRUE(p.responses[0].body == contents) << p.responses[0].body.size();
            EXPECT_EQ(p.responses[1].body, "hello");
            EXPECT_TRUE(stays_open(peer, 1ms));
            hang_up(peer);
            ASSERT_TRUE(wait_gone(peer));
        }
    }
}

TEST_F(ConnectionTest, SendFileOfAFileShorterThanPromisedEndsTheConnection) {
    TempFile file("only this");
    for (bool sendfile : {false, true}) {
        SCOPED_TRACE(sendfile ? "sendfile" : "copy");
        service.file_fd = file.fd();
        service.file_count = 100;
        service.file_with_length = true;
        service.write_failed = false;
        auto peer = open({}, [sendfile](MemoryPeer& p) { p.set_sendfile(sendfile); });
        feed(peer, get("/file") + std::string(kGetHello));
        ASSERT_TRUE(wait_gone(peer));
        EXPECT_TRUE(loop.call([&] { return service.write_failed; }));
        EXPECT_TRUE(responses(peer).responses.empty())
            << "the client sees a short body and a close";
    }
}

// --- an upgraded connection (101) ---------------------------------------------------------------

TEST_F(ConnectionTest, UpgradedConnectionCarriesRawBytes) {
    auto peer = open();
    feed(peer, get("/upgrade", "Connection: Upgrade\r\nUpgrade: echo\r\n") + "early");
    ASSERT_TRUE(loop.until([&] { return peer->written().ends_with("early"); }));
    std::string out = written(peer);
    EXPECT_TRUE(out.starts_with("HTTP/1.1 101 ")) << out;
    EXPECT_NE(out.find("Upgrade: echo\r\n"), std::string::npos);
    EXPECT_NE(out.find("Connection: Upgrade\r\n"), std::string::npos);
    std::size_t head_end = out.find("\r\n\r\n") + 4;
    // From here on bytes are not HTTP: an HTTP request is echoed, not answered.
    feed(peer, kGetHello);
    ASSERT_TRUE(loop.until([&] { return peer->written().ends_with(kGetHello); }));
    EXPECT_EQ(written(peer).substr(head_end), "early" + std::string(kGetHello));
    EXPECT_EQ(loop.call([&] { return service.handled; }), 1);
    hang_up(peer);
    ASSERT_TRUE(wait_gone(peer));
    EXPECT_TRUE(loop.call([&] { return service.upgrade_ended; }));
}

}  // namespace
