// The request-head parser fed whole and in random splits: it must never crash, and feeding a
// growing prefix must end in the same verdict as parsing the whole input at once.
#include "http/parser.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace gannet::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    // The first byte picks the split step and the limits, so the fuzzer explores both.
    const std::size_t step = 1 + data[0] % 17;
    ParserLimits limits;
    if (data[0] & 0x80) limits = ParserLimits{64, 256, 8};
    std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
    RequestParser parser(limits);

    RequestHead whole;
    ParseResult full = parser.parse(input, whole);

    RequestHead part;
    ParseResult last;
    for (std::size_t n = step;; n += step) {
        if (n > input.size()) n = input.size();
        last = parser.parse(input.substr(0, n), part);
        if (last.status != ParseResult::Status::incomplete || n == input.size()) break;
    }
    if (full.status == ParseResult::Status::complete) {
        // The split run must have completed too, at the same place, with the same head.
        if (last.status != ParseResult::Status::complete || last.consumed != full.consumed ||
            part.method != whole.method || part.target != whole.target ||
            part.headers.size() != whole.headers.size() ||
            part.content_length != whole.content_length || part.body_kind != whole.body_kind) {
            std::abort();
        }
        if (full.consumed > input.size()) std::abort();
    }
    if (full.status == ParseResult::Status::error && last.status == ParseResult::Status::complete) {
        std::abort();  // an error on the whole input can never have been a complete head before
    }
    return 0;
}
