// Router implementation: one byte-level radix tree per method (docs/routing.md).
//
// Shape of a tree. A node is entered by consuming something from the path: the bytes of its
// static prefix (static nodes, which may span several segments and may end mid-segment, because
// siblings are split at their longest common prefix), one whole non-empty segment (parameter
// nodes), or the rest of the path (the wildcard node). Parameter and wildcard children only hang
// off nodes whose accumulated path ends in '/', which keeps parameters aligned to segments.
//
// Matching is a depth-first search that tries, at each node, the one static child whose first
// byte fits, then the parameter children in priority order (int, regexes by source text, plain),
// then the wildcard; a failed subtree falls through to the next alternative. Parameter values
// go into a fixed buffer indexed by parameter position, so backtracking needs no cleanup. Because
// static bytes are tried before any parameter at the same position, this order is exactly "static >
// typed/regex > plain > wildcard" per segment, with backtracking.
//
// Two patterns of the same shape (same static bytes, same parameter kinds and constraints in the
// same places) end on the same node, so a conflict is simply "that node already has a route".
// Parameter names are per route, not per node, so they live in the Route (stable storage) and are
// attached to the matched values once the search has succeeded.
#include "app/router.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
// GCC 12 reports a false -Wmaybe-uninitialized inside libstdc++'s regex compiler at -O1 with
// sanitizers (GCC bug 105562); the pragma is location-based, so it only covers <regex> itself.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#pragma GCC diagnostic pop
#else
#include <regex>
#endif
#include <utility>

namespace gannet::detail {

namespace {

// libstdc++'s std::regex matcher recurses once or more per input byte and overflows the stack on
// inputs of a few tens of kilobytes; a segment longer than this never satisfies a regex
// constraint. Real segments (ids, slugs, tokens) are far shorter.
constexpr std::size_t kMaxRegexInput = 1024;

// Parameters per pattern: lets the search keep parameter values in a fixed buffer on the stack.
constexpr std::size_t kMaxParams = 32;

// Longest regex constraint accepted at registration (see the note where patterns compile).
constexpr std::size_t kMaxRegexLength = 256;

// Why a regex constraint is refused at registration, or "" when it is accepted. std::regex
// backtracks: found by fuzzing, a nested repetition ("(a+)*", "a**") or a repeated alternation
// ("(a|ab)*") takes exponential time on a short path, so a request could hold a worker for
// minutes. A constraint matches one path segment; it needs neither. Also refused: backreferences
// and {n,m} bounds over 4 digits (libstdc++'s integer parser overflows on them, also found by
// fuzzing).
std::string refuse_regex(std::string_view rx) {
    // Per open group: it holds a quantifier, it holds an alternation.
    struct Group {
        bool quantified = false;
        bool alternation = false;
    };
    std::vector<Group> open{Group{}};
    Group last_group{};             // the group just closed, when the last atom is one
    bool after_group = false;       // the last atom is a group
    bool after_quantifier = false;  // the last token is a quantifier
    bool lazy_taken = false;        // that quantifier already has its lazy '?'
    for (std::size_t k = 0; k < rx.size(); ++k) {
        const char c = rx[k];
        bool quantifier = c == '*' || c == '+' || c == '?';
        bool bounded = false;  // {n} or {n,m}
        if (c == '{') {
            std::size_t digits = 0;
            std::size_t j = k + 1;
            bool comma = false;
            for (; j < rx.size() && ((rx[j] >= '0' && rx[j] <= '9') || rx[j] == ','); ++j) {
                if (rx[j] == ',') {
                    comma = true;
                    digits = 0;
                } else if (++digits > 4) {
                    return "a repetition bound over 9999";
                }
            }
            if (j < rx.size() && rx[j] == '}' && j > k + 1) {
                quantifier = true;
                bounded = !comma;
                k = j;
            }
        }
        if (quantifier) {
            if (c == '?' && after_quantifier && !lazy_taken) {
                lazy_taken = true;  // "*?": the lazy form of the quantifier before it
                continue;
            }
            if (after_quantifier) return "a quantifier right after a quantifier";
            const bool repeats = c != '?' && !bounded;
            if (after_group && repeats && (last_group.quantified || last_group.alternation)) {
                return "a repeated group that holds a quantifier or an alternation (it backtracks "
                       "exponentially)";
            }
            open.back().quantified = true;
            after_quantifier = true;
            lazy_taken = false;
            after_group = false;
            continue;
        }
        after_quantifier = false;
        after_group = false;
        if (c == '\\') {
            if (k + 1 < rx.size() && rx[k + 1] >= '1' && rx[k + 1] <= '9') {
                return "a backreference";
            }
            ++k;  // the escaped character is one atom
        } else if (c == '[') {
            // A class is one atom: skip to its closing ']' (a ']' first in the class is literal).
            std::size_t j = k + 1;
            if (j < rx.size() && rx[j] == '^') ++j;
            if (j < rx.size() && rx[j] == ']') ++j;
            for (; j < rx.size() && rx[j] != ']'; ++j) {
                if (rx[j] == '\\') ++j;
            }
            k = j;
        } else if (c == '(') {
            open.push_back(Group{});
            if (k + 2 < rx.size() && rx[k + 1] == '?') k += 2;  // (?: (?= (?!
        } else if (c == ')') {
            if (open.size() > 1) {
                last_group = open.back();
                open.pop_back();
                open.back().quantified |= last_group.quantified;
                open.back().alternation |= last_group.alternation;
                after_group = true;
            }
        } else if (c == '|') {
            open.back().alternation = true;
        }
    }
    return {};
}

enum class NodeKind : std::uint8_t { static_text, int_param, regex_param, plain_param, wildcard };

// Lower sorts first among the parameter children of one node.
constexpr int param_rank(NodeKind kind) noexcept {
    switch (kind) {
        case NodeKind::int_param:
            return 0;
        case NodeKind::regex_param:
            return 1;
        default:
            return 2;
    }
}

struct Route {
    std::string method;
    std::string pattern;
    std::uint32_t id = 0;
    // In path order; RouteParam::name views point here, so a Route must never move (it lives in
    // a std::deque that is only appended to).
    std::vector<std::string> names;
};

struct Node {
    NodeKind kind = NodeKind::static_text;
    // Static nodes: the bytes to consume. Regex nodes: the regex source, which is the node's
    // identity for conflict detection and the tie-break between sibling regexes.
    std::string text;
    std::unique_ptr<std::regex> regex;

