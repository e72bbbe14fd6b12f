// Cancellation that follows the await chain (docs/architecture.md, "Cancellation").
//
// Every Task carries a pointer to a CancelScope. A task awaited by another inherits its
// awaiter's scope unless it was given one of its own, so a scope set on a request's handler
// reaches every task the handler awaits, however deep. The awaitables that suspend on something
// outside the coroutine (a stream's readiness, a timer, a descriptor, a free connection in a
// pool) link a CancelHook into the scope while they are suspended; cancel() fires the hooks,
// and each resumes its coroutine at once with a "cancelled" result, which the operation above
// it turns into a gannet::Cancelled exception (or its own error naming the cause). Cleanup then
// runs as ordinary unwinding: destructors, catch blocks and `co_await`s in them all work.
//
// Scopes nest: a scope made with a parent is cancelled when the parent is (with_timeout and
// when_any cancel a child scope without touching their caller's).
//
// Everything here runs on one worker; nothing is atomic.
#pragma once

#include <gannet/detail/assert.hpp>

#include <coroutine>
#include <exception>
#include <type_traits>

namespace gannet {

/// Thrown by an operation whose surrounding work was cancelled: the client of the request went
/// away, the server's drain deadline passed, a with_timeout expired (which turns it into
/// TimeoutError) or a sibling of when_any finished first.
class Cancelled : public std::exception {
  public:
    const char* what() const noexcept override { return "operation cancelled"; }
};

namespace detail {

class CancelScope;

/// An intrusive node an awaitable links into a scope while it is suspended. `fire` runs once,
/// on the worker, after the hook has been unlinked; it must not throw.
struct CancelHook {
    void (*fire)(CancelHook*) noexcept = nullptr;
    CancelHook* prev = nullptr;
    CancelHook* next = nullptr;
    CancelScope* scope = nullptr;  ///< the scope it is linked into; null when not linked

    CancelHook() = default;
    explicit CancelHook(void (*f)(CancelHook*) noexcept) noexcept : fire(f) {}
    CancelHook(const CancelHook&) = delete;
    CancelHook& operator=(const CancelHook&) = delete;
    ~CancelHook() { unlink(); }

    bool linked() const noexcept { return scope != nullptr; }
    inline void unlink() noexcept;
};

/// A set of suspended operations that can be cancelled together.
class CancelScope {
  public:
    CancelScope() noexcept = default;
    /// A scope that is cancelled when `parent` is (and at once if it already is).
    explicit CancelScope(CancelScope* parent) noexcept {
        if (parent != nullptr) {
            if (parent->cancelled()) {
                cancelled_ = true;
            } else {
                parent->link(parent_link_);
            }
        }
    }
    CancelScope(const CancelScope&) = delete;
    CancelScope& operator=(const CancelScope&) = delete;
    ~CancelScope() {
        // Every operation linked here must have resumed (and unlinked) before its scope ends.
        GANNET_ASSERT(head_ == nullptr, "a CancelScope ends while an operation still waits in it");
        while (head_ != nullptr) head_->unlink();
    }

    bool cancelled() const noexcept { return cancelled_; }

    /// Cancels every operation suspended in this scope and in its children, now and later:
    /// an operation that suspends in a cancelled scope resumes at once, cancelled.
    void cancel() noexcept {
        if (cancelled_) return;
        cancelled_ = true;
        // Each fired hook resumes a coroutine, which may link or unlink other hooks: take the
        // first one each time instead of walking a list that changes underneath.
        while (CancelHook* h = head_) {
            h->unlink();
            h->fire(h);
        }
    }

    /// Links `h`; harmless to call with a hook that is linked here already.
    void link(CancelHook& h) noexcept {
        GANNET_ASSERT(h.scope == nullptr || h.scope == this, "a CancelHook in two scopes");
        if (h.scope == this) return;
        h.scope = this;
        h.prev = nullptr;
        h.next = head_;
        if (head_ != nullptr) head_->prev = &h;
        head_ = &h;
    }

  private:
    friend struct CancelHook;
    // Linked into the parent scope, if any: cancels this one when the parent is cancelled.
    struct ParentLink : CancelHook {
        CancelScope* self;
        explicit ParentLink(CancelScope* s) noexcept
            : CancelHook(
                  +[](CancelHook* h) noexcept { static_cast<ParentLink*>(h)->self->cancel(); }),
              self(s) {}
    };

    CancelHook* head_ = nullptr;
    ParentLink parent_link_{this};
    bool cancelled_ = false;
};

inline void CancelHook::unlink() noexcept {
    if (scope == nullptr) return;
    if (prev != nullptr) {
        prev->next = next;
    } else {
        scope->head_ = next;
    }
    if (next != nullptr) next->prev = prev;
    prev = next = nullptr;
    scope = nullptr;
}

/// The scope a coroutine runs in: its promise's, when it is a gannet::Task (or anything whose
/// promise has a `cancel_scope` member); null otherwise (a spawned coroutine, a foreign one).
template <class P>
CancelScope* scope_of(std::coroutine_handle<P> h) noexcept {
    if constexpr (requires { h.promise().cancel_scope; }) {
        return h.promise().cancel_scope;
    } else {
        return nullptr;
    }
}

}  // namespace detail
}  // namespace gannet
