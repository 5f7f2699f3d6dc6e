print("pnyx-bench: no benchmarks yet")