    // indices[i] is the first byte of static_children[i]'s text; siblings never share it.
    std::string indices;
    std::vector<std::unique_ptr<Node>> static_children;
    std::vector<std::unique_ptr<Node>> param_children;  // sorted by (param_rank, text)
    std::unique_ptr<Node> wildcard_child;

    const Route* route = nullptr;
    // A route ending in "/{*name}" whose part before that '/' ends at this node: "/assets/{*p}"
    // also matches "/assets" with an empty value. Checked after `route`, so an explicit
    // "/assets" route wins.
    const Route* bare_wildcard = nullptr;
};

struct MethodTree {
    std::string method;
    std::unique_ptr<Node> root;  // a static node with empty text
};

// One piece of a parsed pattern: a run of static bytes (separators included) or a parameter.
struct Piece {
    NodeKind kind = NodeKind::static_text;
    std::string text;  // static bytes, or the regex source
    std::unique_ptr<std::regex> regex;
};

struct ParsedPattern {
    std::vector<Piece> pieces;
    std::vector<std::string> names;
};

// Error messages end up in logs and what() stops at a NUL, so unprintable bytes are escaped.
std::string printable(std::string_view s) {
    std::string out;
    for (const char c : s) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && byte < 0x7f) {
            out += c;
        } else {
            constexpr char kHex[] = "0123456789abcdef";
            out.append("\\x").append(1, kHex[byte >> 4]).append(1, kHex[byte & 0xf]);
        }
    }
    return out;
}

[[noreturn]] void throw_malformed(std::string_view method, std::string_view pattern,
                                  std::string_view what) {
    std::string msg = "invalid route pattern ";
    msg.append(printable(method)).append(" \"").append(printable(pattern)).append("\": ");
    msg.append(what);
    throw RouteError(msg);
}

bool is_identifier(std::string_view s) noexcept {
    if (s.empty()) return false;
    const auto alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); };
    if (!alpha(s[0]) && s[0] != '_') return false;
    return std::all_of(s.begin() + 1, s.end(),
                       [&](char c) { return alpha(c) || (c >= '0' && c <= '9') || c == '_'; });
}

