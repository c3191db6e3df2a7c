"""sodbench: exact, fast evaluation for salient object detection."""
__version__ = "0.1.0"
