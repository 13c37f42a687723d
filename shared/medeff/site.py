"""The course site: the executed lectures as a static book, built and read offline.

Course infrastructure (not a lecture topic): ``make site`` runs ``python -m medeff.site``
after ``make course``, which wrote the executed notebooks to ``build/lectures/`` (the paper
kit to ``build/lectures/papers/``). Nothing is executed again: the builder

1. checks that every lecture and paper notebook has an executed copy there (else it says
   which one is missing and which command makes it),
2. stages those copies, the student release ``assignments/*/*.ipynb`` (never
   ``solutions/``), the Sphinx configuration and landing page of ``site/`` and a local
   MathJax (``node_modules/mathjax``; ``npm ci`` once) into ``build/site_src/``,
3. runs ``sphinx-build`` (MyST-NB, sphinx-book-theme, ``nb_execution_mode = "off"``) into
   ``build/site/``, and
4. refuses the result if a page would load anything from the network, or holds a
   solution line, a hidden-test line or an nbgrader solution marker (:func:`check_site`).

Navigation follows the lecture order (00, A, 01 ... 08, the paper kit, the assignments);
Sphinx's own search works offline. ``build/site/`` is a plain folder of HTML: copy it to
any static host (GitHub Pages, a web server's folder, a USB stick).

The per-lecture HTML that ``make course`` writes next to each executed notebook uses
:func:`lecture_html_exporter`, so it too loads MathJax and require.js from a local copy.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .bundle import MARKERS, secret_lines
from .slides import MATHJAX_CONFIG, MERMAID_STUB, install_assets, node_modules, remote_references

SITE_DIR = "site"  # Sphinx configuration + landing page, in the repository
NAV_MARKER = "<!-- medeff.site: navigation (toctrees) goes here -->"
HTML_ASSETS = "_html_assets"  # next to the per-lecture HTML of `make course`
# staged page titles for notebooks whose first heading is a placeholder
TITLES = {"reproduction_template": "Reproduction template: &lt;Paper title&gt;"}


def lecture_order(path: Path) -> tuple[int, str]:
    """Sort key of the course's order: 00 (compute demands), A (the data), 01, 02, ..."""
    name = Path(path).name
    if name.startswith("00"):
        return (0, name)
    if name.startswith("A_"):
        return (1, name)
    return (2, name)


@dataclass
class Pages:
    """What a site holds: staged notebook paths (relative to the source folder) by part,
    their titles, and the notes printed while staging (e.g. pages shown unexecuted)."""

    lectures: list[str] = field(default_factory=list)
    papers: list[str] = field(default_factory=list)
    assignments: list[str] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def all(self) -> list[str]:
        return [*self.lectures, *self.papers, *self.assignments]


def first_heading(nb: nbformat.NotebookNode) -> str:
    """Text of the notebook's first level-1 markdown heading ('' if it has none)."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return ""


def execution_problem(executed: Path, source: Path) -> str | None:
    """Why ``executed`` is no executed copy of ``source`` (None if it is one).

    Executed: every non-empty code cell has an execution count. A copy whose code differs
    from the source is only out of date: that is reported by :func:`stale`, not here.
    """
    if not executed.is_file():
        return "not executed (no executed copy)"
    try:
        nb = nbformat.read(executed, as_version=4)
    except Exception as err:  # corrupt JSON
        return f"unreadable executed copy ({err})"
    missing = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and c.source.strip() and c.get("execution_count") is None
    ]
    if missing:
        return f"not executed (code cells {missing[:5]} have no output count)"
    errors = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and any(o.get("output_type") == "error" for o in c.outputs)
    ]
    if errors:
        return f"its execution failed (error output in cells {errors[:5]})"
    return None


def stale(executed: Path, source: Path) -> bool:
    """True when the code of the executed copy differs from the source notebook's."""

    def code(path: Path) -> list[str]:
        cells = nbformat.read(path, as_version=4).cells
        return [c.source for c in cells if c.cell_type == "code"]

    return code(executed) != code(source)


