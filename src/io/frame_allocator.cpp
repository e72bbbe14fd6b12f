// Coroutine frame allocation: per-thread free lists by size class, so that async handlers and
// connection coroutines reuse frames instead of calling malloc for each request.
//
// A frame freed on another thread than the one that allocated it (possible only when a frame is
// destroyed off its worker, which gannet never does on purpose) simply joins that thread's list:
// the blocks are plain malloc memory, so any thread may own them.
#include <gannet/log.hpp>
#include <gannet/task.hpp>

#include <array>
#include <cstdlib>
#include <exception>
#include <new>

namespace gannet::detail {

namespace {

constexpr std::size_t kGranule = 64;
constexpr std::size_t kClasses = 32;  // frames up to 2 KiB are pooled
constexpr std::size_t kMaxCached = 256;

struct FreeBlock {
    FreeBlock* next;
};

struct FrameCache {
    std::array<FreeBlock*, kClasses> heads{};
    std::array<std::size_t, kClasses> counts{};
    ~FrameCache() {
        for (auto* head : heads) {
            while (head) {
                FreeBlock* next = head->next;
                std::free(head);
                head = next;
            }
        }
    }
};

thread_local FrameCache t_cache;

std::size_t class_of(std::size_t size) noexcept {
    return (size + kGranule - 1) / kGranule - 1;
}

}  // namespace

void* frame_allocate(std::size_t size) {
    std::size_t c = class_of(size);
    if (c < kClasses) {
        if (FreeBlock* b = t_cache.heads[c]) {
            t_cache.heads[c] = b->next;
            --t_cache.counts[c];
            return b;
        }
        if (void* p = std::malloc((c + 1) * kGranule)) return p;
        throw std::bad_alloc();
    }
    if (void* p = std::malloc(size)) return p;
    throw std::bad_alloc();
}

void frame_deallocate(void* p, std::size_t size) noexcept {
    std::size_t c = class_of(size);
    if (c < kClasses && t_cache.counts[c] < kMaxCached) {
        auto* b = static_cast<FreeBlock*>(p);
        b->next = t_cache.heads[c];
        t_cache.heads[c] = b;
        ++t_cache.counts[c];
        return;
    }
    std::free(p);
}

void Detached::promise_type::unhandled_exception() const noexcept {
    try {
        throw;
    } catch (const std::exception& e) {
        GANNET_LOG(LogLevel::error, "uncaught exception in a detached task: %s", e.what());
    } catch (...) {
        log(LogLevel::error, "uncaught exception in a detached task");
    }
}

Detached run_detached(Task<void> task) {
    [[maybe_unused]] void* started_on = kAssertsEnabled ? current_worker() : nullptr;
    co_await std::move(task);
    GANNET_ASSERT(current_worker() == started_on,
                  "a spawned task finished on another thread than the worker it was spawned on");
}

}  // namespace gannet::detail
