// <gannet/json.hpp>: read_json (content type, malformed input, depth), json(), problem(),
// json_errors() and JsonWriter.
#include <gannet/json.hpp>

#include "support/scripted_exchange.hpp"

#include <gtest/gtest.h>

#include <exception>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace gannet {
namespace {

struct Outcome {
    nlohmann::json value;
    int status = 0;  // 0: parsed; otherwise the HttpError's status
    std::string message;
    bool json_error = false;
};

Task<void> run_read_json(Request& req, Outcome& out) {
    try {
        out.value = co_await read_json(req);
    } catch (const JsonError& e) {
        out.status = e.status();
        out.message = e.what();
        out.json_error = true;
    } catch (const HttpError& e) {
        out.status = e.status();
        out.message = e.what();
    }
}

Outcome parse(std::string body, std::optional<std::string_view> content_type = "application/json") {
    test::ScriptedExchange t;
    t.body = std::move(body);
    Request req;
    req.head().method = "POST";
    req.head().path = "/";
    if (content_type) req.head().headers.push_back({"Content-Type", *content_type});
    req.attach(&t, "127.0.0.1:1");
    Outcome out;
    Task<void> task = run_read_json(req, out);
    task.start();
    EXPECT_TRUE(task.done());
    return out;
}

TEST(Json, ReadsAnObject) {
    auto o = parse(R"({"name":"Ada","age":36,"tags":["x"],"ok":true,"n":null})");
    ASSERT_EQ(o.status, 0) << o.message;
    EXPECT_EQ(o.value["name"], "Ada");
    EXPECT_EQ(o.value["age"], 36);
    EXPECT_EQ(o.value["tags"][0], "x");
    EXPECT_TRUE(o.value["ok"].get<bool>());
    EXPECT_TRUE(o.value["n"].is_null());
}

TEST(Json, ReadsScalarsAndUnicode) {
    EXPECT_EQ(parse("42").value, 42);
    EXPECT_EQ(parse(R"("\u00e9\ud83d\ude00")").value, "\xc3\xa9\xf0\x9f\x98\x80");
    EXPECT_EQ(parse(" [1, 2.5, -3e2] ").value.size(), 3u);
}

TEST(Json, AcceptsJsonContentTypes) {
    EXPECT_EQ(parse("{}", "application/json; charset=utf-8").status, 0);
    EXPECT_EQ(parse("{}", "Application/JSON").status, 0);
    EXPECT_EQ(parse("{}", "application/merge-patch+json").status, 0);
    EXPECT_EQ(parse("{}", std::nullopt).status, 0);
}

TEST(Json, RejectsOtherContentTypesWith415) {
    for (std::string_view t : {"text/plain", "application/x-www-form-urlencoded",
                               "application/jsonp", "json", "text/json+"}) {
        auto o = parse("{}", t);
        EXPECT_EQ(o.status, 415) << t;
        EXPECT_TRUE(o.json_error) << t;
        EXPECT_NE(o.message.find("application/json"), std::string::npos) << o.message;
    }
}

TEST(Json, MalformedIs400WithAPosition) {
    for (std::string_view bad : {"", "{", "{\"a\":}", "[1,]", "{'a':1}", "nul", "{} {}", "\"\x01\"",
                                 "[1] x", "{\"a\" 1}"}) {
        auto o = parse(std::string(bad));
        EXPECT_EQ(o.status, 400) << bad;
        EXPECT_TRUE(o.json_error) << bad;
        EXPECT_EQ(o.message.find("[json.exception"), std::string::npos) << o.message;
        EXPECT_FALSE(o.message.empty());
    }
    auto o = parse("{\"a\":}");
    EXPECT_NE(o.message.find("column 6"), std::string::npos) << o.message;
}

TEST(Json, InvalidUtf8Is400) {
    auto o = parse("\"\xff\"");
    EXPECT_EQ(o.status, 400);
}

TEST(Json, DepthIsBounded) {
    std::string ok(kMaxJsonDepth, '[');
    ok += std::string(kMaxJsonDepth, ']');
    EXPECT_EQ(parse(ok).status, 0);
    std::string deep(kMaxJsonDepth + 1, '[');
    deep += std::string(kMaxJsonDepth + 1, ']');
    auto o = parse(deep);
    EXPECT_EQ(o.status, 400);
    EXPECT_NE(o.message.find("nested"), std::string::npos);
    // Brackets inside strings (with escaped quotes) do not count.
    std::string s = "[\"" + std::string(1000, '[') + "\\\"" + std::string(1000, '{') + "\"]";
    EXPECT_EQ(parse(s).status, 0);
}

TEST(Json, ResponseFromADom) {
    Response r = json({{"id", 7}, {"name", "Ada"}}, 201);
    EXPECT_EQ(r.status(), 201);
    EXPECT_EQ(r.content_type(), "application/json");
    EXPECT_EQ(r.body(), R"({"id":7,"name":"Ada"})");
    // Invalid UTF-8 in a string does not throw: it becomes U+FFFD.
    Response bad = json(nlohmann::json(std::string("a\xff")));
    EXPECT_EQ(bad.body(), "\"a\xef\xbf\xbd\"");
}

TEST(Json, ProblemDocument) {
    Response r = problem(400, "name must be a \"string\"");
    EXPECT_EQ(r.status(), 400);
    EXPECT_EQ(r.content_type(), "application/problem+json");
    auto j = nlohmann::json::parse(r.body());
    EXPECT_EQ(j["type"], "about:blank");
    EXPECT_EQ(j["title"], "Bad Request");
    EXPECT_EQ(j["status"], 400);
    EXPECT_EQ(j["detail"], "name must be a \"string\"");
    auto k = nlohmann::json::parse(problem(404).body());
    EXPECT_FALSE(k.contains("detail"));
    EXPECT_EQ(k["title"], "Not Found");
}

TEST(Json, ErrorHookAnswersProblems) {
    auto hook = json_errors();
    Request req;
    auto answer = [&](std::exception_ptr e) { return hook(req, std::move(e)); };

    Response a = answer(std::make_exception_ptr(JsonError(400, "bad")));
    EXPECT_EQ(a.status(), 400);
    EXPECT_EQ(a.content_type(), "application/problem+json");
    EXPECT_FALSE(a.wants_close());  // the body was read: the connection stays usable

    Response b = answer(std::make_exception_ptr(HttpError(404, "no such user")));
    EXPECT_EQ(b.status(), 404);
    EXPECT_EQ(nlohmann::json::parse(b.body())["detail"], "no such user");

    Response c = answer(std::make_exception_ptr(HttpError(413, "too big")));
    EXPECT_TRUE(c.wants_close());

    ::testing::internal::CaptureStderr();
    Response d = answer(std::make_exception_ptr(std::runtime_error("secret internals")));
    std::string log = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(d.status(), 500);
    EXPECT_EQ(d.body().find("secret"), std::string_view::npos);
    EXPECT_NE(log.find("secret internals"), std::string::npos);
}

TEST(Json, WriterFlatObject) {
    std::string s = JsonWriter()
                        .field("message", "Hello, World!")
                        .field("id", 42)
                        .field("big", std::numeric_limits<std::uint64_t>::max())
                        .field("neg", std::int64_t{-5})
                        .field("pi", 3.25)
                        .field("inf", std::numeric_limits<double>::infinity())
                        .field("yes", true)
                        .null_field("none")
                        .raw_field("list", "[1,2]")
                        .field("q\"k", std::string("a\nb\xff"))
                        .str();
    EXPECT_EQ(s, R"({"message":"Hello, World!","id":42,"big":18446744073709551615,"neg":-5,)"
                 R"("pi":3.25,"inf":null,"yes":true,"none":null,"list":[1,2],)"
                 "\"q\\\"k\":\"a\\nb\xef\xbf\xbd\"}");
    auto j = nlohmann::json::parse(s);
    EXPECT_EQ(j["message"], "Hello, World!");
    EXPECT_EQ(JsonWriter().str(), "{}");
    Response r = JsonWriter().field("message", "Hello, World!").response(201);
    EXPECT_EQ(r.body(), R"({"message":"Hello, World!"})");
    EXPECT_EQ(r.status(), 201);
    EXPECT_EQ(r.content_type(), "application/json");
}

}  // namespace
}  // namespace gannet
