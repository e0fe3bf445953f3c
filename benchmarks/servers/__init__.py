"""The servers the benchmarks compare, one small program each (started by the runner)."""
