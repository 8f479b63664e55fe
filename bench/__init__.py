"""Benchmark of the policybot service: index build, embedding floor, HTTP latency, throughput and memory."""
