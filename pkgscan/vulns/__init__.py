"""Vulnerability matching: OSV advisory sources, exact version semantics, findings, policy."""