// RFC 9110 tchar without lowercase letters: methods are case-sensitive and every registered
// method in practice is uppercase, so "get" is far more likely a typo than a real method.
bool is_method_token(std::string_view s) noexcept {
    if (s.empty()) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               (c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr);
    });
}

// Index one past the '}' closing the '{' at `open`, or npos. Braces nest (regex quantifiers such
// as "[0-9]{3}"); a backslash escapes the next byte and braces inside [...] do not count.
std::size_t find_param_end(std::string_view p, std::size_t open) noexcept {
    int depth = 0;
    bool in_class = false;
    for (std::size_t i = open; i < p.size(); ++i) {
        const char c = p[i];
        if (c == '\\') {
            ++i;
        } else if (in_class) {
            if (c == ']') in_class = false;
        } else if (c == '[') {
            in_class = true;
        } else if (c == '{') {
            ++depth;
        } else if (c == '}') {
            if (--depth == 0) return i + 1;
        }
    }
    return std::string_view::npos;
}

ParsedPattern parse_pattern(std::string_view method, std::string_view pattern) {
    const auto fail = [&](std::string_view what) { throw_malformed(method, pattern, what); };
    if (pattern.empty()) fail("empty pattern");
    if (pattern[0] != '/') fail("must start with '/'");

    ParsedPattern out;
    std::string run;  // static bytes not yet emitted as a piece
    const auto flush_run = [&] {
        if (!run.empty()) out.pieces.push_back(Piece{NodeKind::static_text, std::move(run), {}});
        run.clear();
    };

    std::size_t pos = 0;
    while (pos < pattern.size()) {
        // Invariant: pattern[pos] == '/', the start of a segment.
        run += '/';
        ++pos;
        if (pos == pattern.size()) break;  // a trailing slash: significant, kept as static text
        if (pattern[pos] == '/') fail("empty segment (\"//\")");

        if (pattern[pos] != '{') {
            const std::size_t end = std::min(pattern.find('/', pos), pattern.size());
            const std::string_view seg = pattern.substr(pos, end - pos);
            const std::size_t open = seg.find('{');
            const std::size_t close = seg.find('}');
            if (open != std::string_view::npos) {
                fail(close != std::string_view::npos && close > open
                         ? "a parameter must be a whole segment"
                         : "unbalanced braces: '{' without '}'");
            }
            if (close != std::string_view::npos) fail("unbalanced braces: '}' without '{'");
            for (const char c : seg) {
                if (c == '?' || c == '#') fail("'?' and '#' cannot appear in a path");
                if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
                    fail("control characters and spaces cannot appear in a path");
            }
            run.append(seg);
            pos = end;
            continue;
        }

        const std::size_t end = find_param_end(pattern, pos);
        if (end == std::string_view::npos) fail("unbalanced braces: '{' without '}'");
        if (end < pattern.size() && pattern[end] != '/') {
            fail(pattern[end] == '}' ? "unbalanced braces: '}' without '{'"
                                     : "a parameter must be a whole segment");
        }
        const std::string_view body = pattern.substr(pos + 1, end - pos - 2);
        Piece piece;
        std::string_view name;
        if (!body.empty() && body[0] == '*') {
            name = body.substr(1);
            if (name.find(':') != std::string_view::npos)
                fail("a wildcard parameter takes no constraint");
            if (end != pattern.size()) fail("a wildcard parameter must be the last segment");
            piece.kind = NodeKind::wildcard;
        } else {
            const std::size_t colon = body.find(':');
            name = body.substr(0, colon);
            if (colon == std::string_view::npos) {
                piece.kind = NodeKind::plain_param;
            } else {
                const std::string_view constraint = body.substr(colon + 1);
                if (constraint.empty()) fail("empty regex constraint");
                if (constraint == "int") {
                    piece.kind = NodeKind::int_param;
                } else {
                    piece.kind = NodeKind::regex_param;
                    piece.text = std::string(constraint);
                }
            }
        }
        if (name.empty()) fail("empty parameter name");
        if (!is_identifier(name)) {
            fail("bad parameter name \"" + printable(name) +
                 "\" (expected [A-Za-z_][A-Za-z0-9_]*)");
        }
        if (out.names.size() == kMaxParams)
            fail("more than " + std::to_string(kMaxParams) + " parameters");
        if (std::find(out.names.begin(), out.names.end(), name) != out.names.end())
            fail("duplicate parameter name \"" + std::string(name) + "\"");
        if (piece.kind == NodeKind::regex_param) {
            // Found by fuzzing: libstdc++'s regex compiler overflows a signed integer on a huge
            // backreference number ("\\6666..."). A one-segment constraint has no use for
            // backreferences, and none for a very long pattern, so both are refused here.
            if (piece.text.size() > kMaxRegexLength) {
                fail("regex constraint longer than " + std::to_string(kMaxRegexLength) + " bytes");
            }
            if (std::string why = refuse_regex(piece.text); !why.empty()) {
                fail(why + " in a regex constraint (\"" + printable(piece.text) + "\")");
            }
            try {
                piece.regex = std::make_unique<std::regex>(
                    piece.text, std::regex::ECMAScript | std::regex::optimize);
            } catch (const std::regex_error& e) {
                fail("invalid regex \"" + printable(piece.text) + "\": " + e.what());
            }
        }
        flush_run();
        out.pieces.push_back(std::move(piece));
        out.names.emplace_back(name);
        pos = end;
    }
    flush_run();
    return out;
}

