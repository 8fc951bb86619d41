"""The app layering, written down once and enforced with import-linter (run by scripts/test.sh,
i.e. `make test`). An app may import the apps BELOW it, never those above; apps on one line may
import each other. Any import counts, a function-level one included.

    config                          settings, URLs: may import everything
    planning : kpis : portal        apps on top of the domain (each only when it exists)
    hazards                         hazard files, lifecycle, notices, reminders
    audits                          inspections, their lifecycle, reports
    scoring                         standards, roll-up, 得分率
    notifications                   the outbox and its channels (business services enqueue into it)
    org                             units, sites, people, scoping, uploads, documents
    core                            calendar, lifecycle engine, after-commit seam, hooks

Why notifications sits low (the issue sketched it on top): every business service writes its
messages into the outbox in its own transaction (`message_enqueue`), so the services must be able
to import it; the outbox needs only users and units. What a message is about is a generic
reference (content type and id), so notifications knows no domain model. A lower app that needs
an answer from a higher one declares a `core.hooks.Hook` (e.g. `audits.hooks.exempt_items`, which
hazards' whitelist answers).

A new app: add it to LAYERS. An app listed but not (yet) present is skipped, so branches that
add planning, kpis or portal later need no change here.

Usage: python scripts/check_layers.py [--root DIR] [--layers "a,b:c,d"]   (top layer first)
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent

# Top first; a tuple is one layer of apps that may import each other.
LAYERS: list[str | tuple[str, ...]] = [
    "config",
    ("planning", "kpis", "portal"),
    "hazards",
    "audits",
    "scoring",
    "notifications",
    "org",
    "core",
]


def present(layers, root: pathlib.Path) -> list[tuple[str, ...]]:
    result = []
    for layer in layers:
        names = (layer,) if isinstance(layer, str) else tuple(layer)
        names = tuple(n for n in names if (root / n / "__init__.py").is_file())
        if names:
            result.append(names)
    return result


def config_text(layers: list[tuple[str, ...]]) -> str:
    packages = [name for layer in layers for name in layer]
    lines = ["[importlinter]", "root_packages =", *(f"    {p}" for p in packages), "",
             "[importlinter:contract:layers]",
             "name = Apps import only the apps below them (scripts/check_layers.py)",
             "type = layers", "layers =", *(f"    {' : '.join(layer)}" for layer in layers), ""]
    return "\n".join(lines)


def check(layers, root: pathlib.Path = ROOT) -> int:
    """Run the contract; 0 when kept. Prints import-linter's report (the offending import chains)."""
    from importlinter.cli import lint_imports

    layers = present(layers, root)
    sys.path.insert(0, str(root))
    with tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False) as handle:
        handle.write(config_text(layers))
    try:
        return lint_imports(config_filename=handle.name, no_cache=True, no_logo=True)
    finally:
        pathlib.Path(handle.name).unlink()


def parse_layers(text: str) -> list[tuple[str, ...]]:
    return [tuple(part.split(":")) for part in text.split(",") if part]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=pathlib.Path, default=ROOT)
    parser.add_argument("--layers", help='top first, e.g. "upper,mid1:mid2,lower" (default: LAYERS)')
    args = parser.parse_args(argv)
    return check(parse_layers(args.layers) if args.layers else LAYERS, args.root.resolve())


if __name__ == "__main__":
    sys.exit(main())