def _stage_notebook(src: Path, dst: Path, title: str | None = None) -> str:
    nb = nbformat.read(src, as_version=4)
    if title:
        for cell in nb.cells:
            if cell.cell_type == "markdown" and cell.source.startswith("# "):
                first, _, rest = cell.source.partition("\n")
                cell.source = f"# {title}\n{rest}"
                break
    dst.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dst)
    return html.unescape(first_heading(nb))


def _toctree(caption: str, entries: Sequence[str]) -> str:
    lines = [f"```{{toctree}}\n:caption: {caption}\n:maxdepth: 1\n:hidden:\n"]
    lines += [e.removesuffix(".ipynb") for e in entries]
    return "\n".join(lines) + "\n```\n"


def stage(
    root: Path,
    src: Path,
    *,
    executed: Path | None = None,
    modules: Path | None = None,
    partial: bool = False,
) -> Pages:
    """Fill the Sphinx source folder ``src`` (emptied first); return what it holds.

    ``executed`` (default ``build/lectures``) holds the executed lectures and ``papers/``.
    A missing or unexecuted one raises ``FileNotFoundError`` naming it and the command
    that executes it; with ``partial`` it is staged from ``lectures/`` without outputs
    instead (a preview, and the site test, which executes only one lecture).
    """
    root = Path(root)
    executed = Path(executed) if executed else root / "build" / "lectures"
    pages, problems, chosen = Pages(), [], []
    sources = sorted((root / "lectures").glob("*.ipynb"), key=lecture_order)
    sources += sorted((root / "lectures" / "papers").glob("*.ipynb"), reverse=True)
    for source in sources:
        rel = source.relative_to(root / "lectures")
        copy = executed / rel
        problem = execution_problem(copy, source)
        if problem and not partial:
            problems.append(f"{rel}: {problem}")
            continue
        if problem:
            pages.notes.append(f"{rel}: {problem}; shown without outputs")
            copy = source
        elif stale(copy, source):
            pages.notes.append(
                f"{rel}: the executed copy's code differs from lectures/{rel} (out of date; "
                f"`python -m medeff.course lectures {source.stem}` executes it again)"
            )
        chosen.append((source, copy, "papers" if rel.parts[0] == "papers" else "lectures"))
    if problems:
        raise FileNotFoundError(
            f"the site shows the lectures executed by `make course`, and {executed} lacks "
            f"{len(problems)} of them:\n  "
            + "\n  ".join(problems)
            + "\nrun `make course` (all of them), or one at a time: "
            "`.venv/bin/python -m medeff.course lectures NAME` (NAME e.g. 01_mobilenet or "
            "gsp_conv_reproduction)"
        )

    modules = modules or node_modules(root)
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    for item in (root / SITE_DIR).iterdir():
        if item.name in ("__pycache__", "_build"):
            continue
        (shutil.copytree if item.is_dir() else shutil.copy2)(item, src / item.name)
    (src / "_includes").mkdir()
    shutil.copy2(root / "README.md", src / "_includes" / "README.md")
    readme = (root / "README.md").read_text(encoding="utf-8")
    index_md = (root / SITE_DIR / "index.md").read_text(encoding="utf-8")
    for cut in re.findall(r':(?:start-after|end-before): "([^"]+)"', index_md):
        if cut not in readme:  # the landing page includes parts of the README by heading
            raise ValueError(f"site/index.md includes the README from {cut!r}, which is gone")
    install_assets(src / "_static", modules, packages=("mathjax",), subdir="")
    for source, copy, part in chosen:
        name = f"{part}/{source.name}"
        pages.titles[name] = _stage_notebook(copy, src / name, TITLES.get(source.stem))
        (pages.papers if part == "papers" else pages.lectures).append(name)
    for release in sorted((root / "assignments").glob("*/*.ipynb")):
        name = f"assignments/{release.name}"
        pages.titles[name] = _stage_notebook(release, src / name)
        pages.assignments.append(name)

    index = src / "index.md"
    nav = "\n".join(
        [
            _toctree("Lectures", pages.lectures),
            _toctree("Paper presentation kit", pages.papers),
            _toctree("Assignments", pages.assignments),
        ]
    )
    text = index.read_text(encoding="utf-8")
    text = text.replace(NAV_MARKER, nav) if NAV_MARKER in text else text + "\n" + nav
    index.write_text(text, encoding="utf-8")
    return pages


