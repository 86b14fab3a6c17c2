"""`make bench`: the benchmark runner.

The portfolio generator and the measured scenarios arrive with the scale issue;
until then this lists what would run, so `make bench` already works.
"""

import sys
from pathlib import Path

SCENARIOS = sorted(path.stem for path in Path(__file__).parent.glob("bench_*.py"))


def main() -> int:
    if not SCENARIOS:
        print("No benchmark scenarios yet (benchmarks/bench_*.py).")
        return 0
    for name in SCENARIOS:
        print(f"running {name}")
        module = __import__(f"benchmarks.{name}", fromlist=["run"])
        module.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
