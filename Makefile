# The book's commands. `make book` and `make test` set everything up on a fresh machine.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
JB_FLAGS := -W -n --keep-going
SEEDS ?= 0 1 2 3 4

.PHONY: help venv book book-stored check-install test test-site notebooks seeds controls paper bench student pdf clean clean-all

help:
	@echo "make book       build the HTML book into _build/html (executes changed chapters)"
	@echo "make test       unit tests, twin sync, nbval, a second seed, book build with -W"
	@echo "make notebooks  re-execute every chapter in place (refresh stored outputs)"
	@echo "make seeds      claims of every chapter for SEEDS='$(SEEDS)'"
	@echo "make controls   every chapter once per premise switched off: the claims resting on it must fail"
	@echo "make paper      every chapter at paper scale; claims and CPU seconds to book/data/paper.json"
	@echo "make bench      time every chapter and the book build (writes _build/bench.json)"
	@echo "make test-site  build the book and check every page in headless Chromium"
	@echo "make check-install  the front page's install steps in a fresh venv outside the repository"
	@echo "make student    student notebooks without solutions in _build/student (executed)"
	@echo "make pdf        the whole book as a PDF, offered on the site (installs Debian's TeX packages)"
	@echo "make venv       only create .venv;  make clean  remove _build"

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[book,test,reader]"
	touch $@

# The package as a wheel, offered on the site for readers who run a chapter elsewhere.
WHEEL_DIR := book/_generated/wheel
define wheel
	rm -rf $(WHEEL_DIR) && $(BIN)/pip wheel --quiet --disable-pip-version-check --no-deps --no-build-isolation -w $(WHEEL_DIR) . >/dev/null; s=$$?; rm -rf build; exit $$s
endef

# Jupyter Book cache mode: only notebooks whose code changed are executed again.
book: venv
	$(call wheel)
	$(PY) tools/report.py
	$(PY) tools/student.py --no-run --out book/_generated/student
	$(BIN)/jupyter-book build . $(JB_FLAGS)

# Build from the outputs stored in the notebooks, executing nothing: $(call stored_build,FLAGS)
define stored_build
	$(call wheel)
	$(PY) tools/report.py
	$(PY) tools/student.py --no-run --out book/_generated/student
	sed 's/execute_notebooks: cache/execute_notebooks: "off"/' _config.yml > _build_config.yml
	$(BIN)/jupyter-book build . --config _build_config.yml $(1); s=$$?; rm -f _build_config.yml; exit $$s
endef

# The HTML book from the stored outputs (used by `make test`: nbval has just checked them).
book-stored: venv
	$(call stored_build,$(JB_FLAGS))

test: venv
	tools/test.sh

# The front page's install steps, literally, in a fresh venv outside the repository (.ci/run runs it).
check-install: book-stored
	tools/check_install.sh

# Every page opened in headless Chromium (Debian's chromium): equations, images, glue, links.
test-site: book-stored
	$(PY) tools/check_site.py

notebooks: venv
	$(PY) tools/execute.py

seeds: venv
	$(PY) tools/run_seeds.py $(SEEDS)

# Premise controls: writes book/data/controls.json, which the reproducibility report shows.
controls: venv
	$(PY) tools/controls.py

# Paper scale (2 workers): PAPER_ARGS='--device cuda' on a GPU machine.
PAPER_ARGS ?=
paper: venv
	$(PY) tools/paper.py $(PAPER_ARGS)

# About 10 minutes; BENCH_ARGS='--scales ci,paper' also times every chapter at paper scale (long)
BENCH_ARGS ?=
bench: venv
	$(PY) tools/bench.py $(BENCH_ARGS)

student: venv
	$(PY) tools/student.py

TEX_PACKAGES := texlive-xetex texlive-latex-extra texlive-fonts-recommended texlive-plain-generic latexmk fonts-freefont-otf lmodern
pdf: venv
	command -v xelatex >/dev/null && command -v latexmk >/dev/null || \
	  (apt-get update -qq && apt-get install -y -qq --no-install-recommends $(TEX_PACKAGES))
	$(call stored_build,--builder pdflatex)
	@ls -l _build/latex/book.pdf
	$(MAKE) --no-print-directory book-stored   # the HTML book offers the new PDF for download

clean:
	rm -rf _build book/_generated

clean-all: clean
	rm -rf $(VENV)
