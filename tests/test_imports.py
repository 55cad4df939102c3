"""The package's shape: imports point down the stack, no cycles, the library never imports the
CLI, modules stay small. Walks the source with `ast` (nothing is imported) and names each edge."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "steerbridge"
# Bottom to top. A module may import its own level or lower ones, never a higher one.
STACK = ("version", "errors", "progress", "cachekeys", "checks", "safeio", "models", "vectors",
         "bridge", "evaluation", "run", "__init__", "cli")
MAX_LINES = 350


def _modules() -> dict[str, Path]:
    out = {}
    for f in PACKAGE.rglob("*.py"):
        parts = f.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts).removesuffix(".__init__")
        out[name] = f
    return out


def _level(module: str) -> int:
    """Index in STACK of a module's top-level part (`steerbridge.bridge.fits` -> bridge)."""
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else "__init__"
    assert top in STACK, f"{module}: folder {top!r} is not in the stack; add it to STACK"
    return STACK.index(top)


def _edges(mods: dict[str, Path]) -> dict[str, set[str]]:
    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    edges: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [f"{node.module}.{a.name}" for a in node.names]
            for n in names:
                target = resolve(n) if n.startswith("steerbridge") else None
                if target and target != mod:
                    edges[mod].add(target)
    return edges


def test_imports_point_down_the_stack() -> None:
    mods = _modules()
    up = [f"{m} -> {t}" for m, ts in _edges(mods).items() for t in ts
          if _level(t) > _level(m)]
    assert not up, "imports that point up the stack (or into the CLI): " + "; ".join(sorted(up))


def test_no_import_cycles() -> None:
    mods = _modules()
    inits = {m for m, p in mods.items() if p.name == "__init__.py"}
    graph = {m: {t for t in ts if t not in inits} for m, ts in _edges(mods).items()
             if m not in inits}
    cycles: list[str] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(u: str) -> None:
        state[u] = 1
        stack.append(u)
        for v in sorted(graph.get(u, ())):
            if state.get(v) == 1:
                cycles.append(" -> ".join([*stack[stack.index(v):], v]))
            elif v not in state:
                visit(v)
        stack.pop()
        state[u] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    assert not cycles, "import cycles: " + "; ".join(cycles)


def test_library_never_imports_the_cli() -> None:
    bad = [f"{m} -> {t}" for m, ts in _edges(_modules()).items() for t in ts
           if ".cli" in t and ".cli" not in m]
    assert not bad, "library modules importing the CLI: " + "; ".join(bad)


def test_modules_stay_small() -> None:
    big = {m: n for m, p in _modules().items()
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not big, f"modules over {MAX_LINES} lines (split them by idea): {big}"


def test_the_checks_catch_what_they_claim(tmp_path: Path) -> None:
    """The edge finder sees plain, aliased and function-level imports (so the checks can fail)."""
    src = "import steerbridge.cli\nfrom steerbridge.run import pipeline as p\n" \
          "def f():\n    from steerbridge.bridge.fits import fit_ridge\n"
    tree = ast.parse(src)
    found = [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
    assert len(found) == 3
    assert _level("steerbridge.cli.app") > _level("steerbridge.run.pipeline") > \
        _level("steerbridge.bridge.fits") > _level("steerbridge.models.loading")


def test_package_face_resolves_every_name() -> None:
    import steerbridge

    assert set(steerbridge.__all__) == {"SteerbridgeError", "__version__",
                                        *steerbridge._FACE}
    for name in steerbridge.__all__:
        assert getattr(steerbridge, name) is not None, name
    assert steerbridge.fit_bridge.__module__ == "steerbridge.bridge.fitting"
