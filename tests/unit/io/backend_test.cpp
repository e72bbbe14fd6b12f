// The contract of io::Backend (io/backend.hpp), run against every backend: each case takes the
// backend from a factory, so a second backend (io_uring) joins by adding one line to the
// INSTANTIATE_TEST_SUITE_P list at the bottom.
#include "io/backend.hpp"
#include "io/epoll_backend.hpp"

#include <gannet/task.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using gannet::Task;
using gannet::io::Backend;
using gannet::io::FdState;
using gannet::io::Interest;

namespace {

struct BackendCase {
    std::string name;
    std::unique_ptr<Backend> (*make)();
};

// Test names and failure messages show the backend's name, not the bytes of the case.
[[maybe_unused]] void PrintTo(const BackendCase& c, std::ostream* os) {
    *os << c.name;
}

std::unique_ptr<Backend> make_epoll() {
    return std::make_unique<gannet::io::EpollBackend>();
}

/// A non-blocking socket pair: `ours` is watched, `peer` plays the other end.
struct Pair {
    int ours = -1;
    int peer = -1;
    Pair() {
        int fds[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) {
            ADD_FAILURE() << "socketpair: " << errno;
            return;
        }
        ours = fds[0];
        peer = fds[1];
    }
    ~Pair() {
        if (ours >= 0) ::close(ours);
        if (peer >= 0) ::close(peer);
    }
    void close_peer() {
        ::close(peer);
        peer = -1;
    }
};

/// Reads `fd` until EAGAIN (what an edge-triggered owner does before clearing its flag).
std::size_t drain(int fd) {
    std::size_t total = 0;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) return total;
        total += static_cast<std::size_t>(n);
    }
}

// Coroutines are free functions taking what they need (see worker_test.cpp).
Task<void> await_readable(FdState& s, int& resumed) {
    co_await gannet::io::Readable{s};
    ++resumed;
}
Task<void> await_writable(FdState& s, int& resumed) {
    co_await gannet::io::Writable{s};
    ++resumed;
}
struct HangupWait {
    FdState& s;
    bool await_ready() const noexcept { return s.hangup; }
    void await_suspend(std::coroutine_handle<> h) noexcept { gannet::io::park(s.closer, h); }
    void await_resume() const noexcept {}
};
Task<void> await_hangup(FdState& s, int& resumed) {
    co_await HangupWait{s};
    ++resumed;
}

class BackendTest : public ::testing::TestWithParam<BackendCase> {
  protected:
    std::unique_ptr<Backend> backend = GetParam().make();

    struct Turn {
        int events;
        bool woken;
    };
    /// One turn of a worker's loop: wait, then dispatch what arrived.
    Turn turn(int timeout_ms) {
        int n = backend->wait(timeout_ms);
        EXPECT_GE(n, 0) << "wait failed: " << -n;
        bool woken = n > 0 && backend->dispatch();
        return {n, woken};
    }
    /// Turns the loop until `done()` or about a second passes.
    template <class F>
    void until(F done) {
        for (int i = 0; i < 100 && !done(); ++i) turn(10);
    }
};

TEST_P(BackendTest, HasAName) {
    EXPECT_STRNE(backend->name(), "");
}

TEST_P(BackendTest, ReportsAFreshSocketWritableAndIdleNotReadable) {
    Pair p;
    FdState s;
    s.fd = p.ours;
    backend->add(s);
    until([&] { return s.writable; });
    EXPECT_TRUE(s.writable);
    EXPECT_FALSE(s.readable);
    EXPECT_FALSE(s.hangup);
    backend->remove(s);
}

TEST_P(BackendTest, ResumesTheReaderWhenDataArrives) {
    Pair p;
    FdState s;
    s.fd = p.ours;
    backend->add(s);
    int resumed = 0;
    Task<void> reader = await_readable(s, resumed);
    reader.start();
    EXPECT_EQ(resumed, 0);
    EXPECT_TRUE(s.reader);
    turn(0);  // the first report (writable) must not wake a reader
    EXPECT_EQ(resumed, 0);

    ASSERT_EQ(::write(p.peer, "hello", 5), 5);
    until([&] { return resumed > 0; });
    EXPECT_EQ(resumed, 1);
    EXPECT_TRUE(s.readable);
    EXPECT_FALSE(s.reader) << "the slot is emptied before its coroutine resumes";
    EXPECT_TRUE(reader.done());
    backend->remove(s);
}

