"""Shared machinery with no domain of its own: the local calendar, (later) the lifecycle engine
and the after-commit seam. The lowest layer: `core` imports no app of this project."""
