// Incremental UTF-8 validation (RFC 3629) for WebSocket text messages and close reasons.
//
// RFC 6455 section 8.1 lets an endpoint fail the connection as soon as the bytes received so far
// can no longer be the prefix of valid UTF-8, and Autobahn (cases 6.x) checks that servers do
// so "fail fast". The validator is a DFA over byte classes, so it reports an error on the first
// byte that cannot continue a valid sequence: overlong forms (C0, C1, E0 80..9F, F0 80..8F),
// UTF-16 surrogates (ED A0..BF) and code points above U+10FFFF (F4 90.., F5..FF) are all
// rejected at their first impossible byte.
#pragma once

#include <cstdint>
#include <string_view>

namespace gannet::ws {

/// Validates UTF-8 fed in arbitrary fragments (a message split across frames, a frame split
/// across reads). A code point may straddle fragments.
class Utf8Validator {
  public:
    /// Validates `bytes` as the continuation of what came before. Returns false as soon as the
    /// input cannot be part of valid UTF-8; the failure is sticky until reset().
    bool feed(std::string_view bytes) noexcept;

    /// True when everything fed so far is valid and ends on a code-point boundary, i.e. the
    /// message may end here. Does not change the state.
    bool finish() const noexcept { return state_ == 0; }

    /// True once feed() has returned false.
    bool failed() const noexcept;

    /// Forgets all input, for the next message.
    void reset() noexcept { state_ = 0; }

  private:
    std::uint8_t state_ = 0;  // 0 is "on a boundary"; see utf8.cpp for the others
};

/// True when `bytes` is complete, valid UTF-8.
bool is_valid_utf8(std::string_view bytes) noexcept;

}  // namespace gannet::ws
