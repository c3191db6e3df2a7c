"""The bundled synthetic sample, the frequency-tuned baseline, and ``sodbench demo``."""

from sodbench.demo.run import DemoReport, run_demo

__all__ = ["DemoReport", "run_demo"]
