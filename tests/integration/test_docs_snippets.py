"""The C++ in docs/*.md is the C++ in docs/snippets/*.cpp, and (when the build has the docs
directory wired in) every snippet was compiled into an executable."""
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(os.environ.get("GANNET_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
BUILD = pathlib.Path(os.environ.get("GANNET_BUILD_DIR", ROOT / "build" / "release"))


def test_markdown_shows_the_snippet_files_verbatim():
    r = subprocess.run([sys.executable, str(ROOT / "docs" / "check_snippets.py")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_every_snippet_was_compiled():
    built = BUILD / "docs"
    if not built.is_dir():
        pytest.skip("docs/ is not part of this build (add_subdirectory(docs) in CMakeLists.txt)")
    missing = [p.stem for p in (ROOT / "docs" / "snippets").glob("*.cpp")
               if not (built / f"doc_snippet_{p.stem}").exists()]
    assert not missing, f"snippets not compiled: {missing}"