// Descends from `node` along the static bytes `s`, splitting and creating nodes as needed;
// returns the node at which `s` ends.
Node* insert_static(Node* node, std::string_view s) {
    while (!s.empty()) {
        const std::size_t i = node->indices.find(s[0]);
        if (i == std::string::npos) {
            auto child = std::make_unique<Node>();
            child->text = std::string(s);
            Node* raw = child.get();
            node->indices += s[0];
            node->static_children.push_back(std::move(child));
            return raw;
        }
        std::unique_ptr<Node>& slot = node->static_children[i];
        const std::string& text = slot->text;
        const std::size_t common = static_cast<std::size_t>(
            std::mismatch(text.begin(), text.end(), s.begin(), s.end()).first - text.begin());
        if (common < text.size()) {
            // Split: a new node holds the shared prefix and adopts the old one as its only child.
            auto mid = std::make_unique<Node>();
            mid->text = text.substr(0, common);
            slot->text.erase(0, common);
            mid->indices += slot->text[0];
            mid->static_children.push_back(std::move(slot));
            slot = std::move(mid);
        }
        node = slot.get();
        s.remove_prefix(common);
    }
    return node;
}

Node* insert_param(Node* node, Piece& piece) {
    if (piece.kind == NodeKind::wildcard) {
        if (!node->wildcard_child) {
            node->wildcard_child = std::make_unique<Node>();
            node->wildcard_child->kind = NodeKind::wildcard;
        }
        return node->wildcard_child.get();
    }
    auto& children = node->param_children;
    const auto key = std::make_pair(param_rank(piece.kind), std::string_view(piece.text));
    const auto it = std::lower_bound(
        children.begin(), children.end(), key, [](const std::unique_ptr<Node>& n, const auto& k) {
            return std::make_pair(param_rank(n->kind), std::string_view(n->text)) < k;
        });
    if (it != children.end() && (*it)->kind == piece.kind && (*it)->text == piece.text)
        return it->get();
    auto child = std::make_unique<Node>();
    child->kind = piece.kind;
    child->text = std::move(piece.text);
    child->regex = std::move(piece.regex);
    return children.insert(it, std::move(child))->get();
}

bool is_int64(std::string_view s) noexcept {
    if (s.empty()) return false;
    std::size_t i = 0;
    const bool negative = s[0] == '-';
    if (negative) i = 1;
    if (i == s.size()) return false;
    const std::uint64_t limit = negative ? std::uint64_t{1} << 63 : (std::uint64_t{1} << 63) - 1;
    std::uint64_t value = 0;
    for (; i < s.size(); ++i) {
        const auto digit = static_cast<unsigned>(static_cast<unsigned char>(s[i]) - '0');
        if (digit > 9) return false;
        if (value > (limit - digit) / 10) return false;
        value = value * 10 + digit;
    }
    return true;
}

bool accepts(const Node& node, std::string_view segment) noexcept {
    switch (node.kind) {
        case NodeKind::int_param:
            return is_int64(segment);
        case NodeKind::regex_param:
            if (segment.size() > kMaxRegexInput) return false;
            // std::regex can throw (error_complexity, error_stack, bad_alloc); matching must not.
            try {
                return std::regex_match(segment.data(), segment.data() + segment.size(),
                                        *node.regex);
            } catch (...) {
                return false;
            }
        default:
            return true;
    }
}

