// HttpClient over in-memory streams (tests/support/memory_stream.hpp): the exact bytes it
// writes, how it reads every framing, what it reuses, retries and refuses. The far end of each
// connection is scripted by the test; real servers are in http_client_socket_test.cpp and in
// tests/integration/test_http_client.py.
#include "support/client_harness.hpp"

#include <gannet/client.hpp>

#include <gtest/gtest.h>

#include <string>

namespace gannet::test {
namespace {

using namespace std::chrono_literals;

// What a test keeps of a response (a ClientResponse must end on its worker).
struct Got {
    int status = 0;
    std::string body;
    std::string content_type;
    std::string trailer;
};

Task<Got> fetch(HttpClient& c, ClientRequest rq) {
    ClientResponse r = co_await c.request(std::move(rq));
    Got g;
    g.status = r.status();
    g.content_type = std::string(r.header("content-type").value_or(""));
    g.body = co_await r.text();
    g.trailer = std::string(r.trailers().get("x-t").value_or(""));
    co_return g;
}

ClientRequest req(std::string url, std::string method = "GET", std::string body = {}) {
    ClientRequest r;
    r.method = std::move(method);
    r.url = std::move(url);
    r.body = std::move(body);
    return r;
}

// A client whose connections are in-memory streams, on a worker.
struct Fixture {
    WorkerThread wt;
    MemoryConnector mc;
    std::unique_ptr<HttpClient> client;

