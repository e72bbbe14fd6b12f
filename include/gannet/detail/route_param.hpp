// A matched route parameter (shared by the router and Request).
#pragma once

#include <string_view>

namespace gannet::detail {

/// `name` points into the router's storage (valid while the router lives), `value` into the
/// path that was matched (raw, still percent-encoded).
struct RouteParam {
    std::string_view name;
    std::string_view value;
};

}  // namespace gannet::detail
