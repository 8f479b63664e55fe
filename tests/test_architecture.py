"""The layout of bot/: packages by concern, no import cycles, small modules, a light API module."""

from __future__ import annotations

import subprocess
import sys

import grimp
import pytest

from bot.settings import PROJECT_ROOT

BOT = PROJECT_ROOT / "bot"
MAX_MODULE_LINES = 400
MAX_TOP_LEVEL_MODULES = 8
# What the serving stack pulls in; the app module must start (and answer /healthz) without it.
HEAVY = ("faiss", "torch", "bm25s", "jieba", "sentence_transformers")


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected groups of two or more modules (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in graph.find_modules_directly_imported_by(module):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_import_cycles_between_modules():
    graph = grimp.build_graph("bot")
    # A package's __init__ re-exporting its own modules is not a cycle between concerns.
    cycles = [c for c in _cycles(graph) if not all(m.startswith(c[0] + ".") or m == c[0] for m in c)]
    assert cycles == []


def test_no_module_is_over_the_line_limit():
    long = {str(p.relative_to(BOT)): n for p in BOT.rglob("*.py") if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert long == {}


def test_few_modules_lie_loose_at_the_top():
    loose = sorted(p.name for p in BOT.glob("*.py"))
    assert len(loose) <= MAX_TOP_LEVEL_MODULES, loose


def test_importing_the_app_module_loads_no_model_or_index_library():
    code = "import sys, bot.api.app; print(' '.join(m for m in %r if m in sys.modules))" % (HEAVY,)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


@pytest.mark.parametrize("package", ["corpus", "embedding", "retrieval", "answering", "evaluation", "ops", "api"])
def test_every_package_has_a_docstring_stating_its_concern(package):
    init = (BOT / package / "__init__.py").read_text()
    assert init.lstrip().startswith('"""'), f"bot/{package}/__init__.py"