TEST_P(BackendTest, ReportsNewDataAgainAfterTheOwnerDrained) {
    Pair p;
    FdState s;
    s.fd = p.ours;
    backend->add(s);
    for (int i = 0; i < 3; ++i) {
        ASSERT_EQ(::write(p.peer, "x", 1), 1);
        until([&] { return s.readable; });
        ASSERT_TRUE(s.readable) << "round " << i;
        EXPECT_EQ(drain(p.ours), 1u);
        s.readable = false;  // saw EAGAIN
    }
    backend->remove(s);
}

TEST_P(BackendTest, ResumesTheWriterWhenSpaceFreesUp) {
    Pair p;
    FdState s;
    s.fd = p.ours;
    backend->add(s);
    until([&] { return s.writable; });
    // Fill the socket until the kernel refuses more.
    std::string chunk(65536, 'z');
    while (::write(p.ours, chunk.data(), chunk.size()) > 0) {
    }
    ASSERT_EQ(errno, EAGAIN);
    s.writable = false;
    int resumed = 0;
    Task<void> writer = await_writable(s, resumed);
    writer.start();
    turn(0);
    EXPECT_EQ(resumed, 0);
    drain(p.peer);
    until([&] { return resumed > 0; });
    EXPECT_EQ(resumed, 1);
    EXPECT_TRUE(s.writable);
    backend->remove(s);
}

TEST_P(BackendTest, ReportsHangupToCloserAndReader) {
    Pair p;
    FdState s;
    s.fd = p.ours;
    backend->add(s);
    turn(0);
    int closed = 0;
    int read = 0;
    Task<void> closer = await_hangup(s, closed);
    Task<void> reader = await_readable(s, read);
    closer.start();
    reader.start();
    p.close_peer();
    until([&] { return closed > 0 && read > 0; });
    EXPECT_TRUE(s.hangup);
    EXPECT_TRUE(s.readable) << "a hung-up fd reads (0 bytes)";
    EXPECT_EQ(closed, 1);
    EXPECT_EQ(read, 1);
    char c;
    EXPECT_EQ(::read(p.ours, &c, 1), 0);
    backend->remove(s);
}

TEST_P(BackendTest, ReportsHangupOnAPipe) {
    int fds[2];
    ASSERT_EQ(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
    FdState s;
    s.fd = fds[0];
    backend->add(s, Interest::read);
    turn(0);
    EXPECT_FALSE(s.hangup);
    ::close(fds[1]);
    until([&] { return s.hangup; });
    EXPECT_TRUE(s.hangup);
    EXPECT_TRUE(s.readable);
    backend->remove(s);
    ::close(fds[0]);
}

TEST_P(BackendTest, ModifyChangesWhatIsWatched) {
    Pair p;
    FdState s;
    s.fd = p.ours;
    backend->add(s, Interest::read);
    turn(0);
    turn(0);
    EXPECT_FALSE(s.writable) << "writability is not watched";
    backend->modify(s, Interest::read_write);
    until([&] { return s.writable; });
    EXPECT_TRUE(s.writable);
    backend->remove(s);
}

TEST_P(BackendTest, RemoveStopsReports) {
    Pair p;
    FdState s;
    s.fd = p.ours;
    backend->add(s);
    until([&] { return s.writable; });
    backend->remove(s);
    ASSERT_EQ(::write(p.peer, "x", 1), 1);
    Turn r = turn(50);
    EXPECT_EQ(r.events, 0);
    EXPECT_FALSE(s.readable);
}

TEST_P(BackendTest, ReleaseClosesTheFdAndStopsReports) {
    Pair p;
    FdState s;
    s.fd = p.ours;
    backend->add(s);
    until([&] { return s.writable; });
    backend->release(s);
    EXPECT_EQ(::fcntl(p.ours, F_GETFD), -1) << "the fd is closed";
    p.ours = -1;
    Turn r = turn(50);
    EXPECT_EQ(r.events, 0);
}

TEST_P(BackendTest, WaitTimesOutWhenNothingHappens) {
    auto start = std::chrono::steady_clock::now();
    Turn r = turn(60);
    auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(r.events, 0);
    EXPECT_FALSE(r.woken);
    EXPECT_GE(waited, 50ms);
    EXPECT_LT(waited, 2s);
}

TEST_P(BackendTest, WaitWithZeroTimeoutOnlyLooks) {
    auto start = std::chrono::steady_clock::now();
    Turn r = turn(0);
    EXPECT_EQ(r.events, 0);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 50ms);
}

