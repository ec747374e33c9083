"""Target `fake`: scripted verdicts for tests and demos (see target.py)."""
