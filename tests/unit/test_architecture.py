"""The shape of the import graph of bot/ and actions/ (docs/ARCHITECTURE.md): no cycles, no layer importing
one above it, Rasa imported only at the boundary, no tooling imported by the assistant.

Every import counts, including those inside functions and under `if TYPE_CHECKING:`: a late import still
ties the two modules together. `from bot.x import y` is an edge to bot.x.y when that is a module, else to bot.x."""
from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "actions")

# Bottom to top; a module may import its own layer (acyclically) and those below it, never one above.
LAYERS: Sequence[Tuple[str, Sequence[str]]] = (
    ("foundation", ("bot", "bot.settings", "bot.text", "bot.observability", "bot.concurrency", "bot.identity",
                    "bot.service_hours", "bot.timekeeping", "bot.shared_state")),
    ("storage", ("bot.storage",)),
    ("domain", ("bot.customers", "bot.emotion", "bot.kb", "bot.complaints", "bot.handoff", "bot.metrics",
                "bot.routing")),
    ("Rasa boundary", ("bot.rasa",)),
    ("services", ("bot.services",)),
    ("channels, web, actions", ("bot.channels", "bot.web", "actions")),
    ("runtime", ("bot.runtime",)),
    ("command line", ("bot.cli", "bot.__main__")),
)
RASA_PACKAGES = ("rasa", "rasa_sdk")
RASA_BOUNDARY = ("bot.rasa", "bot.channels", "actions")
TOOLING = ("benchmarks", "tools")


