"""Evaluation over folders: reading, pairing, caching, scheduling, the results document."""