def _html_text(page: str) -> str:
    """The text of an HTML page as a reader sees it (tags dropped, entities decoded)."""
    page = re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def check_site(site: Path, root: Path) -> list[str]:
    """Problems of a built site: pages that load from the network, solution or
    hidden-test lines of ``solutions/``, nbgrader solution markers.

    Lecture pages may show solution-like code (the lectures teach what the assignments ask),
    so there only hidden-test lines count; every other page is checked against all solution
    lines. HTML is read as text (tags dropped), notebooks cell by cell.
    """
    secret, hidden = secret_lines(root), secret_lines(root, hidden_only=True)
    problems = []
    for path in sorted(p for p in Path(site).rglob("*") if p.is_file()):
        rel = path.relative_to(site)
        if rel.parts[0] == "_static" or path.suffix not in (".html", ".ipynb", ".txt", ".js"):
            continue
        raw = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".html":
            problems += [f"{rel}: loads {u} from the network" for u in remote_references(raw)]
            text = _html_text(raw)
        elif path.name.endswith((".ipynb", ".ipynb.txt")):  # downloads, _sources
            nb = nbformat.reads(raw, as_version=4)
            text = "\n".join(c.source for c in nb.cells)
        else:
            text = raw
        problems += [f"{rel}: contains {m!r}" for m in MARKERS if m in text]
        lines = hidden if "lectures" in rel.parts or "papers" in rel.parts else secret
        leaked = lines & {line.strip() for line in text.splitlines()}
        if leaked:
            problems.append(f"{rel}: solution/hidden-test lines: {sorted(leaked)[:3]}")
    return problems


