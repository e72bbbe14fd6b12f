#!/usr/bin/env python3
"""Checks that every ```cpp block in docs/*.md is byte-identical to a file in docs/snippets/.

The snippet files are compiled by docs/CMakeLists.txt, so together the two guarantee that every
C++ example a reader copies from the docs compiles. Run from anywhere:

    python3 docs/check_snippets.py          # exit status 1 and a list of offenders on failure

A block is compared with the file's whole content (the file ends with a newline; the block's
text is the lines between the fences, each with its newline). `--fix` is deliberately absent:
edit the snippet file, compile it, and paste it.
"""
import pathlib
import re
import sys

DOCS = pathlib.Path(__file__).resolve().parent
FENCE = re.compile(r"^```cpp[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)


def blocks(md: pathlib.Path):
    text = md.read_text(encoding="utf-8")
    for m in FENCE.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        yield line, m.group(1)


def main() -> int:
    snippets = {p.read_text(encoding="utf-8"): p.name for p in sorted((DOCS / "snippets").glob("*.cpp"))}
    errors = []
    used = set()
    count = 0
    for md in sorted(DOCS.glob("*.md")):
        for line, body in blocks(md):
            count += 1
            name = snippets.get(body)
            if name is None:
                errors.append(f"{md.name}:{line}: this ```cpp block is not identical to any docs/snippets/*.cpp")
            else:
                used.add(name)
    for text, name in snippets.items():
        if name not in used:
            print(f"note: docs/snippets/{name} is not shown in any page", file=sys.stderr)
    for e in errors:
        print(e, file=sys.stderr)
    print(f"{count} cpp blocks checked, {len(errors)} not matching a snippet file")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
