"""Hawk's command line (typer)."""
