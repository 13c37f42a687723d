"""Build a reveal.js slide deck from a notebook, that works offline.

Course infrastructure for the paper-presentation kit (``lectures/papers/``): students
present a paper from a notebook whose cells carry slide metadata
(``# %% [markdown] slideshow={"slide_type": "slide"}`` in the percent-format twin).
``make slides NB=lectures/papers/reproduction_template.ipynb`` runs::

    python -m medeff.slides lectures/papers/reproduction_template.ipynb   # -> build/slides/

which executes the notebook (``--no-execute`` to skip, ``--fast`` for ``MEDEFF_FAST=1``) and
writes ``build/slides/<name>.slides.html`` with nbconvert's ``SlidesExporter``.

nbconvert's slide template loads reveal.js, MathJax, require.js and jQuery from CDNs;
offline the slides do not advance and formulas stay raw LaTeX. Here every one of them
comes from a local copy: the npm packages of ``package.json`` (``npm ci`` at the
repository root puts them in ``node_modules/``) are copied next to the deck into
``_deck_assets/`` and referenced relatively, so the deck folder can be zipped and opened
anywhere without a network. Mermaid (loaded as an ES module from a CDN) is left out of
the template: the decks have no Mermaid diagrams. :func:`remote_references` lists what a
deck would still fetch from the network (a test keeps it empty).
Explained in: ``lectures/papers/reproduction_template`` ("How to use this template").
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

ASSETS_DIR = "_deck_assets"
# (npm package, files or folders inside it that a deck needs)
ASSET_FILES: dict[str, tuple[str, ...]] = {
    "reveal.js": (
        "dist/reveal.js",
        "dist/reveal.css",
        "dist/reset.css",
        "dist/theme",
        "plugin/notes",
        "LICENSE",
    ),
    "mathjax": (
        "MathJax.js",
        "config/TeX-AMS_CHTML-full.js",
        "config/Safe.js",  # the ",Safe" of MATHJAX_CONFIG loads it
        "extensions",
        "jax/input/TeX",
        "jax/output/CommonHTML",
        "jax/element",
        "localization/en",
        "fonts/HTML-CSS/TeX/woff",
        "LICENSE",
    ),
    "requirejs": ("require.js",),
    "jquery": ("dist/jquery.min.js", "LICENSE.txt"),
}
MATHJAX_CONFIG = "TeX-AMS_CHTML-full,Safe"
MERMAID_STUB = "no-mermaid.mjs"
# printed tables stay on one line per row (scroll sideways instead of wrapping)
DECK_CSS = """
.reveal .jp-OutputArea-output pre { font-size: 13px !important; line-height: 1.3 !important; white-space: pre !important; overflow-x: auto; }
.reveal .jp-OutputArea-output img { max-height: 420px; }
"""

_REMOTE = re.compile(
    r"""<script\b[^>]*\bsrc\s*=\s*["']?\s*((?:https?:)?//[^"'\s>]+)"""
    r"""|<link\b[^>]*\bhref\s*=\s*["']?\s*((?:https?:)?//[^"'\s>]+)"""
    r"""|\bimport\b[^;'"]*\bfrom\s*["']((?:https?:)?//[^"']+)"""
    r"""|\brequire\s*\(\s*\{[^}]*\}\s*,\s*\[\s*["']((?:https?:)?//[^"']+)""",
    re.IGNORECASE | re.DOTALL,
)


