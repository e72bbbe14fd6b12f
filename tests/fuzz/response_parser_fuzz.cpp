// The response-head parser fed whole and in random splits, as parser_fuzz.cpp does for the
// request parser: it must never crash, and feeding a growing prefix must end in the same verdict
// as parsing the whole input at once. When the head is complete, its body is run through the
// framing it declares (chunked through ChunkedDecoder), which must not crash either.
#include "http/parser.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace gannet::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    // The first byte picks the split step, the limits and whether the request was HEAD.
    const std::size_t step = 1 + data[0] % 17;
    const bool head_request = (data[0] & 0x40) != 0;
    ParserLimits limits;
    if (data[0] & 0x80) limits = ParserLimits{64, 256, 8};
    std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
    ResponseParser parser(limits);

    ResponseHead whole;
    ParseResult full = parser.parse(input, whole, head_request);

    ResponseHead part;
    ParseResult last;
    for (std::size_t n = step;; n += step) {
        if (n > input.size()) n = input.size();
        last = parser.parse(input.substr(0, n), part, head_request);
        if (last.status != ParseResult::Status::incomplete || n == input.size()) break;
    }
    if (full.status == ParseResult::Status::complete) {
        if (last.status != ParseResult::Status::complete || last.consumed != full.consumed ||
            part.status != whole.status || part.reason != whole.reason ||
            part.headers.size() != whole.headers.size() || part.framing != whole.framing ||
            part.content_length != whole.content_length || part.keep_alive != whole.keep_alive) {
            std::abort();
        }
        if (full.consumed > input.size()) std::abort();
        if (whole.status < 100 || whole.status > 999) std::abort();
        if (whole.framing == ResponseFraming::until_close && whole.keep_alive) std::abort();
        if (whole.framing == ResponseFraming::chunked) {
            ChunkedDecoder dec(1 << 20, 1024);
            std::string_view body = input.substr(full.consumed);
            for (;;) {
                ChunkedDecoder::Result r = dec.next(body);
                if (r.consumed > body.size()) std::abort();
                body.remove_prefix(r.consumed);
                if (r.status != ChunkedDecoder::Result::Status::data) break;
            }
        }
    }
    if (full.status == ParseResult::Status::error && last.status == ParseResult::Status::complete) {
        std::abort();
    }
    return 0;
}
