"""Figures for managers: reports and the console's dashboard."""
