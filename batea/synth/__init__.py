"""Synthetic federations at scale for benchmarks and load tests (`batea synth`)."""