def build_site(
    root: Path | None = None,
    out: Path | None = None,
    *,
    executed: Path | None = None,
    src: Path | None = None,
    modules: Path | None = None,
    partial: bool = False,
    quiet: bool = True,
) -> tuple[Path, Pages]:
    """Stage (:func:`stage`) and build the site into ``out`` (default ``build/site``).

    Raises ``RuntimeError`` with Sphinx's output when the build fails or warns, and when
    :func:`check_site` finds a problem. Returns the site folder and its pages.
    """
    from .course import find_root

    root = Path(root) if root else find_root()
    out = Path(out) if out else root / "build" / "site"
    src = Path(src) if src else out.parent / f"{out.name}_src"
    pages = stage(root, src, executed=executed, modules=modules, partial=partial)
    if out.exists():
        shutil.rmtree(out)
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-n"]
    cmd += ["-q"] if quiet else []
    cmd += ["-d", str(src / "_doctrees"), str(src), str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"sphinx-build failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    problems = check_site(out, root)
    if problems:
        raise RuntimeError("the site would not be fit to publish:\n" + "\n".join(problems))
    return out, pages


CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def find_browser() -> tuple[str | None, str]:
    """(path of a Chromium, '') or (None, the one-line reason why the browser check cannot
    run): Playwright's Python package drives Debian's ``chromium`` (``apt-get install
    chromium``); Playwright's own browser download is not needed."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return None, "playwright is not installed (pip install -e '.[dev]')"
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found, ""
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium", ""
    return None, "no chromium found (Debian/Ubuntu: apt-get install chromium)"


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on localhost (a thread) while the block runs; yields the base URL."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


# run in the page: wait for images and MathJax, then report what a reader would see
_INSPECT = """async () => {
  const imgs = [...document.images];
  imgs.forEach(i => { i.loading = 'eager'; });
  await Promise.all(imgs.map(i => i.complete ? 0 :
    new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); })));
  const math = [...document.querySelectorAll('.math')];
  if (document.querySelector('script[src*="MathJax.js"]')) {
    const t0 = Date.now();
    while (!(window.MathJax && MathJax.Hub && MathJax.isReady) && Date.now() - t0 < 20000)
      await new Promise(r => setTimeout(r, 50));
    if (window.MathJax && MathJax.Hub) {
      await new Promise(r => MathJax.Hub.Register.StartupHook('End', r));
      await new Promise(r => MathJax.Hub.Queue(r));
    }
  }
  const article = document.querySelector('article') || document.body;
  const h1 = article.querySelector('h1');
  const links = [...document.querySelectorAll('a[href]')].map(a => a.href);
  const unrendered = math.filter(m =>
    !m.querySelector('.MathJax_CHTML, .MJXc-display, .MathJax, .MathJax_Display')).length;
  const errors = document.querySelectorAll('.mjx-merror, .MathJax_Error, merror').length;
  const copy = article.cloneNode(true);
  copy.querySelectorAll('pre, code, .highlight, script, .math, .MathJax_Preview')
      .forEach(e => e.remove());
  const text = copy.textContent;
  const inline = text.match(/\\$[^$\\s][^$\\n]{0,200}?\\$/);
  return {
    title: document.title,
    h1: h1 ? h1.textContent.replace(/[#\\u00b6]\\s*$/, '').trim() : '',
    images: imgs.length,
    broken: imgs.filter(i => !(i.naturalWidth > 0)).map(i => i.getAttribute('src')),
    math: math.length, unrendered, errors,
    raw: ['$$', '\\\\(', '\\\\['].filter(s => text.includes(s)).concat(inline ? [inline[0]] : []),
    typeset: document.querySelectorAll('.MathJax_CHTML, .MathJax_Display').length,
    links,
  };
}"""


@dataclass
class PageReport:
    """What the browser saw on one page of the site."""

    url: str
    title: str = ""
    h1: str = ""
    images: int = 0
    math: int = 0
    typeset: int = 0  # formulas MathJax rendered
    problems: list[str] = field(default_factory=list)


def browser_check(
    site: Path,
    titles: dict[str, str],
    *,
    screenshots: Path | None = None,
    browser: str | None = None,
) -> list[PageReport]:
    """Open every page of ``site`` in headless Chromium (served on localhost) and report.

    ``titles`` maps page paths (``lectures/01_mobilenet.html``) to the expected title;
    every ``.html`` page outside ``_static`` is opened, plus a search for "quantization".
    A page's problems: console errors, failed, refused (non-localhost) or HTTP-error
    requests, images without pixels, math that MathJax did not render (or raw ``$$``),
    a title other than its first heading's (and than ``titles``), internal links to
    missing pages or anchors. With ``screenshots``, saves ``index.png`` (landing page) and
    ``lecture.png`` (the first lecture page, else paper-kit page, with a figure and an
    equation, scrolled so both show).
    """
    from urllib.parse import unquote, urldefrag, urlparse

    from playwright.sync_api import sync_playwright

    if browser is None:
        browser, why = find_browser()
        if browser is None:
            raise FileNotFoundError(why)
    site = Path(site)
    paths = sorted(
        p.relative_to(site).as_posix()
        for p in site.rglob("*.html")
        if p.relative_to(site).parts[0] not in ("_static", "_sources", "screenshots")
    )
    reports: list[PageReport] = []
    with serve(site) as base, sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=browser, args=list(CHROMIUM_ARGS))
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        remote: list[str] = []

        def route(r) -> None:
            if r.request.url.startswith(base) or r.request.url.startswith("data:"):
                r.continue_()
            else:
                remote.append(r.request.url)
                r.abort()

        context.route("**/*", route)
        page = context.new_page()
        events: list[str] = []
        page.on(
            "console",
            lambda m: events.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: events.append(f"page error: {e}"))
        page.on(
            "requestfailed",
            lambda r: (
                None
                if r.failure == "net::ERR_ABORTED" and r.url.startswith(base)  # left the page
                else events.append(f"request failed: {r.url} ({r.failure})")
            ),
        )
        page.on(
            "response",
            lambda r: events.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None,
        )
        seen_lecture_shot = False
        anchors: dict[str, set[str] | None] = {}

        def ids_of(url: str) -> set[str] | None:
            if url not in anchors:
                rel = urlparse(url).path.lstrip("/") or "index.html"
                target = site / rel
                if target.is_dir():
                    target = target / "index.html"
                if not target.is_file():
                    anchors[url] = None
                else:
                    text = target.read_text(encoding="utf-8", errors="replace")
                    found = re.findall(r"""\bid=(?:"([^"]*)"|'([^']*)')""", text)
                    anchors[url] = {html.unescape(a or b) for a, b in found}
            return anchors[url]

        searches = ["search.html?q=quantization"] if (site / "search.html").is_file() else []
        for rel in [*paths, *searches]:
            url = base + rel
            events.clear()
            remote.clear()
            report = PageReport(url)
            page.goto(url, wait_until="load")
            if rel.startswith("search.html?"):
                try:
                    page.wait_for_selector("ul.search li", state="attached", timeout=20000)
                except Exception:
                    summary = page.evaluate(
                        "() => (document.querySelector('#search-results') || {}).textContent"
                    )
                    report.problems.append(f"search for 'quantization' found nothing: {summary}")
            seen = page.evaluate(_INSPECT)
            report.title, report.h1 = seen["title"], seen["h1"]
            report.images, report.math = seen["images"], seen["math"]
            report.typeset = seen["typeset"]
            problems = report.problems
            problems += events
            problems += [f"remote request refused: {u}" for u in remote]
            problems += [f"image without pixels: {s}" for s in seen["broken"]]
            if seen["unrendered"] or seen["errors"]:
                problems.append(
                    f"math: {seen['unrendered']} of {seen['math']} not rendered, "
                    f"{seen['errors']} MathJax errors"
                )
            if not rel.startswith("search.html"):  # result snippets quote the TeX source
                problems += [f"raw {s} in the text" for s in seen["raw"]]
            page_key = rel.split("?")[0]
            want = titles.get(page_key)
            if want is not None and not report.title.startswith(want):
                problems.append(f"title {report.title!r}, expected {want!r}")
            if want is not None and report.h1 != want:
                problems.append(f"first heading {report.h1!r}, expected {want!r}")
            for link in seen["links"]:
                if not link.startswith(base):
                    continue
                target, frag = urldefrag(link)
                ids = ids_of(target)
                if ids is None:
                    problems.append(f"broken link: {link}")
                elif frag and not {frag, unquote(frag)} & ids and target.endswith(".html"):
                    problems.append(f"link to a missing anchor: {link}")
            if screenshots is not None:
                screenshots.mkdir(parents=True, exist_ok=True)
                if rel == "index.html":  # the top: title, navigation, lecture outline
                    page.set_viewport_size({"width": 1280, "height": 1700})
                    page.evaluate("window.scrollTo(0, 0)")
                    page.screenshot(path=str(screenshots / "index.png"))
                    page.set_viewport_size({"width": 1280, "height": 900})
                elif (
                    rel.startswith(("lectures/", "papers/"))
                    and not seen_lecture_shot
                    and report.images
                    and report.math
                ):
                    seen_lecture_shot = _shoot_figure_and_equation(
                        page, screenshots / "lecture.png"
                    )
            reports.append(report)
        chromium.close()
    return reports


