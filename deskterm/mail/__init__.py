"""The mail channel: inbound parsing and threading, outbound rendering and delivery."""
