"""Clocks and rules: SLA targets in business hours, routing, escalation, auto-close."""
