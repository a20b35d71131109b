"""Loom benchmarks (``make bench``). Never part of ``make test``; see bench/README.md."""
