"""The package layout holds: no import cycles, no stage imports another's CLI edge, every command has one edge, and
every dvc.yaml stage's deps cover the static import closure of its command (so a change re-runs the stage)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import yaml

from pipeline.__main__ import COMMANDS
from pipeline.evaluation.evaluate_cli import EVALUATIONS

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "pipeline"


def module_name(path: Path) -> str:
    """pipeline/frames/cv.py -> pipeline.frames.cv; a package's __init__.py -> the package."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_files() -> dict[str, Path]:
    """Every module of the package by dotted name."""
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The project modules a file imports anywhere in it (top level or inside functions), resolved to modules."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            if name in known:
                out.add(name)
    return out


def import_graph() -> dict[str, set[str]]:
    """module -> the project modules it imports (importing a.b.c also imports the packages a and a.b)."""
    files = module_files()
    known = set(files)
    graph: dict[str, set[str]] = {}
    for mod, path in files.items():
        deps = imports_of(path, known)
        deps |= {".".join(d.split(".")[:i]) for d in deps for i in range(1, d.count(".") + 1)} & known
        graph[mod] = deps - {mod}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def closure(graph: dict[str, set[str]], start: str) -> set[str]:
    """Every module `start` imports, directly or not, and itself."""
    seen, todo = {start}, [start]
    while todo:
        for nxt in graph.get(todo.pop(), set()) - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


def test_cycle_finder_on_a_hand_built_graph() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert closure(graph, "d") == {"a", "b", "c", "d"}


def test_the_package_has_no_import_cycles() -> None:
    assert cycles(import_graph()) == []


def test_every_command_has_one_edge_module_and_help_lists_them() -> None:
    files = module_files()
    for name, (module, _) in COMMANDS.items():
        assert module in files, f"command {name}: {module} does not exist"
        assert module.endswith("_cli"), f"command {name}: its edge {module} is not a *_cli module"
    for name, module in EVALUATIONS.items():
        assert module in files and module.endswith("_cli"), f"evaluate {name}: {module}"
    edges = {m for m in files if m.endswith("_cli")}
    assert edges == {m for m, _ in COMMANDS.values()} | set(EVALUATIONS.values())


def test_no_module_imports_another_commands_edge() -> None:
    graph = import_graph()
    bad = sorted((mod, dep) for mod, deps in graph.items() for dep in deps
                 if dep.endswith("_cli") and mod != "pipeline.evaluation.evaluate_cli")
    assert bad == []


def stage_commands() -> dict[str, tuple[str, list[str]]]:
    """dvc.yaml stage -> (the pipeline command its cmd runs, its deps)."""
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    out = {}
    for name, st in stages.items():
        m = re.match(r"python -m pipeline ([a-z_]+)", st["cmd"].strip())
        assert m, f"stage {name}: cmd does not run `python -m pipeline COMMAND`"
        out[name] = (m.group(1), [str(d) for d in st.get("deps") or []])
    return out


def covered(path: str, deps: list[str]) -> bool:
    """Whether a file is one of the deps or inside a dep folder."""
    return any(path == d or path.startswith(d.rstrip("/") + "/") for d in deps)


def test_every_stage_depends_on_the_modules_its_command_imports() -> None:
    graph, files = import_graph(), module_files()
    for stage, (command, deps) in stage_commands().items():
        module = COMMANDS[command][0]
        needed = closure(graph, module) | closure(graph, "pipeline.__main__")
        if command == "evaluate":
            needed |= {m for e in EVALUATIONS.values() for m in closure(graph, e)}
        missing = sorted(str(files[m].relative_to(ROOT)) for m in needed
                         if not covered(str(files[m].relative_to(ROOT)), deps))
        assert missing == [], f"stage {stage}: deps miss {missing}"


def test_stage_deps_name_folders_not_single_modules() -> None:
    for stage, (_, deps) in stage_commands().items():
        modules = [d for d in deps if d.startswith("pipeline/") and d.endswith(".py")
                   and d not in ("pipeline/__init__.py", "pipeline/__main__.py")]
        assert modules == [], f"stage {stage}: name the package folder instead of {modules}"
