#include <gannet/gannet.hpp>

#include <chrono>
using namespace gannet;
using namespace std::chrono_literals;

int main() {
    // One client for the whole app: each worker keeps its own keep-alive pools in it.
    ClientOptions options;
    options.max_connections_per_origin = 32;
    options.head_timeout = 2s;
    HttpClient client(options);

    App app;
    // A GET, the body read whole (bounded by ClientOptions::max_text_bytes).
    app.get("/weather", [&](Request&) -> Task<Response> {
        ClientResponse r = co_await client.get("http://127.0.0.1:9000/now");
        std::string body = co_await r.text();
        co_return Response::json(body, r.status());
    });

    // A POST with headers and a body; failures are ClientError, which name the request.
    app.post("/orders", [&](Request& req) -> Task<Response> {
        ClientRequest out;
        out.method = "POST";
        out.url = "http://127.0.0.1:9000/orders";
        out.headers.add("Content-Type", "application/json");
        out.body = co_await req.text();
        out.options.total_timeout = 5s;  // this request only
        try {
            ClientResponse r = co_await client.request(std::move(out));
            co_return Response::json(co_await r.text(), r.status());
        } catch (const ClientError& e) {
            co_return Response::text(e.what(), e.timed_out() ? 504 : 502);
        }
    });

    // A large download passed on piece by piece: the upstream is read only as fast as our
    // client takes the pieces (backpressure both ways).
    app.get("/export", [&](Request&, ResponseStream& out) -> Task<> {
        ClientResponse r = co_await client.get("http://127.0.0.1:9000/export.csv");
        out.status(r.status()).content_type("text/csv");
        while (auto piece = co_await r.body().read()) {
            bool sent = co_await out.write(*piece);
            if (!sent) co_return;  // our client left: dropping r closes the upstream connection
        }
    });

    // A streamed upload: the client pulls each piece once the previous one is written.
    app.post("/archive", [&](Request& req) -> Task<Response> {
        ClientRequest out;
        out.method = "PUT";
        out.url = "http://127.0.0.1:9000/archive";
        out.stream.next = [&req]() { return req.body().read(); };  // chunked: length unknown
        ClientResponse r = co_await client.request(std::move(out));
        co_return Response::status_only(r.status());
    });
    return app.listen({.port = 8080}).run();
}
