"""Benchmark harness for Hourglass: a data generator and a request timer (see README.md)."""
