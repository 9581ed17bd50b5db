# Two entry points for a newcomer: `make demo` runs the system, `make test` runs the tests.
# Both create .venv on first use and (re)install when pyproject.toml changes.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck bench screenshots clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

# Other ports: make demo DEMO_ARGS="--port 8100 --kiosk-port 8101"
demo: $(STAMP)
	$(VENV)/bin/branchq demo $(DEMO_ARGS)

# Lint and types first (ruff, mypy: seconds), then the suite: one test process per core (at
# most 4), a module's tests kept together (they share a host).
test: lint
	$(PY) -m pytest -n auto --maxprocesses 4 --dist loadscope

lint: $(STAMP)
	$(VENV)/bin/ruff check host kiosk drivers tests bench
	$(MAKE) typecheck

# mypy reads the package by its installed names (branchq.host, ...): an editable install is an
# import hook mypy cannot follow, so it reads a tree of links to the folders instead.
typecheck: $(STAMP)
	mkdir -p build/typecheck/branchq
	for d in host kiosk drivers; do ln -sfn ../../../$$d build/typecheck/branchq/$$d; done
	MYPYPATH=build/typecheck $(VENV)/bin/mypy -p branchq

# Every benchmark script (simulation.py and oracle.py are the branch-day model and its futures,
# which the benchmarks and the tests share).
BENCHES := $(filter-out bench/__init__.py bench/simulation.py bench/oracle.py,$(wildcard bench/*.py))
bench: $(STAMP)
	for b in $(BENCHES); do $(PY) $$b || exit 1; done

# Regenerate docs/screenshots/ on purpose (tests never write there); look at every image after.
screenshots: $(STAMP)
	$(PY) docs/tools/kiosk_screenshots.py
	$(PY) docs/tools/web_screenshots.py

clean:
	rm -rf $(VENV) var build *.egg-info
