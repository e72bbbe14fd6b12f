#include <gannet/log.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using gannet::LogLevel;

namespace {

class Log : public ::testing::Test {
  protected:
    void TearDown() override {
        gannet::set_log_sink({});
        gannet::set_log_level(LogLevel::info);
    }

    struct Captured {
        std::mutex m;
        std::vector<std::pair<LogLevel, std::string>> lines;
    };
    /// Sends every message to `out` instead of stderr.
    static void capture(Captured& out) {
        gannet::set_log_sink([&out](LogLevel level, std::string_view line) {
            std::lock_guard lock(out.m);
            out.lines.emplace_back(level, std::string(line));
        });
    }
};

/// Points stderr at a pipe for the lifetime of the object; read() returns what was written.
class StderrCapture {
  public:
    StderrCapture() {
        int fds[2];
        EXPECT_EQ(pipe2(fds, O_CLOEXEC), 0);
        read_end_ = fds[0];
        saved_ = dup(STDERR_FILENO);
        dup2(fds[1], STDERR_FILENO);
        ::close(fds[1]);
        // Drain concurrently: a pipe holds 64 KiB, and tests write more than that.
        reader_ = std::thread([this] {
            char buf[4096];
            for (;;) {
                ssize_t n = ::read(read_end_, buf, sizeof buf);
                if (n <= 0) return;
                text_.append(buf, static_cast<std::size_t>(n));
            }
        });
    }
    ~StderrCapture() { finish(); }
    /// Restores stderr and returns everything written to it meanwhile.
    std::string finish() {
        if (saved_ >= 0) {
            dup2(saved_, STDERR_FILENO);
            ::close(saved_);
            saved_ = -1;
            reader_.join();
            ::close(read_end_);
        }
        return text_;
    }

  private:
    int read_end_ = -1;
    int saved_ = -1;
    std::thread reader_;
    std::string text_;
};

int evaluated = 0;
int side_effect() {
    return ++evaluated;
}

}  // namespace

TEST_F(Log, TheSinkReceivesEachMessageWithItsLevel) {
    Captured out;
    capture(out);
    gannet::log(LogLevel::warn, "disk almost full");
    GANNET_LOG(LogLevel::error, "port %u: %s", 8080u, "in use");
    ASSERT_EQ(out.lines.size(), 2u);
    EXPECT_EQ(out.lines[0].first, LogLevel::warn);
    EXPECT_EQ(out.lines[0].second, "disk almost full");
    EXPECT_EQ(out.lines[1].first, LogLevel::error);
    EXPECT_EQ(out.lines[1].second, "port 8080: in use");
}

TEST_F(Log, MessagesBelowTheLevelAreDroppedWithoutEvaluatingArguments) {
    Captured out;
    capture(out);
    EXPECT_EQ(gannet::log_level(), LogLevel::info) << "the default";
    EXPECT_FALSE(gannet::log_enabled(LogLevel::debug));
    gannet::log(LogLevel::debug, "not shown");
    evaluated = 0;
    GANNET_LOG(LogLevel::debug, "%d", side_effect());
    EXPECT_EQ(evaluated, 0);
    EXPECT_TRUE(out.lines.empty());

    gannet::set_log_level(LogLevel::warn);
    gannet::log(LogLevel::info, "dropped");
    gannet::log(LogLevel::warn, "kept");
    gannet::log(LogLevel::error, "kept too");
    ASSERT_EQ(out.lines.size(), 2u);
    EXPECT_EQ(out.lines[0].second, "kept");

    gannet::set_log_level(LogLevel::debug);
    GANNET_LOG(LogLevel::debug, "%d", side_effect());
    EXPECT_EQ(evaluated, 1);
    ASSERT_EQ(out.lines.size(), 3u);
    EXPECT_EQ(out.lines[2].second, "1");

    gannet::set_log_level(LogLevel::off);
    gannet::log(LogLevel::error, "silenced");
    EXPECT_EQ(out.lines.size(), 3u);
}

TEST_F(Log, LongFormattedMessagesArriveWhole) {
    Captured out;
    capture(out);
    std::string big(5000, 'b');
    GANNET_LOG(LogLevel::info, "[%s]", big.c_str());
    ASSERT_EQ(out.lines.size(), 1u);
    EXPECT_EQ(out.lines[0].second, "[" + big + "]");
}

TEST_F(Log, TheDefaultSinkWritesOneLineToStderr) {
    StderrCapture err;
    gannet::log(LogLevel::error, "handler threw: boom");
    gannet::log(LogLevel::warn, "a path with a\nnewline");
    gannet::log(LogLevel::info, std::string(3000, 'l'));
    std::string text = err.finish();
    EXPECT_EQ(text,
              "gannet: error: handler threw: boom\n"
              "gannet: warn: a path with a\\x0anewline\n"
              "gannet: info: " +
                  std::string(3000, 'l') + "\n");
}

TEST_F(Log, EmptySinkRestoresTheDefault) {
    Captured out;
    capture(out);
    gannet::set_log_sink({});
    StderrCapture err;
    gannet::log(LogLevel::warn, "back on stderr");
    EXPECT_EQ(err.finish(), "gannet: warn: back on stderr\n");
    EXPECT_TRUE(out.lines.empty());
}

TEST_F(Log, LinesFromManyThreadsDoNotInterleave) {
    StderrCapture err;
    constexpr int kThreads = 4;
    constexpr int kLines = 500;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([t] {
            std::string payload(100, static_cast<char>('a' + t));
            for (int i = 0; i < kLines; ++i) gannet::log(LogLevel::info, payload);
        });
    }
    for (auto& t : threads) t.join();
    std::string text = err.finish();
    std::size_t lines = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        ASSERT_NE(end, std::string::npos);
        std::string_view line(text.data() + pos, end - pos);
        ASSERT_EQ(line.size(), 14u + 100u) << line;
        char c = line.back();
        EXPECT_EQ(line, "gannet: info: " + std::string(100, c));
        ++lines;
        pos = end + 1;
    }
    EXPECT_EQ(lines, static_cast<std::size_t>(kThreads * kLines));
}

TEST_F(Log, ASinkThatThrowsFallsBackToStderr) {
    gannet::set_log_sink([](LogLevel, std::string_view) { throw std::runtime_error("full"); });
    StderrCapture err;
    gannet::log(LogLevel::error, "the message");
    std::string text = err.finish();
    EXPECT_NE(text.find("gannet: error: the message\n"), std::string::npos) << text;
}

TEST_F(Log, LevelsHaveNames) {
    EXPECT_EQ(gannet::to_string(LogLevel::debug), "debug");
    EXPECT_EQ(gannet::to_string(LogLevel::info), "info");
    EXPECT_EQ(gannet::to_string(LogLevel::warn), "warn");
    EXPECT_EQ(gannet::to_string(LogLevel::error), "error");
    EXPECT_EQ(gannet::to_string(LogLevel::off), "off");
}
