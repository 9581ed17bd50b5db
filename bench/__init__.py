"""Benchmarks, each file a script (``.venv/bin/python bench/NAME.py``), and the simulated branch day
(:mod:`bench.simulation`) that the wait-accuracy benchmark and the tests share. It needs SimPy, a
test-only dependency, so it lives here and not in the package."""
