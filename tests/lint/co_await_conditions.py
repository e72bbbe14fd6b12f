#!/usr/bin/env python3
"""Fails when a co_await sits where GCC 12 miscompiles it.

GCC before 13 (Debian 12 ships 12.2) miscompiles a coroutine with a co_await inside an
if/while/for/switch condition: the coroutine resumes a wrong frame and crashes, or silently skips
code (tests/unit/io/co_await_condition_test.cpp holds the reproducer). The rule (DESIGN.md
section 8) also keeps co_await out of && and || operands. The safe shapes are a condition
declaration (`if (bool ok = co_await f())`, `while (auto m = co_await ws.receive())`) and
binding first (`bool ok = co_await f(); if (ok) ...`).

Scans the C++ sources under src/, include/, examples/ and docs/, and the C++ code blocks of the
Markdown files there and of README.md. Comments and string literals are skipped. Prints file:line and the shape
of every hit; exit status 1 when there is one.

Usage: co_await_conditions.py [SOURCE_DIR]   (default: the repository this file is in)
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

ROOTS = ("src", "include", "examples", "docs")
TOP_FILES = ("README.md",)  # its example is the first handler code a user reads
CPP_SUFFIXES = {".cpp", ".hpp", ".h", ".cc", ".cxx", ".hh", ".ipp"}
MD_CPP_LANGS = {"cpp", "c++", "cc", "cxx", "hpp", "h", "c"}
EXCLUDED: set[str] = set()  # paths relative to the repository, none today

IDENT = re.compile(r"[A-Za-z_]\w*")
OPENERS = {"(": ")", "[": "]", "{": "}"}
CLOSERS = {")", "]", "}"}


# --------------------------------------------------------------------------------------------
# Blanking comments, literals and preprocessor lines (offsets and line numbers are kept)


def blank_code(text: str) -> str:
    """Returns `text` with comments, string and character literals and preprocessor lines
    replaced by spaces (newlines kept), so that what remains is only code."""
    out = list(text)
    n = len(text)
    i = 0
    at_line_start = True  # only whitespace since the last newline

    def blank(a: int, b: int) -> None:
        for k in range(a, b):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = text[i]
        if c == "\n":
            at_line_start = True
            i += 1
            continue
        if c in " \t\r":
            i += 1
            continue
        if at_line_start and c == "#":  # preprocessor line, with its continuations
            j = i
            while j < n:
                if text[j] == "\n" and text[j - 1] != "\\":
                    break
                j += 1
            blank(i, j)
            i = j
            continue
        at_line_start = False
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            blank(i, j)
            i = j
            continue
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            blank(i, j)
            i = j
            continue
        if c == '"' or c == "'":
            # A quote after an identifier character: a literal prefix (u8"", L'x', R"(...)") or a
            # digit separator (1'000).
            k = i
            while k > 0 and (text[k - 1].isalnum() or text[k - 1] == "_"):
                k -= 1
            word = text[k:i]
            if c == "'" and word[:1].isdigit():
                i += 1  # digit separator
                continue
            if c == '"' and word.endswith("R") and word in ("R", "u8R", "uR", "UR", "LR"):
                m = re.compile(r'"([^()\\\s]{0,16})\(').match(text, i)
                if m:
                    end = text.find(")" + m.group(1) + '"', m.end())
                    end = n if end < 0 else end + len(m.group(1)) + 2
                    blank(i + 1, end - 1)
                    i = end
                    continue
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            blank(i + 1, min(j, n))
            i = j + 1
            continue
        i += 1
    return "".join(out)


# --------------------------------------------------------------------------------------------
# Finding the shapes


class Code:
    """Blanked code with its brackets matched."""

    def __init__(self, code: str):
        self.code = code
        self.match: dict[int, int] = {}  # opener offset -> closer offset
        self.parent: list[int] = [-1] * (len(code) + 1)  # innermost open bracket at each offset
        stack: list[int] = []
        for i, c in enumerate(code):
            self.parent[i] = stack[-1] if stack else -1
            if c in OPENERS:
                stack.append(i)
            elif c in CLOSERS and stack and OPENERS[code[stack[-1]]] == c:
                self.match[stack.pop()] = i
                self.parent[i] = stack[-1] if stack else -1
        self.parent[len(code)] = -1

    def top_level_splits(self, a: int, b: int, sep: str) -> list[tuple[int, int]]:
        """Splits code[a:b] at the `sep` characters not inside brackets."""
        parts, start, i = [], a, a
        while i < b:
            c = self.code[i]
            if c in OPENERS and i in self.match:
                i = self.match[i] + 1
                continue
            if c == sep:
                parts.append((start, i))
                start = i + 1
            i += 1
        parts.append((start, b))
        return parts


def words(code: str, a: int, b: int, word: str):
    for m in re.finditer(r"\b%s\b" % word, code[a:b]):
        if not re.search(r"\boperator\s*$", code[max(0, a + m.start() - 40) : a + m.start()]):
            yield a + m.start()  # (`operator co_await` declares, it does not await)


# A condition declaration: `T name = ...`, `T name{...}`, `auto [a, b] = ...`; T may be
# qualified, templated, const, a reference or a pointer.
DECLARATION = re.compile(
    r"""\s*(?:(?:const|volatile|static|constexpr)\s+)*
        (?:[A-Za-z_][\w:]*\s*(?:<[^;{}()]*>)?\s*(?:::\s*[A-Za-z_]\w*\s*)*)   # the type
        (?:\s*(?:const|volatile)\b)?\s*[&*]*\s*(?:&&)?\s*
        (?:[A-Za-z_]\w*|\[[\w\s,]*\])\s*(?:=(?!=)|\{)""",
    re.X,
)
EXPRESSION_START = re.compile(r"\s*(?:co_await|return|co_return|throw|new|delete|sizeof)\b")


def is_declaration(code: str, a: int, b: int) -> bool:
    text = code[a:b]
    if EXPRESSION_START.match(text):
        return False
    m = DECLARATION.match(text)
    if not m:
        return False
    head = text[: m.end()].rstrip("={").strip()
    # `a = b` is an assignment, not a declaration: a declaration has a type before its name.
    return len(re.findall(r"[A-Za-z_]\w*|\[", head)) >= 2 and "." not in head and "->" not in head


def condition_hits(c: Code) -> list[tuple[int, str]]:
    """co_await in an if/while/for/switch condition (not in a condition declaration)."""
    code, hits = c.code, []
    for m in re.finditer(r"\b(if|while|for|switch)\b", code):
        kw = m.group(1)
        j = m.end()
        k = re.compile(r"\s*(?:constexpr\b)?\s*").match(code, j).end()
        if k >= len(code) or code[k] != "(" or k not in c.match:
            continue
        a, b = k + 1, c.match[k]
        if "co_await" not in code[a:b]:
            continue
        parts = c.top_level_splits(a, b, ";")
        if kw == "for":
            if len(parts) != 3:
                continue  # range-for: the range is evaluated once, like a declaration
            checked = [(parts[1], True), (parts[2], False)]  # condition, increment
        elif kw == "while":
            checked = [(parts[-1], True)]
        else:  # if / switch, after an optional init-statement
            checked = [(parts[-1], True)]
        for (pa, pb), may_declare in checked:
            if "co_await" not in code[pa:pb]:
                continue
            if may_declare and is_declaration(code, pa, pb):
                continue
            first = next(words(code, pa, pb, "co_await"))
            where = "increment" if kw == "for" and not may_declare else "condition"
            hits.append((first, f"co_await in the {where} of `{kw}`"))
    return hits


LOGICAL = re.compile(r"&&|\|\||\band\b|\bor\b")
# Where the expression holding a co_await starts, reading leftwards: an assignment (plain or
# compound, not a comparison) or a statement keyword.
EXPRESSION_EDGE = re.compile(
    r"(?<![=!<>])(?:<<|>>|[-+*/%&|^])?=(?!=)|\b(?:return|co_return|co_yield|throw)\b"
)


WORD_AHEAD = re.compile(r"\s*[A-Za-z_]")


def logical_operand_hits(c: Code) -> list[tuple[int, str]]:
    """co_await inside an operand of && or ||, at any bracket depth up to the enclosing block."""
    code, hits = c.code, []
    for p in words(code, 0, len(code), "co_await"):
        pos = p
        while True:
            opener = c.parent[pos]
            lo = opener + 1 if opener >= 0 else 0
            hi = c.match.get(opener, len(code)) if opener >= 0 else len(code)
            if has_logical(c, *expression_around(c, lo, hi, pos)):
                hits.append((p, "co_await in a && / || operand"))
                break
            if opener < 0 or code[opener] == "{":
                break  # a block, lambda body or brace initializer ends the expression
            pos = opener
    return hits


def top_level(c: Code, a: int, b: int):
    """The offsets in a..b that are not inside a bracket group opened in a..b."""
    i = a
    while i < b:
        yield i
        i = c.match[i] + 1 if c.code[i] in OPENERS and i in c.match else i + 1


def expression_around(c: Code, lo: int, hi: int, pos: int) -> tuple[int, int]:
    """The expression holding offset `pos` (top level of the group lo..hi): between the nearest
    `;` or `,` on each side, starting after an assignment or return-like keyword."""
    code, a, b = c.code, lo, hi
    for i in top_level(c, lo, hi):
        if i < pos and code[i] in ";,":
            a = i + 1
        elif code[i] == "{" and i in c.match and WORD_AHEAD.match(code, c.match[i] + 1):
            # A braced block followed by a word ends a statement (`while (...) {...} bool x = ...`).
            if i < pos:
                a = c.match[i] + 1
            else:
                b = c.match[i] + 1
                break
        elif i > pos and code[i] in ";,":
            b = i
            break
    for i in top_level(c, a, pos):
        m = EXPRESSION_EDGE.match(code, i)
        if m and m.start() == i:
            a = max(a, m.end())
    return a, b


def has_logical(c: Code, a: int, b: int) -> bool:
    """True when code[a:b] has a top-level && / || that is an operator (`T&& x` and `T&&>` are
    reference declarators: no space between the type and the &&)."""
    code = c.code
    for i in top_level(c, a, b):
        m = LOGICAL.match(code, i)
        if not m:
            continue
        if m.group() == "&&":
            before = code[i - 1] if i > 0 else " "
            after = code[m.end() : b].lstrip()[:1]
            if before.isalnum() or before in "_>" or after in (">", ")", ",", ""):
                continue
        return True
    return False


def scan_code(text: str) -> list[tuple[int, str]]:
    """Hits in a piece of C++: (offset, what)."""
    c = Code(blank_code(text))
    hits = dict(logical_operand_hits(c))
    hits.update(condition_hits(c))  # one hit per co_await; the condition names the shape best
    return sorted(hits.items())


# --------------------------------------------------------------------------------------------
# Files


def markdown_cpp_blocks(text: str):
    """Yields (offset, body) of each fenced code block whose language is C++ (or unnamed)."""
    fence = re.compile(r"^( {0,3})(`{3,}|~{3,})[ \t]*([^\s`]*)[^\n]*\n", re.M)
    pos = 0
    while True:
        m = fence.search(text, pos)
        if not m:
            return
        marker = m.group(2)
        close = re.compile(r"^ {0,3}%s%s*[ \t]*$" % (re.escape(marker), re.escape(marker[0])), re.M)
        end = close.search(text, m.end())
        body_end = end.start() if end else len(text)
        lang = m.group(3).lower()
        if lang in MD_CPP_LANGS or (lang == "" and "co_await" in text[m.end() : body_end]):
            yield m.end(), text[m.end() : body_end]
        if not end:
            return
        pos = end.end()


def scan_file(path: Path) -> list[tuple[int, str]]:
    text = path.read_text(encoding="utf-8", errors="replace")
    hits: list[tuple[int, str]] = []
    if path.suffix == ".md":
        for offset, body in markdown_cpp_blocks(text):
            hits += [(offset + o, what) for o, what in scan_code(body)]
    else:
        hits = scan_code(text)
    return [(text.count("\n", 0, o) + 1, what) for o, what in hits]


# --------------------------------------------------------------------------------------------
# A check of the checker, on every run: it must find each bad shape and pass each safe one.

BAD = [
    "Task<> f() { if (co_await g()) {} }",
    "Task<> f() { if (!co_await g()) co_return; }",
    "Task<> f() { while (co_await ws.receive()) {} }",
    "Task<> f() { do { x(); } while (co_await more()); }",
    "Task<> f() { for (int i = 0; co_await more(i); ++i) {} }",
    "Task<> f() { for (int i = 0; i < n; i += co_await step()) {} }",
    "Task<> f() { switch (co_await kind()) { default: break; } }",
    "Task<> f() { if (auto x = init(); co_await ready(x)) {} }",
    "Task<> f() { if (ok && co_await g()) {} }",
    "Task<> f() { if ((co_await g()).has_value()) {} }",
    "Task<> f() { if (co_await g() == 1) {} }",
    "Task<> f() { while ((n = co_await read()) > 0) {} }",
    "Task<> f() { bool ok = ready && co_await g(); }",
    "Task<> f() { ok = co_await g() || retry; }",
    "Task<bool> f() { co_return a || co_await g(); }",
    "Task<> f() { use(x && wrap(co_await g())); }",
    "Task<> f() { if (bool ok = a && co_await g()) {} }",
    "Task<> f() { if (a and co_await g()) {} }",
    "Task<> f() {\n  if (co_await g(\"}\" /* ) */)) {}\n}",
    "Task<> f() { if (f(x = 1) && co_await g()) {} }",
    "Task<> f() { n += a || co_await g(); }",
    "Task<> f() { while (x) { n++; } bool d = !e && co_await g(); }",
    "Task<> f() { co_await g(); if (x) {} else if (co_await h()) {} }",
]
GOOD = [
    "Task<> f() { bool ok = co_await g(); if (ok) {} }",
    "Task<> f() { if (bool ok = co_await g()) {} }",
    "Task<> f() { while (auto m = co_await ws.receive()) { use(*m); } }",
    "Task<> f() { while (std::optional<std::string_view> c = co_await body.read()) {} }",
    "Task<> f() { if (const auto& [a, b] = co_await pair()) {} }",
    "Task<> f() { if (auto&& r = co_await g()) {} }",
    "Task<> f() { for (auto& x : co_await list()) {} }",
    "Task<> f() { for (bool b = co_await g(); b; b = false) {} }",
    "Task<> f() { if (x) { co_await g(); } while (y) co_await h(); }",
    "Task<> f() { if (a && b) co_await g(); }",
    "Task<> f() { auto&& v = co_await g(); T&& w = std::move(v); }",
    "Task<> f(std::string&& s) { co_await g(std::move(s)); }",
    "Task<> f() { x = ok ? co_await g() : 0; }",
    "Task<> f() { if (ready(x)) co_return; co_await g([&] { return a && b; }); }",
    "Task<> f() { // if (co_await g()) {}\n co_await g(); }",
    "Task<> f() { /* while (co_await g()) */ co_await g(); }",
    "Task<> f() { puts(\"if (co_await g()) {}\"); }",
    "Task<> f() { puts(R\"x(while (co_await g() && y))x\"); }",
    "#define WAIT if (co_await g())\nTask<> f() { co_await g(); }",
    "Task<> f() { int n = 1'000; if (n > 0) co_await g(); }",
    "Task<> f() { for (auto&& x : co_await list()) {} }",
    "Task<> f() { n += co_await g(); m = f(a == b, co_await g()); }",
    "Task<> f() { if (f(x = 1) || y) {} co_await g(); }",
    "Task<> f() { while (auto c = co_await r()) { n++; } bool d = !e && f; }",
    "auto operator co_await() && noexcept { return A{}; }",
]


def self_test() -> list[str]:
    problems = []
    for src in BAD:
        if not scan_code(src):
            problems.append(f"the checker missed a bad shape: {src!r}")
    for src in GOOD:
        if scan_code(src):
            problems.append(f"the checker flagged a safe shape: {src!r} -> {scan_code(src)}")
    md = "```cpp\nTask<> f() { if (co_await g()) {} }\n```\nNot code: `if (co_await g())`.\n"
    blocks = list(markdown_cpp_blocks(md))
    if len(blocks) != 1 or not scan_code(blocks[0][1]):
        problems.append("the checker missed a bad shape in a Markdown code block")
    return problems


def main() -> int:
    root = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else Path(__file__).resolve().parents[2]
    problems = self_test()
    if problems:
        print("\n".join(problems))
        return 1
    files = [(name, root / name) for name in TOP_FILES if (root / name).is_file()]
    for top in ROOTS:
        for path in sorted((root / top).rglob("*")):
            rel = path.relative_to(root).as_posix()
            if path.is_file() and (path.suffix in CPP_SUFFIXES or path.suffix == ".md"):
                if rel not in EXCLUDED:
                    files.append((rel, path))
    if not files:
        print(f"co_await conditions: no sources under {root}")
        return 1
    count = 0
    for rel, path in files:
        for line, what in scan_file(path):
            print(f"{rel}:{line}: {what}")
            count += 1
    if count:
        print(
            f"\n{count} co_await shape(s) that GCC 12 miscompiles. Bind the result first "
            "(`bool ok = co_await f(); if (ok) ...`) or use a condition declaration "
            "(`while (auto m = co_await ws.receive())`); see DESIGN.md section 8."
        )
        return 1
    print(f"co_await conditions: {len(files)} files clean")
    return 0


if __name__ == "__main__":
    sys.exit(main())
