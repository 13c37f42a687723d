# Deep Learning Model Efficiency -- course build.
#   make course   set up, execute every lecture, regenerate the release, autograde the solutions
#   make test     set up, then run the test suite (what CI runs)
#   make lab      open JupyterLab on the repository
#   make student-bundle   build/student(.zip): what students get (no solutions, no tests)
#   make site     build/site/: the lectures executed by `make course` as an offline static site
#   make lint     jupytext sync, notebooks without outputs, ruff (the pre-commit hooks, every file)
PYTHON ?= python3
VENV   ?= .venv
VPY    := $(VENV)/bin/python
STAMP  := $(VENV)/.medeff-installed
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install course test lab lint lectures release fast clean student-bundle slides site

$(VPY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(VPY)
	$(VPY) -m pip install --quiet --upgrade "pip>=23"
	$(VPY) -m pip install --quiet -e ".[dev]"
	$(VPY) -c "import medeff, torch, torchvision, thop, nbgrader; print('medeff', medeff.__version__, '| torch', torch.__version__, '| torchvision', torchvision.__version__)"
	touch $(STAMP)

install: $(STAMP)

course: install
	@test -d node_modules/mathjax || npm ci --no-audit --no-fund
	$(VPY) -m medeff.course all

lectures: install
	@test -d node_modules/mathjax || npm ci --no-audit --no-fund
	$(VPY) -m medeff.course lectures

release: install
	$(VPY) -m medeff.course release

test: install
	$(VPY) -m pytest

# build/student/ + build/student.zip: lectures, released assignments, medeff, a student README
student-bundle: install
	$(VPY) -m medeff.bundle

lab: install
	$(VENV)/bin/jupyter lab

# make slides NB=lectures/papers/gsp_conv_reproduction.ipynb [FAST=1]: an offline reveal.js
# deck in build/slides/ (reveal.js, MathJax from node_modules: `npm ci` once)
slides: install
	@test -n "$(NB)" || { echo "usage: make slides NB=lectures/papers/<name>.ipynb [FAST=1]"; exit 2; }
	@test -d node_modules/reveal.js || npm ci --no-audit --no-fund
	$(VPY) -m medeff.slides $(NB) $(if $(FAST),--fast,)

# build/site/: a static site (Sphinx + MyST-NB) of the notebooks `make course` executed into
# build/lectures/ (not executed again), the paper kit and the assignment release; MathJax from
# node_modules; checked page by page in headless Chromium when it is installed
site: install
	@test -d node_modules/mathjax || npm ci --no-audit --no-fund
	$(VPY) -m medeff.site

# the pre-commit hooks (jupytext sync, output stripping, ruff check + format) over every file
lint: install
	$(VENV)/bin/pre-commit run --all-files

clean:
	rm -rf build submitted autograded feedback gradebook.db .pytest_cache