// A parameter value found during the search; trivially constructible so that the buffer below
// costs nothing to set up.
struct Span {
    const char* data;
    std::size_t size;
};

struct Search {
    const char* path;
    std::size_t size;
    // values[i] is the i-th parameter of the route being tried. Indexed by depth rather than
    // pushed and popped, so backtracking is free and `params` is touched only on success.
    std::array<Span, kMaxParams> values;
};

// `node` has been entered and the path is consumed up to `pos`, with `depth` parameters bound.
// Returns the first route in priority order, or nullptr; values[0, route params) are then set.
const Route* find(const Node& node, Search& s, std::size_t pos, std::size_t depth) noexcept {
    if (pos == s.size) {
        if (node.route != nullptr) return node.route;
        const Route* wildcard = node.bare_wildcard != nullptr ? node.bare_wildcard
                                : node.wildcard_child         ? node.wildcard_child->route
                                                              : nullptr;
        if (wildcard != nullptr) s.values[depth] = {s.path + pos, 0};
        return wildcard;
    }

    // At most one static child can match: siblings differ in their first byte. Short loops beat
    // memchr/memcmp calls here; prefixes and fan-outs are a few bytes.
    const char first = s.path[pos];
    const std::size_t fan_out = node.indices.size();
    for (std::size_t i = 0; i < fan_out; ++i) {
        if (node.indices[i] != first) continue;
        const Node& child = *node.static_children[i];
        const std::size_t len = child.text.size();
        if (s.size - pos >= len) {
            const char* text = child.text.data();
            const char* at = s.path + pos;
            std::size_t k = 1;  // byte 0 is `first`
            while (k < len && at[k] == text[k]) ++k;
            if (k == len) {
                // Nothing to fall back to here: a tail call, which compiles to a jump.
                if (node.param_children.empty() && !node.wildcard_child)
                    return find(child, s, pos + len, depth);
                if (const Route* r = find(child, s, pos + len, depth)) return r;
            }
        }
        break;
    }

    if (!node.param_children.empty()) {
        std::size_t end = pos;
        while (end < s.size && s.path[end] != '/') ++end;
        // pos < size and path[pos] is not '/' for a non-empty segment.
        if (end > pos) {
            const std::string_view segment(s.path + pos, end - pos);
            for (const auto& child : node.param_children) {
                if (!accepts(*child, segment)) continue;
                if (const Route* r = find(*child, s, end, depth + 1)) {
                    s.values[depth] = {segment.data(), segment.size()};
                    return r;
                }
            }
        }
    }

    if (node.wildcard_child) {
        s.values[depth] = {s.path + pos, s.size - pos};
        return node.wildcard_child->route;
    }
    return nullptr;
}

const Route* find(const Node& root, std::string_view path, Search& s) noexcept {
    s.path = path.data();
    s.size = path.size();
    return find(root, s, 0, 0);
}

}  // namespace

struct Router::Impl {
    std::vector<MethodTree> trees;  // sorted by method, which allowed_methods relies on
    std::deque<Route> routes;       // stable addresses: nodes and RouteParam names point here

    const Node* tree_for(std::string_view method) const noexcept {
        for (const MethodTree& t : trees) {
            if (t.method == method) return t.root.get();
        }
        return nullptr;
    }

    Node* tree_for_insert(std::string_view method) {
        auto it = std::lower_bound(
            trees.begin(), trees.end(), method,
            [](const MethodTree& t, std::string_view m) { return std::string_view(t.method) < m; });
        if (it == trees.end() || it->method != method)
            it = trees.insert(it, MethodTree{std::string(method), std::make_unique<Node>()});
        return it->root.get();
    }
};

Router::Router() : impl_(std::make_unique<Impl>()) {}
Router::~Router() = default;
Router::Router(Router&&) noexcept = default;
Router& Router::operator=(Router&&) noexcept = default;

