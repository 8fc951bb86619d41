"""Shared machinery with no domain of its own: the local calendar, the lifecycle engine (lifecycle.py)
and the after-commit seam. The lowest layer: `core` imports no app of this project."""
