#include "net/resolver_config.hpp"

#include "net/address.hpp"

#include <atomic>
#include <charconv>
#include <cstdlib>
#include <mutex>
#include <stdexcept>

namespace gannet::net {

namespace {

std::mutex g_mutex;
ResolverOptions g_options;  // guarded by g_mutex
std::atomic<std::uint64_t> g_generation{1};

std::string csv_of(const std::vector<std::string>& servers) {
    std::string csv;
    for (const std::string& s : servers) {
        if (!csv.empty()) csv += ',';
        csv += normalize_server(s);
    }
    return csv;
}

}  // namespace

std::string normalize_server(std::string_view server) {
    auto bad = [&](const char* why) {
        return std::invalid_argument("gannet: DNS server \"" + std::string(server) + "\": " + why);
    };
    std::string_view host = server;
    std::uint16_t port = 53;
    // "[v6]:port", "v4:port"; a bare IPv6 address has several colons and no port.
    std::size_t colon = std::string_view::npos;
    if (!server.empty() && server.front() == '[') {
        std::size_t close = server.find(']');
        if (close == std::string_view::npos) throw bad("no closing ']'");
        host = server.substr(0, close + 1);
        if (close + 1 < server.size()) {
            if (server[close + 1] != ':') throw bad("expected ':' and a port after ']'");
            colon = close + 1;
        }
    } else if (server.find(':') == server.rfind(':')) {
        colon = server.find(':');
        if (colon != std::string_view::npos) host = server.substr(0, colon);
    }
    if (colon != std::string_view::npos) {
        std::string_view digits = server.substr(colon + 1);
        unsigned value = 0;
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (ec != std::errc() || end != digits.data() + digits.size() || value == 0 ||
            value > 65535) {
            throw bad("the port must be a number from 1 to 65535");
        }
        port = static_cast<std::uint16_t>(value);
    }
    auto addr = parse_numeric(host, port);
    if (!addr) throw bad("not an IPv4 or IPv6 address (with an optional :port)");
    return to_string(*addr);
}

void set_resolver_options(ResolverOptions options) {
    (void)csv_of(options.servers);  // throws on a bad server, before anything changes
    if (options.tries < 1) options.tries = 1;
    if (options.query_timeout.count() < 1) options.query_timeout = std::chrono::milliseconds(1);
    std::lock_guard lock(g_mutex);
    g_options = std::move(options);
    g_generation.fetch_add(1, std::memory_order_release);
}

ResolverOptions resolver_options() {
    std::lock_guard lock(g_mutex);
    return g_options;
}

std::uint64_t resolver_generation() noexcept {
    return g_generation.load(std::memory_order_acquire);
}

ResolverConfig resolver_config() {
    ResolverConfig c;
    {
        std::lock_guard lock(g_mutex);
        c.options = g_options;
        c.generation = g_generation.load(std::memory_order_relaxed);
    }
    c.servers_csv = csv_of(c.options.servers);
    if (c.options.servers.empty()) {
        // Read once per worker and options change, on the worker's first lookup.
        if (const char* env = std::getenv("GANNET_DNS_SERVERS"); env != nullptr && *env != '\0') {
            std::vector<std::string> servers;
            std::string_view rest = env;
            while (!rest.empty()) {
                std::size_t comma = rest.find(',');
                std::string_view one = rest.substr(0, comma);
                while (!one.empty() && one.front() == ' ') one.remove_prefix(1);
                while (!one.empty() && one.back() == ' ') one.remove_suffix(1);
                if (!one.empty()) servers.emplace_back(one);
                rest =
                    comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
            }
            try {
                c.servers_csv = csv_of(servers);
            } catch (const std::invalid_argument& e) {
                c.error = std::string("GANNET_DNS_SERVERS: ") + e.what();
            }
        }
    }
    return c;
}

}  // namespace gannet::net