def _shoot_figure_and_equation(page, path: Path) -> bool:
    """Scroll to the first output figure with an equation shortly above it; screenshot."""
    top = page.evaluate("""() => {
      const imgs = [...document.querySelectorAll('article img')];
      const math = [...document.querySelectorAll('article .math')];
      const y = e => e.getBoundingClientRect().top + window.scrollY;
      for (const img of imgs) {
        const above = math.filter(m => y(m) < y(img) && y(img) - y(m) < 1100);
        if (above.length) return y(above[0]) - 40;
      }
      return null;
    }""")
    if top is None:
        return False
    page.set_viewport_size({"width": 1280, "height": 1300})
    page.evaluate(f"window.scrollTo(0, {top})")
    page.wait_for_timeout(300)
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": 1280, "height": 900})
    return True


def install_html_assets(folder: Path, modules: Path | None = None) -> Path:
    """Copy MathJax and require.js for nbconvert's HTML into ``folder/_html_assets`` (once:
    a folder that has them is left alone). ``FileNotFoundError`` without ``npm ci``."""
    target = Path(folder) / HTML_ASSETS
    if (target / ".complete").is_file():  # one copy per folder, not one per notebook
        return target
    modules = modules or node_modules()
    install_assets(folder, modules, packages=("mathjax", "requirejs"), subdir=HTML_ASSETS)
    (target / ".complete").write_text("copied from node_modules by medeff.site\n")
    return target


