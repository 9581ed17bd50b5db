# Two entry points for a newcomer: `make demo` runs the system, `make test` runs the tests.
# Both create .venv on first use and (re)install when pyproject.toml changes.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint bench screenshots clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/branchq demo

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check host kiosk drivers tests bench

bench: $(STAMP)
	for b in bench/*.py; do $(PY) $$b || exit 1; done

# Regenerate docs/screenshots/ on purpose (tests never write there); look at every image after.
screenshots: $(STAMP)
	$(PY) docs/tools/web_screenshots.py

clean:
	rm -rf $(VENV) var build *.egg-info