void Router::add(std::string_view method, std::string_view pattern, std::uint32_t id) {
    if (!is_method_token(method)) {
        throw RouteError("invalid route method \"" + printable(method) + "\" for \"" +
                         printable(pattern) + "\": expected an uppercase token such as GET");
    }
    if (method == "CONNECT") {
        // Its request-target is host:port (RFC 9110 9.3.6), never a path: such a route could
        // never match. The App answers CONNECT with 501.
        throw RouteError("CONNECT \"" + printable(pattern) +
                         "\": CONNECT routes are not supported (the target of a CONNECT request "
                         "is host:port, not a path; the server answers CONNECT with 501)");
    }
    ParsedPattern parsed = parse_pattern(method, pattern);
    if (!impl_) impl_ = std::make_unique<Impl>();  // a moved-from router is usable again

    // Nodes created before a conflict is found stay in the tree; without a route they match
    // nothing, so a failed add leaves the router's behaviour unchanged.
    Node* node = impl_->tree_for_insert(method);
    Node* bare = nullptr;
    for (std::size_t i = 0; i < parsed.pieces.size(); ++i) {
        Piece& piece = parsed.pieces[i];
        if (piece.kind != NodeKind::static_text) {
            node = insert_param(node, piece);
            continue;
        }
        const bool before_wildcard =
            i + 1 < parsed.pieces.size() && parsed.pieces[i + 1].kind == NodeKind::wildcard;
        if (!before_wildcard) {
            node = insert_static(node, piece.text);
            continue;
        }
        // The run ends in the '/' before the wildcard; stop one byte short to find the node
        // that also matches the path without that slash.
        std::string_view text = piece.text;
        text.remove_suffix(1);
        node = insert_static(node, text);
        if (i > 0 || !text.empty()) bare = node;  // "/{*p}" has no slash-less form
        node = insert_static(node, "/");
    }

    if (node->route != nullptr) {
        const Route& old = *node->route;
        std::string msg = "route conflict: ";
        msg.append(printable(method)).append(" ").append(printable(pattern));
        msg.append(old.pattern == pattern ? " is already registered as " : " shadows ");
        msg.append(printable(old.method)).append(" ").append(printable(old.pattern));
        msg.append(" (same path shape; parameter names do not distinguish routes)");
        throw RouteError(msg);
    }
    const Route& route = impl_->routes.emplace_back(
        Route{std::string(method), std::string(pattern), id, std::move(parsed.names)});
    node->route = &route;
    if (bare != nullptr) bare->bare_wildcard = &route;
}

namespace {

const Route* match_tree(const Node* root, std::string_view path, Search& s,
                        std::vector<RouteParam>& params) {
    if (root == nullptr) return nullptr;
    const Route* route = find(*root, path, s);
    if (route == nullptr) return nullptr;
    const std::size_t n = route->names.size();
    params.resize(n);  // no allocation when the caller's vector has the capacity
    for (std::size_t i = 0; i < n; ++i) {
        params[i].name = route->names[i];
        params[i].value = std::string_view(s.values[i].data, s.values[i].size);
    }
    return route;
}

}  // namespace

MatchKind Router::match(std::string_view method, std::string_view path, std::uint32_t& id,
                        std::vector<RouteParam>& params) const {
    params.clear();
    if (!impl_) return MatchKind::not_found;
    Search s;  // NOLINT(cppcoreguidelines-pro-type-member-init): written before read
    const Node* own = impl_->tree_for(method);
    if (const Route* r = match_tree(own, path, s, params)) {
        id = r->id;
        return MatchKind::found;
    }
    const Node* get = nullptr;
    if (method == "HEAD") {
        get = impl_->tree_for("GET");
        if (const Route* r = match_tree(get, path, s, params)) {
            id = r->id;
            return MatchKind::found;
        }
    }
    for (const MethodTree& t : impl_->trees) {
        if (t.root.get() == own || t.root.get() == get) continue;
        if (find(*t.root, path, s) != nullptr) return MatchKind::method_not_allowed;
    }
    return MatchKind::not_found;
}

std::string Router::allowed_methods(std::string_view path) const {
    if (!impl_) return {};
    std::vector<std::string_view> methods;
    Search s;  // NOLINT(cppcoreguidelines-pro-type-member-init): written before read
    for (const MethodTree& t : impl_->trees) {
        if (find(*t.root, path, s) == nullptr) continue;
        methods.emplace_back(t.method);
        if (t.method == "GET") methods.emplace_back("HEAD");
    }
    if (methods.empty()) return {};
    methods.emplace_back("OPTIONS");
    std::sort(methods.begin(), methods.end());
    methods.erase(std::unique(methods.begin(), methods.end()), methods.end());
    std::string out;
    for (const std::string_view m : methods) {
        if (!out.empty()) out += ", ";
        out.append(m);
    }
    return out;
}

}  // namespace gannet::detail
