"""Benchmarks and the synthetic corpus generator; never imported by the product package `pipeline/`."""
