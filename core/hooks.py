"""Registered hooks: how a lower app asks a higher one without importing it.

The layering (README, "Architecture") is core ← org ← scoring ← audits ← hazards ← the apps on
top. A lower app that needs an answer only a higher app can give (audits asking which checklist
items the hazards whitelist exempts) declares a `Hook` in its own `hooks.py`; the higher app
registers a function on it in its `AppConfig.ready()`. Every app's ready() runs before the first
request or task, so the order of INSTALLED_APPS does not matter; with the higher app not
installed the hook simply has no receivers.
"""

from __future__ import annotations

from collections.abc import Callable


class Hook:
    """A named extension point. Receivers are kept by their dotted name, so registering the same
    function twice (ready() runs again in some test set-ups) keeps one."""

    def __init__(self, name: str, doc: str = ""):
        self.name = name
        self.__doc__ = doc
        self._receivers: dict[str, Callable] = {}

    def register(self, func: Callable) -> Callable:
        self._receivers[f"{func.__module__}.{func.__qualname__}"] = func
        return func

    def unregister(self, func: Callable) -> None:
        self._receivers.pop(f"{func.__module__}.{func.__qualname__}", None)

    @property
    def receivers(self) -> list[Callable]:
        return list(self._receivers.values())

    def call(self, **kwargs) -> list:
        """Every receiver's answer, in registration order (keyword arguments only)."""
        return [func(**kwargs) for func in self._receivers.values()]

    def __repr__(self):
        return f"<Hook {self.name}: {len(self._receivers)} receiver(s)>"
