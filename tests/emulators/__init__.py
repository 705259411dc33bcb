"""Loopback stand-ins for Harness and Slack, shared by tests, the sandbox and benchmarks."""
