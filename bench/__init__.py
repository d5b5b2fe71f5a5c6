"""Benchmarks (`make bench`): every figure printed beside its floor, measured in the same run."""
