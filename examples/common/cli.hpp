// The examples' command lines. parse_cli() is the reference app's, shared with the integration
// test bed so both take the same flags: --port --threads --host --header-timeout --idle-timeout
// --body-timeout --write-timeout --shutdown-timeout --max-body --max-connections --files
// --access-log. parse_example_cli() is the small examples': --port and a few flags of their own.
// Both name what is wrong (a bad number, an unknown flag) instead of guessing.
#pragma once

#include <gannet/app.hpp>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <initializer_list>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

inline std::uint64_t cli_number(std::string_view flag, const char* value) {
    if (!value) throw std::invalid_argument(std::string(flag) + " needs a value");
    std::uint64_t out = 0;
    std::string_view v = value;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (v.empty() || ec != std::errc() || p != v.data() + v.size()) {
        throw std::invalid_argument(std::string(flag) + ": '" + value + "' is not a number");
    }
    return out;
}

/// --port's value: 0 (any free port) to 65535.
inline std::uint16_t cli_port(std::string_view flag, const char* value) {
    auto p = cli_number(flag, value);
    if (p > 65535) throw std::invalid_argument(std::string(flag) + ": " + value + " is not a port");
    return static_cast<std::uint16_t>(p);
}

struct CliOptions {
    gannet::Config config;
    bool access_log = false;
    std::string files;  // --files DIR: served at /files
};

inline CliOptions parse_cli(int argc, char** argv, std::string_view program) {
    CliOptions o;
    o.config.port = 8080;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
        auto ms = [&] { return std::chrono::milliseconds(cli_number(a, v)); };
        if (a == "--port") {
            o.config.port = cli_port(a, v);
        } else if (a == "--threads") {
            o.config.threads = static_cast<unsigned>(cli_number(a, v));
        } else if (a == "--host") {
            if (!v) throw std::invalid_argument("--host needs a value");
            o.config.host = v;
        } else if (a == "--header-timeout") {
            o.config.header_timeout = ms();
        } else if (a == "--idle-timeout") {
            o.config.idle_timeout = ms();
        } else if (a == "--body-timeout") {
            o.config.body_timeout = ms();
        } else if (a == "--write-timeout") {
            o.config.write_timeout = ms();
        } else if (a == "--shutdown-timeout") {
            o.config.shutdown_timeout = ms();
        } else if (a == "--max-body") {
            o.config.max_body = cli_number(a, v);
        } else if (a == "--max-connections") {
            o.config.max_connections = cli_number(a, v);
        } else if (a == "--files") {
            if (!v) throw std::invalid_argument("--files needs a directory");
            o.files = v;
        } else if (a == "--access-log") {
            o.access_log = true;
            continue;
        } else if (a == "--help" || a == "-h") {
            std::printf(
                "usage: %.*s [--port N] [--threads N] [--host ADDR] [--header-timeout MS]\n"
                "       [--idle-timeout MS] [--body-timeout MS] [--write-timeout MS]\n"
                "       [--shutdown-timeout MS] [--max-body BYTES] [--max-connections N]\n"
                "       [--files DIR] [--access-log]\n",
                static_cast<int>(program.size()), program.data());
            std::exit(0);
        } else {
            throw std::invalid_argument("unknown option '" + std::string(a) + "' (try --help)");
        }
        ++i;
    }
    return o;
}

/// A small example's command line: `--port N` (default 8080) and the flags in `with_value`,
/// each taking one value (kept in `values`).
struct ExampleCli {
    std::uint16_t port = 8080;
    std::map<std::string, std::string, std::less<>> values;

    std::string value_or(std::string_view flag, std::string fallback) const {
        auto it = values.find(flag);
        return it == values.end() ? std::move(fallback) : it->second;
    }
};

inline ExampleCli parse_example_cli(int argc, char** argv, std::string_view usage,
                                    std::initializer_list<std::string_view> with_value = {}) {
    ExampleCli o;
    for (int i = 1; i < argc; i += 2) {  // every flag takes a value
        std::string_view a = argv[i];
        const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
        if (a == "--help" || a == "-h") {
            std::printf("usage: %.*s\n", static_cast<int>(usage.size()), usage.data());
            std::exit(0);
        }
        if (a == "--port") {
            o.port = cli_port(a, v);
            continue;
        }
        bool known = false;
        for (std::string_view flag : with_value) known = known || a == flag;
        if (!known) {
            throw std::invalid_argument("unknown option '" + std::string(a) + "' (try --help)");
        }
        if (!v) throw std::invalid_argument(std::string(a) + " needs a value");
        o.values[std::string(a)] = v;
    }
    return o;
}

/// Listens, prints the line tests and tools wait for
/// (`gannet: listening on http://127.0.0.1:PORT (N workers)`), serves until SIGINT/SIGTERM,
/// and returns run()'s exit code.
inline int listen_announce_run(gannet::App& app, const gannet::Config& config) {
    app.listen(config);
    std::printf("gannet: listening on http://%s:%u (%u workers)\n",
                config.host == "0.0.0.0" ? "127.0.0.1" : config.host.c_str(), app.port(),
                app.threads());
    std::fflush(stdout);
    int rc = app.run();
    std::printf("gannet: stopped\n");
    return rc;
}
