"""Sphinx configuration of the course site (``make site`` -> ``build/site/``).

``python -m medeff.site`` copies this file, ``index.md`` and ``_static/`` into a staging
folder (``build/site_src/``) beside the executed lectures, the paper kit, the released
assignments and a local MathJax, then runs ``sphinx-build`` there. Nothing is executed
(``nb_execution_mode = "off"``) and nothing is loaded from the network: MathJax 2 comes
from ``node_modules/mathjax`` (``npm ci``), the theme's scripts, styles and fonts from the
theme package itself.
"""

project = "Deep Learning Model Efficiency"
author = "Medical Image Computing, lecture 14"
copyright = "the course authors (MIT licence)"
html_title = project

extensions = ["myst_nb", "sphinx.ext.mathjax"]
exclude_patterns = ["_build", "_includes", "**.ipynb_checkpoints", "Thumbs.db", ".DS_Store"]
root_doc = "index"
language = "en"

# --- notebooks: render what `make course` executed, never run them again
nb_execution_mode = "off"
nb_merge_streams = True
nb_render_markdown_format = "myst"  # markdown outputs (display(Markdown(table))): tables, math
nb_ipywidgets_js = {}  # the widget manager would come from a CDN; the lectures have no widgets
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
myst_dmath_double_inline = True
myst_update_mathjax = False  # MyST would write a MathJax 3+ config, which MathJax 2 misreads
suppress_warnings = ["mystnb.unknown_mime_type", "myst.header"]

# --- math: a local MathJax 2 (node_modules/mathjax, copied by medeff.site), no CDN
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"
mathjax2_config = {
    "tex2jax": {
        "inlineMath": [["\\(", "\\)"]],
        "displayMath": [["\\[", "\\]"]],
        "processEscapes": True,
        # MyST marks each page's top section "tex2jax_ignore mathjax_ignore"; the math
        # nodes ("math" class) inside are what MathJax typesets, code blocks never
        "ignoreClass": "tex2jax_ignore|mathjax_ignore|highlight",
        "processClass": "math",
    },
    "CommonHTML": {"linebreaks": {"automatic": True}},
    "showMathMenu": False,
    "messageStyle": "none",
}

# --- theme: sphinx-book-theme (pydata-sphinx-theme underneath); every asset is local
html_theme = "sphinx_book_theme"
html_static_path = ["_static"]
html_css_files = ["course.css"]
html_theme_options = {
    "show_toc_level": 2,
    "home_page_in_toc": True,
    "use_download_button": True,
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "launch_buttons": {},
    "navigation_with_keys": False,
    "show_navbar_depth": 1,
}
html_show_sourcelink = False
html_copy_source = True
html_last_updated_fmt = None
html_favicon = "_static/favicon.svg"  # else browsers ask for /favicon.ico and get a 404
html_context = {"default_mode": "light"}  # an unset mode logs a console error on first visit
