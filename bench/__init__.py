"""Benchmarks (`make bench`): each bench_*.py module measures ratios that bench/run.py checks."""