TEST_P(BackendTest, WakeFromAnotherThreadEndsAnUnboundedWait) {
    std::atomic<bool> woke{false};
    std::thread waker([&] {
        std::this_thread::sleep_for(50ms);
        woke = true;
        backend->wake();
    });
    auto start = std::chrono::steady_clock::now();
    Turn r{0, false};
    // A signal may end a wait early with nothing; keep waiting until the wake-up arrives.
    for (int i = 0; i < 10 && !r.woken; ++i) r = turn(-1);
    auto waited = std::chrono::steady_clock::now() - start;
    waker.join();
    EXPECT_TRUE(r.woken);
    EXPECT_TRUE(woke.load());
    EXPECT_LT(waited, 5s);
}

TEST_P(BackendTest, WakeBeforeWaitIsKeptAndWakeUpsCoalesce) {
    for (int i = 0; i < 5; ++i) backend->wake();
    Turn r = turn(1000);
    EXPECT_TRUE(r.woken);
    EXPECT_EQ(r.events, 1) << "five wake-ups before a wait are one event";
    r = turn(0);
    EXPECT_FALSE(r.woken) << "the wake-up was consumed";
}

TEST_P(BackendTest, DeliversManyFdsInOneTurn) {
    constexpr std::size_t kPairs = 40;
    std::array<Pair, kPairs> pairs;
    std::array<FdState, kPairs> states;
    for (std::size_t i = 0; i < kPairs; ++i) {
        states[i].fd = pairs[i].ours;
        backend->add(states[i], Interest::read);
    }
    for (std::size_t i = 0; i < kPairs; ++i) ASSERT_EQ(::write(pairs[i].peer, "x", 1), 1);
    until([&] {
        for (std::size_t i = 0; i < kPairs; ++i) {
            if (!states[i].readable) return false;
        }
        return true;
    });
    for (std::size_t i = 0; i < kPairs; ++i) EXPECT_TRUE(states[i].readable) << i;
    for (std::size_t i = 0; i < kPairs; ++i) backend->remove(states[i]);
}

INSTANTIATE_TEST_SUITE_P(Backends, BackendTest,
                         ::testing::Values(BackendCase{"epoll", &make_epoll}),
                         [](const auto& info) { return info.param.name; });

}  // namespace

namespace {
Task<void> record(gannet::io::FdState& s, int which, std::vector<int>& order) {
    if (which == 0) co_await HangupWait{s};
    if (which == 1) co_await gannet::io::Readable{s};
    if (which == 2) co_await gannet::io::Writable{s};
    order.push_back(which);
}
}  // namespace

// What every backend's dispatch does with a report: set the flags, empty the slots, resume the
// closer, then the reader, then the writer.
TEST(Dispatch, SetsFlagsAndResumesCloserReaderWriterInOrder) {
    FdState s;
    std::vector<int> order;
    Task<void> w = record(s, 2, order);
    Task<void> r = record(s, 1, order);
    Task<void> c = record(s, 0, order);
    w.start();
    r.start();
    c.start();
    gannet::io::dispatch(s, gannet::io::kReadable);
    EXPECT_TRUE(s.readable);
    EXPECT_FALSE(s.writable);
    EXPECT_FALSE(s.hangup);
    EXPECT_EQ(order, std::vector<int>({1}));
    gannet::io::dispatch(s, gannet::io::kHangup | gannet::io::kWritable);
    EXPECT_TRUE(s.hangup);
    EXPECT_TRUE(s.writable);
    EXPECT_EQ(order, std::vector<int>({1, 0, 2}));
    EXPECT_FALSE(s.reader || s.writer || s.closer);
}
