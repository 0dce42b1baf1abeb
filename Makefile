# exam-pdf: `make demo` and `make test` each do the whole set-up first
# (Debian packages when missing, a virtualenv, the Python packages).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.exam-pdf-installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# TeX Live and fonts for the PDF, poppler for reading PDFs back in tests,
# Chromium for the browser tests, pandoc for the benchmark's reference, LibreOffice's
# spreadsheet for reading back the grading sheet (tests/test_grading.py).
DEB_PACKAGES := latexmk texlive-xetex texlive-latex-recommended texlive-latex-extra \
	texlive-fonts-recommended fonts-freefont-otf fonts-dejavu-core fonts-wqy-zenhei \
	fonts-symbola poppler-utils chromium pandoc icc-profiles-free libreoffice-calc-nogui
LINTED       := exam_pdf tests benchmarks examples tools
DEB_TOOLS    := latexmk xelatex pdftotext pdffonts pdftoppm chromium pandoc fc-match soffice

.PHONY: demo test test-fast setup system-deps python-deps lint type docs bench clean

demo: setup
	@echo "== exam-pdf check (the example breaks a few rules on purpose: exit code 1 is expected)"
	@$(BIN)/exam-pdf check examples/report; test $$? -le 1
	@echo "== exam-pdf build"
	@$(BIN)/exam-pdf build examples/report --out examples/report; test $$? -le 1
	@test -s examples/report/report.pdf && test -s examples/report/report.html
	@echo "PDF:  $(CURDIR)/examples/report/report.pdf"
	@echo "HTML: $(CURDIR)/examples/report/report.html"

# The four gates, as in tox: tests (warnings are errors; the docs build is one of the
# tests), lint, format and types. CI runs exactly this (.ci/run, with EXAM_PDF_CORPUS
# set when ../shared/corpus exists). The tests run on two workers (pytest-xdist); a
# module's tests stay on one worker, so that its shared builds are made once.
# PYTHONDONTWRITEBYTECODE is cleared for pytest: with it set, each worker and each
# `python -m exam_pdf` the tests start compiles the sources (and pytest rewrites the
# test modules' asserts) anew, some 10-20 CPU-seconds of the fast loop.
PYTEST_WORKERS ?= 2
PYTEST := PYTHONDONTWRITEBYTECODE= $(BIN)/pytest
test: setup
	$(PYTEST) -q -rs -n $(PYTEST_WORKERS) --dist loadfile
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy exam_pdf benchmarks

# The loop to run after each change: the unit and CLI tests that need no TeX, no
# browser, no corpus and no package index (40 s on this 2-core machine, 2 Dec 2026).
test-fast: python-deps
	@echo "test-fast: leaves out the tests marked latex, browser, corpus, wheel and slow (make test runs them all)"
	$(PYTEST) -q -n $(PYTEST_WORKERS) --dist loadfile -m "not latex and not browser and not corpus and not wheel and not slow"

setup: system-deps python-deps

system-deps:
	@missing=""; for tool in $(DEB_TOOLS); do command -v $$tool >/dev/null 2>&1 || missing="$$missing $$tool"; done; \
	test -f /usr/share/color/icc/sRGB.icc || missing="$$missing icc:sRGB"; \
	for font in FreeSerif "DejaVu Sans Mono" "WenQuanYi Zen Hei" Symbola; do \
		fc-match -f '%{family}' "$$font" 2>/dev/null | grep -qi "$$font" || missing="$$missing font:$$font"; done; \
	if [ -n "$$missing" ]; then \
		echo "== installing Debian packages (missing:$$missing)"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(DEB_PACKAGES); \
	fi

python-deps: $(STAMP)

$(STAMP): setup.cfg pyproject.toml requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,bench]' -r requirements-dev.txt
	touch $(STAMP)

lint: setup
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

type: setup
	$(BIN)/mypy exam_pdf benchmarks

docs: setup
	$(BIN)/sphinx-build -nW --keep-going -b html docs docs/_build/html
	@echo "docs: $(CURDIR)/docs/_build/html/index.html"

bench: setup
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .exam-pdf-cache examples/report/.exam-pdf-cache
