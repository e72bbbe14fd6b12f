#include "io/timer_wheel.hpp"

#include <gtest/gtest.h>

#include <vector>

using gannet::detail::TimerNode;
using gannet::io::TimerWheel;

namespace {

struct Probe : TimerNode {
    explicit Probe(std::vector<int>* log, int id) : TimerNode(&Probe::fire_cb), log(log), id(id) {}
    static void fire_cb(TimerNode* n) {
        auto* p = static_cast<Probe*>(n);
        p->log->push_back(p->id);
    }
    std::vector<int>* log;
    int id;
};

}  // namespace

TEST(TimerWheel, FiresInDeadlineOrderAcrossTicks) {
    TimerWheel w;
    std::vector<int> log;
    Probe a(&log, 1), b(&log, 2), c(&log, 3);
    w.schedule(c, 1000, 300);
    w.schedule(a, 1000, 10);
    w.schedule(b, 1000, 100);
    EXPECT_EQ(w.size(), 3u);
    w.advance(1005);
    EXPECT_TRUE(log.empty());
    w.advance(1020);
    EXPECT_EQ(log, std::vector<int>({1}));
    w.advance(1200);
    EXPECT_EQ(log, std::vector<int>({1, 2}));
    w.advance(1400);
    EXPECT_EQ(log, std::vector<int>({1, 2, 3}));
    EXPECT_EQ(w.size(), 0u);
}

TEST(TimerWheel, CancelAndRearm) {
    TimerWheel w;
    std::vector<int> log;
    Probe a(&log, 1);
    w.schedule(a, 0, 50);
    TimerWheel::cancel(a);
    EXPECT_FALSE(a.armed());
    w.advance(100);
    EXPECT_TRUE(log.empty());
    w.schedule(a, 100, 50);
    w.schedule(a, 100, 500);  // re-arm moves it
    w.advance(200);
    EXPECT_TRUE(log.empty());
    w.advance(700);
    EXPECT_EQ(log, std::vector<int>({1}));
}

TEST(TimerWheel, LongTimeoutsSurviveManyRevolutions) {
    TimerWheel w;
    std::vector<int> log;
    Probe a(&log, 1);
    // 60 s is several revolutions of the wheel: it must fire once, at the right time.
    w.schedule(a, 0, 60'000);
    for (std::uint64_t t = 0; t < 59'990; t += 7) w.advance(t);
    EXPECT_TRUE(log.empty());
    w.advance(60'010);
    EXPECT_EQ(log, std::vector<int>({1}));
}

TEST(TimerWheel, LateAdvanceFiresEverythingDue) {
    TimerWheel w;
    std::vector<int> log;
    std::vector<std::unique_ptr<Probe>> probes;
    for (int i = 0; i < 100; ++i) {
        probes.push_back(std::make_unique<Probe>(&log, i));
        w.schedule(*probes.back(), 0, static_cast<std::uint64_t>(i) * 37);
    }
    w.advance(100'000);  // one call after a long stall
    EXPECT_EQ(log.size(), 100u);
}

TEST(TimerWheel, CallbackMayRearmItself) {
    TimerWheel w;
    int fired = 0;
    struct Self : TimerNode {
        TimerWheel* w;
        int* fired;
        std::uint64_t now = 0;
        Self(TimerWheel* w, int* f) : TimerNode(&Self::cb), w(w), fired(f) {}
        static void cb(TimerNode* n) {
            auto* s = static_cast<Self*>(n);
            if (++*s->fired < 3) s->w->schedule(*s, s->now, 10);
        }
    } s(&w, &fired);
    w.schedule(s, 0, 10);
    for (std::uint64_t t = 0; t <= 200; t += 8) {
        s.now = t;
        w.advance(t);
    }
    EXPECT_EQ(fired, 3);
}

TEST(TimerWheel, DestroyedNodeUnlinksItself) {
    TimerWheel w;
    std::vector<int> log;
    {
        Probe a(&log, 1);
        w.schedule(a, 0, 10);
    }
    EXPECT_EQ(w.size(), 0u);
    w.advance(100);
    EXPECT_TRUE(log.empty());
}