def lecture_html_exporter(assets: str = HTML_ASSETS):
    """nbconvert's ``HTMLExporter`` loading MathJax and require.js from ``assets`` (a
    folder next to the HTML, see :func:`install_html_assets`) instead of CDNs."""
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    c = Config()
    c.HTMLExporter.mathjax_url = f"{assets}/mathjax/MathJax.js?config={MATHJAX_CONFIG}"
    c.HTMLExporter.require_js_url = f"{assets}/requirejs/require.js"
    exp = HTMLExporter(config=c)
    # imported only when a notebook has Mermaid diagrams (ours have none); a module
    # specifier must start with "./", and the ELK layout would come from a CDN
    exp.mermaid_js_url = f"./{assets}/{MERMAID_STUB}"
    exp.mermaid_layout_elk_js_url = ""
    return exp


def page_titles(pages: Pages) -> dict[str, str]:
    """Expected title of each HTML page: the notebook's first heading; the landing page's."""
    titles = {name.removesuffix(".ipynb") + ".html": t for name, t in pages.titles.items()}
    titles["index.html"] = "Deep Learning Model Efficiency"
    return titles


def main(argv: Sequence[str] | None = None) -> int:
    from .course import find_root

    parser = argparse.ArgumentParser(prog="python -m medeff.site", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--out", type=Path, default=None, help="output folder (build/site)")
    parser.add_argument(
        "--partial",
        action="store_true",
        help="show lectures that were not executed without outputs instead of stopping",
    )
    parser.add_argument(
        "--no-browser", action="store_true", help="skip the check in headless Chromium"
    )
    args = parser.parse_args(argv)
    root = find_root()
    start = time.perf_counter()
    try:
        site, pages = build_site(root, args.out, partial=args.partial)
    except FileNotFoundError as err:
        print(f"make site: {err}", file=sys.stderr)
        return 2
    for note in pages.notes:
        print(f"note: {note}")
    print(
        f"course site: {site / 'index.html'} ({len(pages.all)} notebook pages, "
        f"{time.perf_counter() - start:.0f} s); works offline, copy the folder to any "
        "static host to publish it"
    )
    browser, why = (None, "--no-browser") if args.no_browser else find_browser()
    if browser is None:
        print(f"browser check skipped: {why}")
        return 0
    start = time.perf_counter()
    reports = browser_check(site, page_titles(pages), screenshots=site / "screenshots")
    bad = [r for r in reports if r.problems]
    for r in bad:
        print(f"{r.url}:\n  " + "\n  ".join(r.problems[:10]), file=sys.stderr)
    print(
        f"browser check (headless Chromium, offline): {len(reports) - len(bad)}/{len(reports)} "
        f"pages clean in {time.perf_counter() - start:.0f} s; screenshots in "
        f"{site / 'screenshots'}"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
