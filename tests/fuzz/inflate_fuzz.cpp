// permessage-deflate inflation with a small bound: corrupt or explosive input must end in
// too_big or error, never in a crash or output beyond the bound.
#include "ws/deflate.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace gannet::ws;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const int bits = 8 + data[0] % 8;
    const bool nct = data[1] & 1;
    constexpr std::uint64_t kBound = 64 * 1024;
    Inflater inflater(bits, nct, kBound);
    std::string_view in(reinterpret_cast<const char*>(data + 2), size - 2);
    // Three messages split at input-derived points.
    std::size_t a = in.size() / 3, b = 2 * in.size() / 3;
    std::string_view parts[3] = {in.substr(0, a), in.substr(a, b - a), in.substr(b)};
    for (auto part : parts) {
        std::string out;
        std::size_t half = part.size() / 2;
        auto s = inflater.inflate(part.substr(0, half), false, out);
        if (s == Inflater::Status::ok) s = inflater.inflate(part.substr(half), true, out);
        if (out.size() > kBound) std::abort();
        if (s != Inflater::Status::ok) inflater.reset();
    }
    return 0;
}
