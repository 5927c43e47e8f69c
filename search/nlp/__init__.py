"""Plain-Python text analysis shared by the index build, the engine and the benchmarks (no Django)."""
