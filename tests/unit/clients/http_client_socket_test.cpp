// HttpClient over real loopback sockets (net::connect_stream): against a Gannet App in this
// process, from a worker of its own and from inside the App's handlers; keep-alive reuse
// counted on the server side; 1000 sequential and 1000 concurrent requests; descriptors
// before and after.
#include "support/client_harness.hpp"

#include <gannet/app.hpp>
#include <gannet/client.hpp>
#include <gannet/response_stream.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gannet::test {
namespace {

using namespace std::chrono_literals;

// The App the client talks to.
//   GET  /hello    "hello"
//   POST /echo     the body back, streamed (chunked)
//   GET  /chunks   five pieces, chunked
//   GET  /big      256 KiB with Content-Length
//   GET  /fanout   three client requests to /hello from inside the handler, joined
struct Upstream {
    App app;
    HttpClient inner;  // the one /fanout uses, on the App's workers

    explicit Upstream(unsigned threads = 1) {
        app.get("/hello", [](Request&) { return Response::text("hello"); });
        app.post("/echo", [](Request& req, ResponseStream& out) -> Task<> {
            out.content_type("application/octet-stream");
            while (auto chunk = co_await req.body().read()) {
                bool ok = co_await out.write(*chunk);
                if (!ok) co_return;
            }
        });
        app.get("/chunks", [](Request&, ResponseStream& out) -> Task<> {
            for (int i = 0; i < 5; ++i) {
                bool ok = co_await out.write("piece" + std::to_string(i) + ";");
                if (!ok) co_return;
            }
        });
        app.get("/big", [](Request&) { return Response::text(std::string(256 * 1024, 'b')); });
        app.get("/fanout", [this](Request& req) -> Task<Response> {
            const std::string base = "http://127.0.0.1:" + std::to_string(app.port());
            std::string out;
            for (int i = 0; i < 3; ++i) {
                ClientResponse r = co_await inner.get(base + "/hello");
                out += co_await r.text();
            }
            (void)req;
            co_return Response::text(out);
        });
        Config c;
        c.host = "127.0.0.1";
        c.port = 0;
        c.threads = threads;
        c.env_overrides = false;
        app.listen(c);
        app.start();
    }
    ~Upstream() {
        app.stop();
        app.wait();
    }
    std::string url(std::string_view path) const {
        return "http://127.0.0.1:" + std::to_string(app.port()) + std::string(path);
    }
};

struct Got {
    int status = 0;
    std::string body;
    std::string encoding;
};

Task<Got> fetch(HttpClient& c, ClientRequest rq) {
    ClientResponse r = co_await c.request(std::move(rq));
    Got g;
    g.status = r.status();
    g.encoding = std::string(r.header("transfer-encoding").value_or(""));
    g.body = co_await r.text();
    co_return g;
}

ClientRequest req(std::string url, std::string method = "GET", std::string body = {}) {
    ClientRequest r;
    r.method = std::move(method);
    r.url = std::move(url);
    r.body = std::move(body);
    return r;
}

TEST(HttpClientSocket, GetPostAndChunkedBothWays) {
    Upstream up;
    WorkerThread wt;
    HttpClient client;
    Got g = run_on(wt, [&] { return fetch(client, req(up.url("/hello"))); });
    EXPECT_EQ(g.status, 200);
    EXPECT_EQ(g.body, "hello");

    g = run_on(wt, [&] { return fetch(client, req(up.url("/echo"), "POST", "ping pong")); });
    EXPECT_EQ(g.body, "ping pong");
    EXPECT_EQ(g.encoding, "chunked");

    g = run_on(wt, [&] { return fetch(client, req(up.url("/chunks"))); });
    EXPECT_EQ(g.body, "piece0;piece1;piece2;piece3;piece4;");

    // A streamed request body of unknown length (chunked), 1 MiB in 16 KiB pieces.
    ClientRequest rq = req(up.url("/echo"), "POST");
    auto piece = std::make_shared<std::string>(16 * 1024, 'p');
    rq.stream.next = [piece, n = 0]() mutable -> Task<std::optional<std::string_view>> {
        if (n++ == 64) co_return std::nullopt;
        (*piece)[0] = static_cast<char>('a' + n % 26);
        co_return std::string_view(*piece);
    };
    g = run_on(wt, [&] { return fetch(client, std::move(rq)); });
    EXPECT_EQ(g.status, 200);
    EXPECT_EQ(g.body.size(), 1u << 20);
    EXPECT_EQ(g.body[16 * 1024], 'c');

    g = run_on(wt, [&] { return fetch(client, req(up.url("/big"))); });
    EXPECT_EQ(g.body, std::string(256 * 1024, 'b'));
    EXPECT_EQ(up.app.stats().connections, 1u);  // every request on one connection
    EXPECT_EQ(client.stats().connects, 1u);
}

TEST(HttpClientSocket, StreamsTheBodyOnDemand) {
    Upstream up;
    WorkerThread wt;
    HttpClient client;
    const std::size_t pieces = run_on(wt, [&]() -> Task<std::size_t> {
        ClientResponse r = co_await client.get(up.url("/big"));
        std::size_t n = 0;
        std::size_t bytes = 0;
        while (auto piece = co_await r.body().read()) {
            ++n;
            bytes += piece->size();
        }
        EXPECT_EQ(bytes, 256u * 1024);
        co_return n;
    });
    EXPECT_GT(pieces, 1u);  // it came through the buffer in pieces, not whole
}

TEST(HttpClientSocket, ThousandSequentialAndThousandConcurrentRequests) {
    Upstream up(2);
    WorkerThread wt;
    ClientOptions o;
    o.max_connections_per_origin = 16;
    HttpClient client(o);
    const int fds_before = open_fds();
    const int ok = run_on(wt, [&]() -> Task<int> {
        int good = 0;
        for (int i = 0; i < 1000; ++i) {
            ClientResponse r = co_await client.get(up.url("/hello"));
            std::string body = co_await r.text();
            if (r.status() == 200 && body == "hello") ++good;
        }
        co_return good;
    });
    EXPECT_EQ(ok, 1000);
    EXPECT_EQ(client.stats().connects, 1u);

    struct State {
        int done = 0;
        int good = 0;
    };
    State st;
    const bool finished = run_on(wt, [&]() -> Task<bool> {
        auto one = [](HttpClient& c, std::string url, State& s) -> Task<void> {
            try {
                ClientResponse r = co_await c.get(std::move(url));
                std::string body = co_await r.text();
                if (r.status() == 200 && body == "hello") ++s.good;
            } catch (const std::exception& e) {
                ADD_FAILURE() << e.what();
            }
            ++s.done;
        };
        for (int i = 0; i < 1000; ++i) gannet::spawn(one(client, up.url("/hello"), st));
        for (int waited = 0; st.done < 1000 && waited < 15'000; waited += 10) {
            co_await sleep_for(10ms);
        }
        co_return st.done == 1000;
    });
    EXPECT_TRUE(finished);
    EXPECT_EQ(st.good, 1000);
    const ClientStats s = client.stats();
    EXPECT_LE(s.connects, 16u);  // the pool's bound held; the rest waited their turn
    EXPECT_GE(s.reuses, 1000u - 16u);
    EXPECT_LE(up.app.stats().connections, 16u);
    // Every connection is idle now: the descriptors are the pool's and the server's ends.
    EXPECT_LE(open_fds(), fds_before + 2 * 16);
}

TEST(HttpClientSocket, UsableFromInsideHandlers) {
    Upstream up(2);
    WorkerThread wt;
    HttpClient client;
    Got g = run_on(wt, [&] { return fetch(client, req(up.url("/fanout"))); });
    EXPECT_EQ(g.status, 200);
    EXPECT_EQ(g.body, "hellohellohello");
    g = run_on(wt, [&] { return fetch(client, req(up.url("/fanout"))); });
    EXPECT_EQ(g.body, "hellohellohello");
    EXPECT_GE(up.inner.stats().reuses, 4u);
}

TEST(HttpClientSocket, ConnectFailureNamesTheOrigin) {
    WorkerThread wt;
    HttpClient client;
    // A port nobody listens on: take one and let it go.
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    const int port = ntohs(a.sin_port);
    ::close(fd);
    std::string what;
    const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/x";
    EXPECT_EQ(error_kind([&] { run_on(wt, [&] { return fetch(client, req(url)); }); }, &what),
              ClientErrorKind::connect);
    EXPECT_NE(what.find("GET " + url + ": connect failed"), std::string::npos) << what;
    EXPECT_NE(what.find("refused"), std::string::npos) << what;
}

TEST(HttpClientSocket, NoDescriptorOutlivesTheClient) {
    const int before = open_fds();
    {
        Upstream up;
        WorkerThread wt;
        {
            HttpClient client;
            for (int i = 0; i < 3; ++i) {
                Got g = run_on(wt, [&] { return fetch(client, req(up.url("/hello"))); });
                EXPECT_EQ(g.body, "hello");
            }
            EXPECT_GT(open_fds(), before);
        }
        // ~HttpClient asked the worker to close the pool: wait for it.
        EXPECT_TRUE(wt.until([&] { return true; }));
        wt.stop();
    }
    EXPECT_EQ(open_fds(), before);
}

}  // namespace
}  // namespace gannet::test
