"""Every public helper says which lecture explains it, and every lecture named exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "shared" / "medeff"
# "lecture 04", "lectures 01 and 02", "lectures 01-03", "lecture A"
MENTION = re.compile(r"\blectures? ((?:(?:\d\d|A)(?:\s*(?:,|and|-|to|/)\s*)?)+)")
INFRASTRUCTURE = {
    "bundle.py",
    "course.py",
    "grading.py",
    "sandbox.py",
    "site.py",
    "slides.py",
    "__main__.py",
}


def _lectures() -> set[str]:
    return {p.name.split("_", 1)[0] for p in (ROOT / "lectures").glob("*.ipynb")}


def _named(text: str) -> set[str]:
    found = set()
    for match in MENTION.finditer(text):
        parts = re.findall(r"\d\d|A", match.group(1))
        span = re.search(r"(\d\d)\s*(?:-|to)\s*(\d\d)", match.group(1))
        if span:
            parts += [f"{i:02d}" for i in range(int(span.group(1)), int(span.group(2)) + 1)]
        found.update(parts)
    return found - {"14"}  # "lecture 14" is the whole course (Medical Image Computing)


def test_every_lecture_named_in_medeff_exists():
    have = _lectures()
    missing = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        named = _named(path.read_text(encoding="utf-8"))
        if named - have:
            missing[str(path.relative_to(ROOT))] = sorted(named - have)
    assert not missing, f"docstrings name lectures that do not exist: {missing}"


def test_every_public_helper_names_its_lecture():
    silent = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name in INFRASTRUCTURE or (
            path.name.startswith("_") and path.name != "__init__.py"
        ):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module_doc = ast.get_docstring(tree) or ""
        for node in tree.body:
            if not isinstance(node, (ast.FunctionDef, ast.ClassDef)) or node.name.startswith("_"):
                continue
            doc = ast.get_docstring(node) or ""
            if not _named(doc) and not _named(module_doc):
                silent.append(f"{path.relative_to(PACKAGE)}:{node.name}")
    assert not silent, f"public helpers whose docstring (or module's) names no lecture: {silent}"


def test_the_pattern_reads_ranges_and_lists():
    assert _named("Explained in: lectures 01-03 and lecture A") == {"01", "02", "03", "A"}
    assert _named("lecture 04 (pruning), lectures 05 and 06") == {"04", "05", "06"}