    explicit Fixture(ClientOptions o = {}) : client(std::make_unique<HttpClient>(o)) {
        clients::set_connector(*client, mc.connector());
    }
    ~Fixture() {
        client.reset();
        wt.stop();
    }
    std::future<Got> start(ClientRequest rq) {
        return start_on(
            wt, [this, rq = std::move(rq)]() mutable { return fetch(*client, std::move(rq)); });
    }
    // Waits until connection `i` has received a request head (and `extra` more bytes).
    std::string wait_request(std::size_t i, std::size_t extra = 0) {
        std::string got;
        EXPECT_TRUE(wt.until([&] {
            if (mc.peers.size() <= i) return false;
            const std::string& w = mc.peers[i]->written();
            const std::size_t end = w.find("\r\n\r\n");
            if (end == std::string::npos || w.size() < end + 4 + extra) return false;
            got = w;
            return true;
        })) << "no request on connection "
            << i;
        return got;
    }
    void feed(std::size_t i, std::string bytes) {
        wt.call([&] { mc.peers[i]->feed(bytes); });
    }
    // Sends `rq`, answers with `response` on connection `i` once the request is there.
    Got exchange(ClientRequest rq, std::string response, std::size_t i = 0) {
        auto fut = start(std::move(rq));
        wait_request(i);
        feed(i, std::move(response));
        return await_result(fut);
    }
};

constexpr std::string_view kOk5 = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

TEST(HttpClientMemory, GetWritesAnOriginFormRequestAndReadsALengthBody) {
    Fixture f;
    auto fut = f.start(req("http://Example.com:8081/a/b?x=1#frag"));
    const std::string request = f.wait_request(0);
    EXPECT_EQ(request, "GET /a/b?x=1 HTTP/1.1\r\nHost: example.com:8081\r\n\r\n");
    f.feed(0, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello");
    Got g = await_result(fut);
    EXPECT_EQ(g.status, 200);
    EXPECT_EQ(g.body, "hello");
    EXPECT_EQ(g.content_type, "text/plain");
}

TEST(HttpClientMemory, KeepAliveReusesTheConnection) {
    Fixture f;
    EXPECT_EQ(f.exchange(req("http://h/1"), std::string(kOk5)).body, "hello");
    auto fut = f.start(req("http://h/2"));
    const std::string both = f.wait_request(0, 0);
    EXPECT_TRUE(
        f.wt.until([&] { return f.mc.peers[0]->written().find("GET /2") != std::string::npos; }));
    f.feed(0, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    EXPECT_EQ(await_result(fut).body, "ok");
    EXPECT_EQ(f.mc.peers.size(), 1u);
    const ClientStats s = f.client->stats();
    EXPECT_EQ(s.connects, 1u);
    EXPECT_EQ(s.reuses, 1u);
    EXPECT_EQ(s.requests, 2u);
}

TEST(HttpClientMemory, ChunkedResponseFedOneByteAtATime) {
    Fixture f;
    auto fut = f.start(req("http://h/c"));
    f.wait_request(0);
    const std::string response =
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5;ext=1\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-T: tail\r\n\r\n";
    for (char c : response) f.feed(0, std::string(1, c));
    Got g = await_result(fut);
    EXPECT_EQ(g.body, "hello world");
    EXPECT_EQ(g.trailer, "tail");
    // Read to its end: the connection is pooled.
    EXPECT_EQ(f.exchange(req("http://h/2"), std::string(kOk5)).body, "hello");
    EXPECT_EQ(f.mc.peers.size(), 1u);
}

TEST(HttpClientMemory, CloseDelimitedBodyEndsWithTheConnection) {
    Fixture f;
    auto fut = f.start(req("http://h/"));
    f.wait_request(0);
    f.feed(0, "HTTP/1.1 200 OK\r\n\r\nuntil ");
    f.feed(0, "close");
    f.wt.call([&] { f.mc.peers[0]->hang_up(); });
    EXPECT_EQ(await_result(fut).body, "until close");
    EXPECT_TRUE(f.wt.until([&] { return f.mc.peers[0]->closed(); }));
    f.exchange(req("http://h/"), std::string(kOk5), 1);  // a new connection
    EXPECT_EQ(f.mc.peers.size(), 2u);
}

TEST(HttpClientMemory, BodiesGoOutWithContentLengthOrChunked) {
    Fixture f;
    f.exchange(req("http://h/p", "POST", "abc"), std::string(kOk5));
    EXPECT_NE(f.mc.peers[0]->written().find(
                  "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"),
              std::string::npos);
    f.exchange(req("http://h/e", "POST"), std::string(kOk5));
    EXPECT_NE(
        f.mc.peers[0]->written().find("POST /e HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"),
        std::string::npos);

    // A streamed body of unknown length: chunked, pulled piece by piece.
    auto pieces =
        std::make_shared<std::vector<std::string>>(std::vector<std::string>{"one", "", "three"});
    ClientRequest rq = req("http://h/s", "PUT");
    rq.headers.add("X-A", "1");
    rq.stream.next = [pieces,
                      i = std::size_t{0}]() mutable -> Task<std::optional<std::string_view>> {
        if (i == pieces->size()) co_return std::nullopt;
        co_return std::string_view((*pieces)[i++]);
    };
    f.exchange(std::move(rq), std::string(kOk5));
    EXPECT_NE(f.mc.peers[0]->written().find("PUT /s HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n"
                                            "Transfer-Encoding: chunked\r\n\r\n"
                                            "3\r\none\r\n5\r\nthree\r\n0\r\n\r\n"),
              std::string::npos);

    // The same with a known length: Content-Length and the pieces as they are.
    ClientRequest rl = req("http://h/l", "PUT");
    rl.stream.length = 8;
    rl.stream.next = [pieces,
                      i = std::size_t{0}]() mutable -> Task<std::optional<std::string_view>> {
        if (i == pieces->size()) co_return std::nullopt;
        co_return std::string_view((*pieces)[i++]);
    };
    f.exchange(std::move(rl), std::string(kOk5));
    EXPECT_NE(f.mc.peers[0]->written().find("Content-Length: 8\r\n\r\nonethree"),
              std::string::npos);
    EXPECT_EQ(f.mc.peers.size(), 1u);
}

TEST(HttpClientMemory, AStreamedBodyThatBreaksItsLengthFails) {
    Fixture f;
    ClientRequest rq = req("http://h/l", "PUT");
    rq.stream.length = 10;
    rq.stream.next = [n = 0]() mutable -> Task<std::optional<std::string_view>> {
        if (n++ == 0) co_return std::string_view("short");
        co_return std::nullopt;
    };
    std::string what;
    auto fut = f.start(std::move(rq));
    EXPECT_EQ(error_kind([&] { await_result(fut); }, &what), ClientErrorKind::invalid_request);
    EXPECT_NE(what.find("ended after 5 of 10"), std::string::npos) << what;
    EXPECT_TRUE(f.wt.until([&] { return f.mc.peers[0]->closed(); }));
}

TEST(HttpClientMemory, InterimResponsesAreSkipped) {
    Fixture f;
    Got g =
        f.exchange(req("http://h/", "POST", "x"),
                   "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" +
                       std::string(kOk5));
    EXPECT_EQ(g.status, 200);
    EXPECT_EQ(g.body, "hello");
}

TEST(HttpClientMemory, HeadAndNoContentHaveNoBody) {
    Fixture f;
    Got g = f.exchange(req("http://h/", "HEAD"), "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
    EXPECT_EQ(g.body, "");
    g = f.exchange(req("http://h/"), "HTTP/1.1 204 No Content\r\n\r\n");
    EXPECT_EQ(g.status, 204);
    EXPECT_EQ(f.exchange(req("http://h/"), std::string(kOk5)).body, "hello");
    EXPECT_EQ(f.mc.peers.size(), 1u);  // all three on one connection
}

TEST(HttpClientMemory, ConnectionCloseIsHonoured) {
    Fixture f;
    f.exchange(req("http://h/"),
               "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    EXPECT_TRUE(f.wt.until([&] { return f.mc.peers[0]->closed(); }));
    f.exchange(req("http://h/"), std::string(kOk5), 1);
    EXPECT_EQ(f.mc.peers.size(), 2u);
}

TEST(HttpClientMemory, ErrorsNameTheRequestAndTheCause) {
    Fixture f;
    std::string what;
    // Closed before the head ended.
    auto fut = f.start(req("http://h/x"));
    f.wait_request(0);
    f.feed(0, "HTTP/1.1 200 OK\r\nContent-");
    f.wt.call([&] { f.mc.peers[0]->hang_up(); });
    EXPECT_EQ(error_kind([&] { await_result(fut); }, &what), ClientErrorKind::closed);
    EXPECT_NE(what.find("GET http://h/x: connection closed before the response head"),
              std::string::npos)
        << what;
    EXPECT_TRUE(f.wt.until([&] { return f.mc.peers[0]->closed(); }));

    // Closed in the middle of the body.
    fut = f.start(req("http://h/y"));
    f.wait_request(1);
    f.feed(1, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    f.wt.call([&] { f.mc.peers[1]->hang_up(); });
    EXPECT_EQ(error_kind([&] { await_result(fut); }, &what), ClientErrorKind::closed_mid_body);
    EXPECT_NE(what.find("7 bytes were still to come"), std::string::npos) << what;

    // Bad framing: the parser's reason.
    fut = f.start(req("http://h/z"));
    f.wait_request(2);
    f.feed(2, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx");
    EXPECT_EQ(error_kind([&] { await_result(fut); }, &what), ClientErrorKind::bad_response);
    EXPECT_NE(what.find("repeated Content-Length"), std::string::npos) << what;

    // A broken chunked body.
    fut = f.start(req("http://h/c"));
    f.wait_request(3);
    f.feed(3, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
    EXPECT_EQ(error_kind([&] { await_result(fut); }, &what), ClientErrorKind::bad_response);
    EXPECT_NE(what.find("invalid chunk size"), std::string::npos) << what;
    for (auto& p : f.mc.peers) EXPECT_TRUE(f.wt.until([&] { return p->closed(); }));
}

TEST(HttpClientMemory, OversizedHeadIsRefused) {
    ClientOptions o;
    o.max_header_bytes = 256;
    Fixture f(o);
    auto fut = f.start(req("http://h/"));
    f.wait_request(0);
    f.feed(0, "HTTP/1.1 200 OK\r\nX-Big: " + std::string(400, 'b') + "\r\n\r\n");
    std::string what;
    EXPECT_EQ(error_kind([&] { await_result(fut); }, &what), ClientErrorKind::head_too_large);
    EXPECT_NE(what.find("too large"), std::string::npos) << what;
}

TEST(HttpClientMemory, HeadTimeoutAndTotalTimeoutSayWhich) {
    Fixture f;
    ClientRequest rq = req("http://h/slow");
    rq.options.head_timeout = 60ms;
    auto fut = f.start(std::move(rq));
    std::string what;
    EXPECT_EQ(error_kind([&] { await_result(fut); }, &what), ClientErrorKind::head_timeout);
    EXPECT_NE(what.find("timed out waiting for the response head"), std::string::npos) << what;

    rq = req("http://h/slow-body");
    rq.options.total_timeout = 80ms;
    fut = f.start(std::move(rq));
    f.wait_request(1);
    f.feed(1, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    EXPECT_EQ(error_kind([&] { await_result(fut); }, &what), ClientErrorKind::total_timeout);
}

TEST(HttpClientMemory, AnIdempotentRequestIsRetriedOnceWhenAReusedConnectionWasClosed) {
    Fixture f;
    f.exchange(req("http://h/1"), std::string(kOk5));
    // The server closes the pooled connection just as the next request goes out: it reads
    // nothing of it and sends no byte back.
    auto fut = f.start(req("http://h/2"));
    EXPECT_TRUE(
        f.wt.until([&] { return f.mc.peers[0]->written().find("GET /2") != std::string::npos; }));
    f.wt.call([&] { f.mc.peers[0]->hang_up(); });
    f.wait_request(1);
    EXPECT_EQ(f.mc.peers[1]->written(), "GET /2 HTTP/1.1\r\nHost: h\r\n\r\n");
    f.feed(1, std::string(kOk5));
    EXPECT_EQ(await_result(fut).body, "hello");
    EXPECT_EQ(f.client->stats().retries, 1u);

    // Not a POST: it may have been processed.
    auto post = f.start(req("http://h/3", "POST", "x"));
    EXPECT_TRUE(
        f.wt.until([&] { return f.mc.peers[1]->written().find("POST /3") != std::string::npos; }));
    f.wt.call([&] { f.mc.peers[1]->hang_up(); });
    EXPECT_EQ(error_kind([&] { await_result(post); }), ClientErrorKind::closed);
    EXPECT_EQ(f.mc.peers.size(), 2u);
    EXPECT_EQ(f.client->stats().retries, 1u);

    // Nor a GET that got part of a response before the connection ended.
    f.exchange(req("http://h/4"), std::string(kOk5), 2);
    auto partial = f.start(req("http://h/5"));
    EXPECT_TRUE(
        f.wt.until([&] { return f.mc.peers[2]->written().find("GET /5") != std::string::npos; }));
    f.feed(2, "HTTP/1.1 200");
    f.wt.call([&] { f.mc.peers[2]->hang_up(); });
    EXPECT_EQ(error_kind([&] { await_result(partial); }), ClientErrorKind::closed);
    EXPECT_EQ(f.mc.peers.size(), 3u);
}

TEST(HttpClientMemory, ANewConnectionIsNotRetried) {
    Fixture f;
    auto fut = f.start(req("http://h/"));
    f.wait_request(0);
    f.wt.call([&] { f.mc.peers[0]->hang_up(); });
    EXPECT_EQ(error_kind([&] { await_result(fut); }), ClientErrorKind::closed);
    EXPECT_EQ(f.mc.peers.size(), 1u);
}

TEST(HttpClientMemory, StrayBytesOnAnIdleConnectionDiscardIt) {
    Fixture f;
    f.exchange(req("http://h/1"), std::string(kOk5));
    f.feed(0, "garbage");  // on the idle, pooled connection
    f.exchange(req("http://h/2"), std::string(kOk5), 1);
    EXPECT_EQ(f.mc.peers.size(), 2u);
    EXPECT_TRUE(f.mc.peers[0]->closed());
    EXPECT_EQ(f.mc.peers[0]->written().find("GET /2"), std::string::npos);
    EXPECT_EQ(f.client->stats().discarded, 1u);

    // The same for a connection the server closed while it was idle.
    f.wt.call([&] { f.mc.peers[1]->hang_up(); });
    f.exchange(req("http://h/3"), std::string(kOk5), 2);
    EXPECT_EQ(f.client->stats().discarded, 2u);
    EXPECT_EQ(f.client->stats().retries, 0u);
}

TEST(HttpClientMemory, AnEarlyResponseStopsTheBodyAndTheConnectionIsNotReused) {
    Fixture f;
    ClientRequest rq = req("http://h/upload", "POST");
    rq.stream.length = 1 << 20;
    auto chunk = std::make_shared<std::string>(64 * 1024, 'u');
    auto pulled = std::make_shared<int>(0);
    rq.stream.next = [chunk, pulled]() -> Task<std::optional<std::string_view>> {
        ++*pulled;
        co_return std::string_view(*chunk);
    };
    // The server takes 100 KiB, then answers 413 without reading further.
    f.mc.output_capacity = 100 * 1024;
    auto fut = f.start(std::move(rq));
    EXPECT_TRUE(f.wt.until([&] { return f.mc.peers[0]->written().size() >= 100 * 1024; }));
    f.feed(0,
           "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 3\r\nConnection: close\r\n\r\nbig");
    Got g = await_result(fut);
    EXPECT_EQ(g.status, 413);
    EXPECT_EQ(g.body, "big");
    EXPECT_LT(*pulled, 16);  // it stopped asking for more of the megabyte
    EXPECT_TRUE(f.wt.until([&] { return f.mc.peers[0]->closed(); }));
}

TEST(HttpClientMemory, AnEarlyResponseWithKeepAliveStillClosesTheConnection) {
    Fixture f;
    ClientRequest rq = req("http://h/upload", "POST");
    rq.stream.next = [n = 0]() mutable -> Task<std::optional<std::string_view>> {
        if (n++ < 1000) co_return std::string_view("0123456789");
        co_return std::nullopt;
    };
    f.mc.output_capacity = 1000;
    auto fut = f.start(std::move(rq));
    EXPECT_TRUE(f.wt.until([&] { return f.mc.peers[0]->written().size() >= 1000; }));
    f.feed(0, "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(await_result(fut).status, 401);
    EXPECT_TRUE(f.wt.until([&] { return f.mc.peers[0]->closed(); }));
}

TEST(HttpClientMemory, UpgradeHandsOverTheStreamAndTheBytesReadAlready) {
    Fixture f;
    auto fut = start_on(f.wt, [&]() -> Task<std::string> {
        ClientRequest rq = req("http://h/ws");
        rq.headers.add("Connection", "Upgrade");
        rq.headers.add("Upgrade", "websocket");
        ClientResponse r = co_await f.client->request(std::move(rq));
        clients::Upgraded u = clients::take_upgraded(r);
        std::string out = std::to_string(r.status()) + "|" + u.buffered + "|";
        const char msg[] = "ping";
        std::string_view piece(msg, 4);
        (void)u.stream->write(std::span(&piece, 1));
        char buf[16];
        while (true) {
            io::IoResult got = u.stream->read({buf, sizeof buf});
            if (got.bytes > 0) {
                out.append(buf, got.bytes);
                break;
            }
            io::WaitResult w = co_await u.stream->wait_readable(2000);
            if (w != io::WaitResult::ready) break;
        }
        u.stream->close();
        co_return out;
    });
    f.wait_request(0);
    f.feed(0,
           "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: "
           "websocket\r\n\r\nfirst");
    EXPECT_TRUE(
        f.wt.until([&] { return f.mc.peers[0]->written().find("ping") != std::string::npos; }));
    f.feed(0, "second");
    EXPECT_EQ(await_result(fut), "101|first|second");
}

TEST(HttpClientMemory, MaxConnectionsQueuesAndHandsOver) {
    ClientOptions o;
    o.max_connections_per_origin = 1;
    Fixture f(o);
    auto a = f.start(req("http://h/a"));
    auto b = f.start(req("http://h/b"));
    f.wait_request(0);
    EXPECT_EQ(f.mc.peers.size(), 1u);  // b waits for a's connection
    f.feed(0, std::string(kOk5));
    EXPECT_EQ(await_result(a).body, "hello");
    EXPECT_TRUE(
        f.wt.until([&] { return f.mc.peers[0]->written().find("GET /b") != std::string::npos; }));
    f.feed(0, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb");
    EXPECT_EQ(await_result(b).body, "b");
    EXPECT_EQ(f.mc.peers.size(), 1u);
}

TEST(HttpClientMemory, TheWaitForAConnectionIsBounded) {
    ClientOptions o;
    o.max_connections_per_origin = 1;
    o.max_waiters_per_origin = 1;
    o.queue_timeout = 50ms;
    Fixture f(o);
    auto a = f.start(req("http://h/a"));
    f.wait_request(0);
    auto b = f.start(req("http://h/b"));  // waits, then times out
    std::string what;
    EXPECT_EQ(error_kind([&] { await_result(b); }, &what), ClientErrorKind::pool_timeout);
    EXPECT_NE(what.find("1 connections to http://h:80 stayed busy"), std::string::npos) << what;
    auto c = f.start(req("http://h/c"));
    auto d = f.start(req("http://h/d"));  // the queue holds one
    EXPECT_EQ(error_kind([&] { await_result(d); }), ClientErrorKind::pool_full);
    f.feed(0, std::string(kOk5));
    EXPECT_EQ(await_result(a).body, "hello");
    EXPECT_TRUE(
        f.wt.until([&] { return f.mc.peers[0]->written().find("GET /c") != std::string::npos; }));
    f.feed(0, std::string(kOk5));
    EXPECT_EQ(await_result(c).body, "hello");
}

TEST(HttpClientMemory, AConnectFailureFreesTheSlot) {
    ClientOptions o;
    o.max_connections_per_origin = 1;
    Fixture f(o);
    f.mc.refuse_next = 1;
    std::string what;
    auto a = f.start(req("http://h/a"));
    EXPECT_EQ(error_kind([&] { await_result(a); }, &what), ClientErrorKind::connect);
    EXPECT_NE(
        what.find("GET http://h/a: connect failed: connect to http://h:80: connection refused"),
        std::string::npos)
        << what;
    EXPECT_EQ(f.exchange(req("http://h/b"), std::string(kOk5)).body, "hello");
}

TEST(HttpClientMemory, IdleConnectionsAreClosedAfterIdleTimeout) {
    ClientOptions o;
    o.idle_timeout = 100ms;
    Fixture f(o);
    f.exchange(req("http://h/"), std::string(kOk5));
    EXPECT_TRUE(f.wt.until([&] { return f.mc.peers[0]->closed(); }, 3s));
    EXPECT_EQ(f.client->stats().idle_closed, 1u);
}

TEST(HttpClientMemory, ABodyLeftUnreadClosesTheConnection) {
    Fixture f;
    auto fut = start_on(f.wt, [&]() -> Task<int> {
        ClientResponse r = co_await f.client->get("http://h/big");
        auto first = co_await r.body().read();
        co_return first ? static_cast<int>(first->size()) : -1;
    });
    f.wait_request(0);
    f.feed(0, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + std::string(1000, 'x'));
    EXPECT_EQ(await_result(fut), 1000);
    EXPECT_TRUE(f.wt.until([&] { return f.mc.peers[0]->closed(); }));

    // When all of it has arrived, the connection is kept.
    auto fut2 = start_on(f.wt, [&]() -> Task<int> {
        ClientResponse r = co_await f.client->get("http://h/small");
        co_return r.status();
    });
    f.wait_request(1);
    f.feed(1, std::string(kOk5));
    EXPECT_EQ(await_result(fut2), 200);
    f.exchange(req("http://h/"), std::string(kOk5), 1);
    EXPECT_EQ(f.mc.peers.size(), 2u);
}

TEST(HttpClientMemory, TextIsBounded) {
    ClientOptions o;
    o.max_text_bytes = 4;
    Fixture f(o);
    auto fut = f.start(req("http://h/"));
    f.wait_request(0);
    f.feed(0, std::string(kOk5));
    EXPECT_EQ(error_kind([&] { await_result(fut); }), ClientErrorKind::body_too_large);
    fut = f.start(req("http://h/"));
    f.wait_request(1);
    f.feed(
        1,
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n");
    EXPECT_EQ(error_kind([&] { await_result(fut); }), ClientErrorKind::body_too_large);
}

TEST(HttpClientMemory, BadRequestsAreRefusedBeforeConnecting) {
    Fixture f;
    std::string what;
    for (const char* url : {"https://h/", "ftp://h/", "http://", "http://u:p@h/", "http://h:99999/",
                            "http://h/a b", "/relative"}) {
        auto fut = f.start(req(url));
        EXPECT_EQ(error_kind([&] { await_result(fut); }, &what), ClientErrorKind::invalid_request)
            << url;
    }
    auto fut = f.start(req("https://h/"));
    EXPECT_EQ(error_kind([&] { await_result(fut); }, &what), ClientErrorKind::invalid_request);
    EXPECT_NE(what.find("https is not supported yet"), std::string::npos) << what;
    ClientRequest bad = req("http://h/");
    bad.headers.add("X-Bad", "a\r\nInjected: 1");
    fut = f.start(std::move(bad));
    EXPECT_EQ(error_kind([&] { await_result(fut); }, &what), ClientErrorKind::invalid_request);
    EXPECT_NE(what.find("X-Bad"), std::string::npos) << what;
    ClientRequest framing = req("http://h/");
    framing.headers.add("Content-Length", "3");
    fut = f.start(std::move(framing));
    EXPECT_EQ(error_kind([&] { await_result(fut); }), ClientErrorKind::invalid_request);
    fut = f.start(req("http://h/", "BAD METHOD"));
    EXPECT_EQ(error_kind([&] { await_result(fut); }), ClientErrorKind::invalid_request);
    // The bad header was found before a byte went out, on a connection that is then closed.
    for (auto& p : f.mc.peers) EXPECT_EQ(p->written(), "");
}

TEST(HttpClientMemory, RedirectsAreFollowedOnlyWhenAsked) {
    Fixture f;
    Got g = f.exchange(req("http://h/old"),
                       "HTTP/1.1 302 Found\r\nLocation: /new\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(g.status, 302);

    ClientRequest rq = req("http://h/form", "POST", "data");
    rq.headers.add("Content-Type", "text/plain");
    rq.options.max_redirects = 3;
    auto fut = f.start(std::move(rq));
    f.wait_request(0, 4);
    f.feed(0, "HTTP/1.1 303 See Other\r\nLocation: done?x=1\r\nContent-Length: 2\r\n\r\nno");
    EXPECT_TRUE(f.wt.until([&] {
        return f.mc.peers[0]->written().find("GET /done?x=1 HTTP/1.1") != std::string::npos;
    }));
    EXPECT_EQ(
        f.mc.peers[0]->written().find("Content-Type", f.mc.peers[0]->written().find("GET /done")),
        std::string::npos);
    f.feed(0,
           "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://other:81/x\r\nContent-Length: "
           "0\r\n\r\n");
    f.wait_request(1);
    EXPECT_EQ(f.mc.peers[1]->written(), "GET /x HTTP/1.1\r\nHost: other:81\r\n\r\n");
    f.feed(1, std::string(kOk5));
    EXPECT_EQ(await_result(fut).body, "hello");

    // 307 keeps a POST and its body.
    ClientRequest keep = req("http://h/a", "POST", "body");
    keep.options.max_redirects = 1;
    fut = f.start(std::move(keep));
    EXPECT_TRUE(
        f.wt.until([&] { return f.mc.peers[0]->written().find("POST /a") != std::string::npos; }));
    f.feed(0, "HTTP/1.1 308 Permanent Redirect\r\nLocation: /b\r\nContent-Length: 0\r\n\r\n");
    EXPECT_TRUE(f.wt.until([&] {
        return f.mc.peers[0]->written().find(
                   "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nbody") !=
               std::string::npos;
    }));
    f.feed(0, "HTTP/1.1 302 Found\r\nLocation: /c\r\nContent-Length: 0\r\n\r\n");
    std::string what;
    EXPECT_EQ(error_kind([&] { await_result(fut); }, &what), ClientErrorKind::too_many_redirects);
}

TEST(HttpClientMemory, APendingWaitForAConnectionIsCancelled) {
    ClientOptions o;
    o.max_connections_per_origin = 1;
    Fixture f(o);
    auto a = f.start(req("http://h/a"));
    f.wait_request(0);
    gannet::detail::CancelScope scope;
    auto fut = start_on(f.wt, [&]() -> Task<std::string> {
        Task<ClientResponse> t = f.client->get("http://h/b");
        t.bind_cancel_scope(&scope);
        try {
            ClientResponse r = co_await std::move(t);
            co_return "answered";
        } catch (const ClientCancelled& e) {
            co_return e.what();
        }
    });
    EXPECT_TRUE(f.wt.until([&] { return true; }));
    f.wt.call([&] { scope.cancel(); });
    EXPECT_EQ(await_result(fut), "GET http://h/b: cancelled while waiting for a free connection");
    f.feed(0, std::string(kOk5));
    EXPECT_EQ(await_result(a).body, "hello");
}

}  // namespace
}  // namespace gannet::test
