#include <gannet/cancel.hpp>
#include <gannet/task.hpp>

#include <gtest/gtest.h>

#include <coroutine>

namespace {

using gannet::Task;
using gannet::detail::CancelHook;
using gannet::detail::CancelScope;

// A leaf awaitable that parks in the awaiting task's scope until that scope is cancelled.
struct Park {
    struct Hook : CancelHook {
        std::coroutine_handle<> h;
        Hook()
            : CancelHook(+[](CancelHook* self) noexcept { static_cast<Hook*>(self)->h.resume(); }) {
        }
    } hook;
    CancelScope* seen = nullptr;
    bool await_ready() const noexcept { return false; }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) noexcept {
        seen = gannet::detail::scope_of(h);
        if (seen == nullptr || seen->cancelled()) return false;
        hook.h = h;
        seen->link(hook);
        return true;
    }
    bool await_resume() const noexcept { return seen != nullptr && seen->cancelled(); }
};

Task<bool> leaf() {
    co_return co_await Park{};
}
Task<bool> middle() {
    co_return co_await leaf();
}

TEST(CancelScope, ReachesANestedAwaitThroughTheTaskChain) {
    CancelScope scope;
    bool result = false;
    bool done = false;
    // A named lambda: a coroutine lambda's captures live in the lambda object, not the frame.
    auto body = [&]() -> Task<void> {
        result = co_await middle();
        done = true;
    };
    auto outer = body();
    outer.bind_cancel_scope(&scope);
    outer.start();
    EXPECT_FALSE(done);
    scope.cancel();
    EXPECT_TRUE(done);
    EXPECT_TRUE(result);
}

TEST(CancelScope, AChildIsCancelledWithItsParentNotTheOtherWay) {
    CancelScope parent;
    {
        CancelScope child(&parent);
        child.cancel();
        EXPECT_TRUE(child.cancelled());
        EXPECT_FALSE(parent.cancelled());
    }
    CancelScope child(&parent);
    parent.cancel();
    EXPECT_TRUE(child.cancelled());
    CancelScope late(&parent);
    EXPECT_TRUE(late.cancelled());
}

TEST(CancelScope, ATaskWithoutAScopeIsNotCancellable) {
    bool result = true;
    auto body = [&]() -> Task<void> { result = co_await leaf(); };
    auto t = body();
    t.start();  // no scope: the leaf does not suspend
    EXPECT_TRUE(t.done());
    EXPECT_FALSE(result);
}

}  // namespace
