"""Outbound delivery: plan, claim, push, retry, receipt (see publisher/README.md)."""
