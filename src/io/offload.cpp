// The blocking pool behind gannet::offload(): a few threads that run jobs and hand the waiting
// coroutine back to its worker's mailbox, so it resumes on the worker it came from.
#include <gannet/runtime.hpp>

#include "io/worker.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace gannet::detail {

namespace {

class BlockingPool {
  public:
    explicit BlockingPool(unsigned threads) {
        for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { loop(); });
    }
    ~BlockingPool() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        cv_.notify_all();
        for (auto& t : threads_) t.join();
    }
    void submit(OffloadJob& job) {
        {
            std::lock_guard lock(mutex_);
            queue_.push_back(&job);
        }
        cv_.notify_one();
    }

  private:
    void loop() {
        for (;;) {
            OffloadJob* job = nullptr;
            {
                std::unique_lock lock(mutex_);
                cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
                if (queue_.empty()) return;
                job = queue_.front();
                queue_.pop_front();
            }
            job->run();
            auto* worker = static_cast<io::Worker*>(job->worker);
            worker->post([h = job->waiter] { h.resume(); });
        }
    }

    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<OffloadJob*> queue_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

BlockingPool& pool() {
    static BlockingPool p(4);
    return p;
}

}  // namespace

void offload_submit(OffloadJob& job) {
    io::Worker* w = io::Worker::current();
    if (!w) throw std::logic_error("gannet::offload must be awaited on a worker thread");
    job.worker = w;
    pool().submit(job);
}

}  // namespace gannet::detail
