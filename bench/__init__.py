"""Benchmarks for the issue-2 targets; run them with `make bench` or `python -m bench.run [NAME]`.

Every figure is measured beside its baseline in the same run and reported as a ratio:
absolute numbers on a shared two-core machine drift from run to run.
"""
