"""regionscope performance benchmarks (see run.py)."""