@dataclass(frozen=True)
class Import:
    source: str  # the importing module, e.g. "bot.kb.service"
    target: str  # the imported module, e.g. "bot.storage.database" or "sqlalchemy.orm"
    file: str  # relative to the project root
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line} imports {self.target}"


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_in(source_code: str, module: str, is_package: bool, known: Set[str], file: str = "") -> List[Import]:
    """Every import statement anywhere in a module (functions and TYPE_CHECKING blocks included)."""
    found: List[Import] = []
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source_code, filename=file or module)):
        if isinstance(node, ast.Import):
            found += [Import(module, _known_prefix(alias.name, known), file, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                target = candidate if candidate in known else _known_prefix(base, known)
                found.append(Import(module, target, file, node.lineno))
    return sorted(found, key=lambda i: i.line)


def _known_prefix(name: str, known: Set[str]) -> str:
    """The longest prefix of `name` that is one of our modules (or `name` itself for other packages)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in known:
            return ".".join(parts[:end])
    return name


@lru_cache(maxsize=None)
def project_imports() -> Tuple[Dict[str, str], Tuple[Import, ...]]:
    """Our modules (name -> file) and every import they make."""
    files = {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "__pycache__" not in path.parts
    }
    known = set(files)
    found: List[Import] = []
    for module, path in files.items():
        relative = str(path.relative_to(ROOT))
        found += imports_in(path.read_text(encoding="utf-8"), module, path.name == "__init__.py", known, relative)
    unique = tuple(dict.fromkeys(found))  # `from x import a, b` is one edge to x
    return {m: str(p.relative_to(ROOT)) for m, p in files.items()}, unique


def unit_of(module: str) -> Optional[str]:
    """The entry of LAYERS a module belongs to ("bot.kb" for bot.kb.service), None if it has none."""
    if module == "bot":
        return "bot"
    units = [u for _, members in LAYERS for u in members if u != "bot"]
    matches = [u for u in units if module == u or module.startswith(u + ".")]
    return max(matches, key=len) if matches else None


def layer_of(module: str) -> Optional[int]:
    unit = unit_of(module)
    for index, (_, members) in enumerate(LAYERS):
        if unit in members:
            return index
    return None


def _is_under(module: str, prefixes: Iterable[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def internal_imports() -> List[Import]:
    modules, found = project_imports()
    return [i for i in found if i.target in modules and i.target != i.source]


def cycles(edges: Dict[str, Set[str]]) -> List[List[str]]:
    """The strongly connected components with more than one node (Tarjan), each sorted."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    components: List[List[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(edges.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return components


def _describe_cycles(imports: List[Import], key) -> List[str]:
    edges: Dict[str, Set[str]] = {}
    for i in imports:
        if key(i.source) != key(i.target):
            edges.setdefault(key(i.source), set()).add(key(i.target))
    messages = []
    for component in cycles(edges):
        members = set(component)
        inside = [i for i in imports
                  if key(i.source) in members and key(i.target) in members and key(i.source) != key(i.target)]
        messages.append(" <-> ".join(component) + ":\n" + "\n".join(f"    {i}" for i in inside))
    return messages


def _report(problems: List[str], what: str) -> str:
    return f"{len(problems)} {what}:\n  " + "\n  ".join(problems)


# -- the rules ---------------------------------------------------------------------------------------


def test_every_module_is_on_a_layer():
    modules, _ = project_imports()
    unplaced = [f"{file} ({module})" for module, file in modules.items() if unit_of(module) is None]
    assert not unplaced, _report(unplaced, "modules on no layer: add their package to LAYERS in this file "
                                           "and to docs/ARCHITECTURE.md")


def test_no_import_cycles_between_modules():
    problems = _describe_cycles(internal_imports(), key=lambda module: module)
    assert not problems, _report(problems, "import cycles between modules")


def test_packages_import_each_other_acyclically():
    # Two packages on one layer (say bot.kb and bot.handoff) may depend on each other in one direction only.
    placed = [i for i in internal_imports() if unit_of(i.source) and unit_of(i.target)]
    problems = _describe_cycles(placed, key=lambda module: unit_of(module))
    assert not problems, _report(problems, "import cycles between packages")


def test_no_module_imports_a_higher_layer():
    problems = []
    for i in internal_imports():
        source, target = layer_of(i.source), layer_of(i.target)
        if source is not None and target is not None and target > source:
            problems.append(f"{i} (layer {target}, {LAYERS[target][0]}) "
                            f"from layer {source}, {LAYERS[source][0]}")
    assert not problems, _report(problems, "imports of a higher layer")


def test_the_assistant_does_not_import_tooling():
    _, found = project_imports()
    problems = [str(i) for i in found if i.target.split(".")[0] in TOOLING]
    assert not problems, _report(problems, "imports of benchmarks/ or tools/ from bot/ or actions/")


def test_only_the_rasa_boundary_imports_rasa():
    _, found = project_imports()
    problems = [str(i) for i in found
                if i.target.split(".")[0] in RASA_PACKAGES and not _is_under(i.source, RASA_BOUNDARY)]
    assert not problems, _report(problems, f"imports of Rasa outside {', '.join(RASA_BOUNDARY)}")


# -- the graph this file checks is the real one --------------------------------------------------------


def test_imports_inside_functions_relative_and_type_only_imports_are_edges():
    source = (
        "from typing import TYPE_CHECKING\n"
        "from . import queue\n"
        "from .priority import points\n"
        "from bot.storage import database\n"
        "if TYPE_CHECKING:\n"
        "    from bot.services import Services\n"
        "def late():\n"
        "    import rasa.core.agent\n"
        "    from ..kb.service import answer\n"
    )
    known = {"bot", "bot.handoff", "bot.handoff.queue", "bot.handoff.priority", "bot.storage",
             "bot.storage.database", "bot.services", "bot.kb", "bot.kb.service"}
    found = imports_in(source, "bot.handoff.claims", False, known)
    assert [(i.target, i.line) for i in found if i.target != "typing"] == [
        ("bot.handoff.queue", 2), ("bot.handoff.priority", 3), ("bot.storage.database", 4),
        ("bot.services", 6), ("rasa.core.agent", 8), ("bot.kb.service", 9),
    ]


def test_the_graph_covers_the_project():
    modules, found = project_imports()
    assert {"bot.settings", "bot.cli", "bot.rasa.server_entry", "actions.handoff"} <= set(modules)
    assert any(i.source == "bot.cli" and i.target == "bot.settings" for i in found)
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