def repo_root(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` (default: this file) with a ``package.json``."""
    here = (start or Path(__file__)).resolve()
    for folder in (here, *here.parents):
        if (folder / "package.json").is_file():
            return folder
    raise FileNotFoundError(f"no package.json at or above {here}")


def node_modules(root: Path | None = None) -> Path:
    """``node_modules`` of the repository, checked to hold every package the decks need.

    Raises ``FileNotFoundError`` with the command to run (``npm ci``) when one is missing.
    """
    folder = (root or repo_root()) / "node_modules"
    missing = [p for p in ASSET_FILES if not (folder / p / "package.json").is_file()]
    if missing:
        raise FileNotFoundError(
            f"{folder} lacks the npm packages {missing}; run `npm ci` in {folder.parent} "
            "(the versions are pinned in package-lock.json)"
        )
    return folder


def install_assets(
    deck_dir: Path,
    modules: Path | None = None,
    *,
    packages: Sequence[str] | None = None,
    subdir: str = ASSETS_DIR,
) -> Path:
    """Copy the files a deck needs from ``node_modules`` into ``deck_dir/_deck_assets``
    (``subdir``; ``packages``: a subset of :data:`ASSET_FILES`, e.g. MathJax alone for the
    course site), with a stub for nbconvert's Mermaid module import.

    Source maps and MathJax's unpacked sources are skipped (about 5 MB in all).
    Returns the assets folder. Explained in: the reproduction template.
    """
    modules = modules or node_modules()
    target = Path(deck_dir) / subdir
    for package in packages or ASSET_FILES:
        for part in ASSET_FILES[package]:
            src, dst = modules / package / part, target / package / part
            if src.is_dir():
                shutil.copytree(
                    src, dst, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.map", "unpacked")
                )
            elif src.is_file():
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dst)
            elif not part.startswith("LICENSE"):
                raise FileNotFoundError(f"{src} is missing; run `npm ci` again")
    target.mkdir(parents=True, exist_ok=True)
    (target / MERMAID_STUB).write_text(
        "// the course's notebooks use no Mermaid diagrams; this stub replaces the CDN module\n"
        "export default { initialize() {} };\n",
        encoding="utf-8",
    )
    return target


def remote_references(html: str) -> list[str]:
    """URLs of scripts, style sheets and module imports a page would fetch from the network
    (``http://``, ``https://`` or protocol-relative ``//``). Links in the text (``<a href>``)
    are not fetched and are not listed. Explained in: the reproduction template.
    """
    return [next(g for g in m.groups() if g) for m in _REMOTE.finditer(html)]


def local_references(html: str) -> list[str]:
    """Relative paths of the scripts and style sheets a page loads (to check they exist)."""
    found = re.findall(r"""<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    reveal = re.findall(r"""["'](_deck_assets/[^"'?]+)""", html)
    return sorted(
        {
            u.split("?")[0]
            for u in [*found, *reveal]
            if not re.match(r"(?:[a-z]+:|//|#|data:)", u, re.IGNORECASE)
        }
    )


def exporter(assets: str = ASSETS_DIR, show_code: bool = False):
    """nbconvert's ``SlidesExporter`` pointed at the local copies under ``assets``; code
    cells show only their outputs unless ``show_code``."""
    from nbconvert import SlidesExporter
    from traitlets.config import Config

    c = Config()
    c.SlidesExporter.reveal_url_prefix = f"{assets}/reveal.js"
    c.SlidesExporter.reveal_theme = "white"
    c.SlidesExporter.reveal_scroll = True
    c.SlidesExporter.mathjax_url = f"{assets}/mathjax/MathJax.js?config={MATHJAX_CONFIG}"
    c.SlidesExporter.require_js_url = f"{assets}/requirejs/require.js"
    c.SlidesExporter.jquery_url = f"{assets}/jquery/dist/jquery.min.js"
    c.SlidesExporter.exclude_input_prompt = True
    c.SlidesExporter.exclude_output_prompt = True
    c.SlidesExporter.exclude_input = not show_code
    exp = SlidesExporter(config=c)
    # not a configurable trait: an ES-module import from a CDN; our decks have no Mermaid
    # (a module specifier must start with "./")
    exp.mermaid_js_url = f"./{assets}/{MERMAID_STUB}"
    return exp


def build_deck(
    notebook: Path | str,
    out_dir: Path | str | None = None,
    *,
    execute: bool = True,
    fast: bool = False,
    modules: Path | None = None,
    timeout: int = 900,
    show_code: bool = False,
) -> Path:
    """Write ``out_dir/<name>.slides.html`` (default ``build/slides``) and its assets.

    With ``execute`` the notebook is run first (in its own folder, ``MEDEFF_FAST=1`` when
    ``fast``) so the slides show results; a failing cell raises ``RuntimeError``. Code
    cells show their outputs only, unless ``show_code``.
    Returns the path of the deck. Explained in: the reproduction template.
    """
    import nbformat

    from .course import execute_notebook

    notebook = Path(notebook).resolve()
    out = Path(out_dir) if out_dir is not None else repo_root() / "build" / "slides"
    out.mkdir(parents=True, exist_ok=True)
    modules = modules or node_modules()
    if execute:
        with tempfile.TemporaryDirectory() as tmp:
            run = execute_notebook(notebook, Path(tmp), fast=fast, timeout=timeout, html=False)
            if not run.ok:
                raise RuntimeError(
                    f"{notebook.name} failed while building its slides:\n{run.error[-3000:]}"
                )
            nb = nbformat.read(Path(tmp) / notebook.name, as_version=4)
    else:
        nb = nbformat.read(notebook, as_version=4)
    install_assets(out, modules)
    body, _ = exporter(show_code=show_code).from_notebook_node(
        nb, resources={"metadata": {"name": notebook.stem}}
    )
    body = body.replace("</head>", f"<style>{DECK_CSS}</style>\n</head>", 1)
    remote = remote_references(body)
    if remote:
        raise RuntimeError(f"the deck would load {remote} from the network")
    deck = out / f"{notebook.stem}.slides.html"
    deck.write_text(body, encoding="utf-8")
    return deck


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m medeff.slides", description=__doc__.split("\n")[0]
    )
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=None, help="output folder (build/slides)")
    parser.add_argument("--no-execute", action="store_true", help="convert without running")
    parser.add_argument("--fast", action="store_true", help="execute with MEDEFF_FAST=1")
    parser.add_argument("--show-code", action="store_true", help="show code cells' input too")
    args = parser.parse_args(argv)
    for nb in args.notebooks:
        if nb.suffix == ".py":  # the jupytext twin: use its notebook
            nb = nb.with_suffix(".ipynb")
        deck = build_deck(
            nb, args.out, execute=not args.no_execute, fast=args.fast, show_code=args.show_code
        )
        print(f"wrote {deck} (open it in a browser; works offline)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
