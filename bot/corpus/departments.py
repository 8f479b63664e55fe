"""Lead-department names: the reviewed alias table (corpus/departments.yaml) and the directory."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.corpus.records import Department, Document
from bot.errors import InvalidInput, NotFound

TABLE_FILE = "departments.yaml"

_WHITESPACE = re.compile(r"\s+")
# Separators between names in a 牵头部门 cell. Whitespace is not one: wrap damage puts
# spaces inside names ("科创 委"); a missing separator surfaces as an unknown name.
_SEPARATORS = re.compile(r"[、，,；;/]")


class UnknownDepartment(InvalidInput, ValueError):
    """A department name that the alias table does not know: review the table."""


@dataclass(frozen=True)
class TableEntry:
    name: str
    aliases: dict[str, str] = field(default_factory=dict)  # alias -> note
    note: str = ""
    pseudo: bool = False


class DepartmentTable:
    """Canonical names and their aliases, checked for clashes when built."""

    def __init__(self, entries: list[TableEntry], source: str = "") -> None:
        self.source = source
        self.entries: dict[str, TableEntry] = {}
        self._lookup: dict[str, str] = {}
        for entry in entries:
            for spelling in (entry.name, *entry.aliases):
                if not spelling or _WHITESPACE.search(spelling):
                    raise InvalidInput(f"{source}: department name {spelling!r} is empty or has whitespace")
                if spelling in self._lookup:
                    raise InvalidInput(
                        f"{source}: {spelling!r} is listed twice "
                        f"(under {self._lookup[spelling]!r} and {entry.name!r})"
                    )
                self._lookup[spelling] = entry.name
            self.entries[entry.name] = entry

    @classmethod
    def from_mapping(cls, data: dict | None, source: str = "") -> DepartmentTable:
        if data is None:
            return cls([], source)
        if not isinstance(data, dict) or not isinstance(data.get("departments", {}), dict):
            raise InvalidInput(f"{source}: expected a mapping 'departments: {{name: {{...}}}}'")
        entries = []
        for name, spec in (data.get("departments") or {}).items():
            spec = spec or {}
            if not isinstance(spec, dict):
                raise InvalidInput(f"{source}: entry {name!r} must be a mapping")
            unknown = set(spec) - {"aliases", "note", "pseudo"}
            if unknown:
                raise InvalidInput(f"{source}: entry {name!r} has unknown keys {sorted(unknown)}")
            aliases = spec.get("aliases") or {}
            if not isinstance(aliases, dict):
                raise InvalidInput(f"{source}: aliases of {name!r} must map alias -> note")
            entries.append(
                TableEntry(
                    name=str(name),
                    aliases={str(a): str(n or "") for a, n in aliases.items()},
                    note=str(spec.get("note") or ""),
                    pseudo=bool(spec.get("pseudo", False)),
                )
            )
        return cls(entries, source)

    @classmethod
    def from_file(cls, path: Path) -> DepartmentTable:
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise NotFound(f"department table not found: {path}") from exc
        except yaml.YAMLError as exc:
            raise InvalidInput(f"{path}: not valid YAML: {exc}") from exc
        return cls.from_mapping(data, str(path))

    def canonical(self, name: str, cell: str | None = None) -> str:
        """Canonical name for a spelling; whitespace inside it is ignored."""
        key = _WHITESPACE.sub("", name)
        try:
            return self._lookup[key]
        except KeyError:
            where = f" in cell {cell!r}" if cell is not None else ""
            raise UnknownDepartment(
                f"unknown department {key!r}{where}: add it (or an alias) to {self.source or TABLE_FILE}"
            ) from None

    def split(self, cell: str) -> tuple[str, ...]:
        """A 牵头部门 cell -> canonical names, lead first, duplicates dropped."""
        out: list[str] = []
        for piece in _SEPARATORS.split(cell):
            if _WHITESPACE.sub("", piece):
                name = self.canonical(piece, cell)
                if name not in out:
                    out.append(name)
        return tuple(out)

    def aliases_of(self, name: str) -> tuple[str, ...]:
        entry = self.entries.get(name)
        return tuple(entry.aliases) if entry else ()

    def spellings(self) -> dict[str, str]:
        """Every known spelling (canonical names included) -> canonical name."""
        return dict(self._lookup)


_cache: dict[tuple, DepartmentTable] = {}


def load_table(path: Path | None = None) -> DepartmentTable:
    """The alias table at `path` (default: the configured corpus dir), cached by mtime."""
    if path is None:
        from bot.settings import get_settings

        path = get_settings().corpus_dir / TABLE_FILE
    path = Path(path).resolve()
    try:
        key = (path, path.stat().st_mtime_ns)
    except FileNotFoundError as exc:
        raise NotFound(f"department table not found: {path}") from exc
    if key not in _cache:
        _cache.clear()
        _cache[key] = DepartmentTable.from_file(path)
    return _cache[key]


def canonical(name: str, table: DepartmentTable | None = None) -> str:
    """Canonical department name for any known spelling; UnknownDepartment otherwise."""
    return (table or load_table()).canonical(name)


def build_directory(documents: tuple[Document, ...] | list[Document], table: DepartmentTable) -> tuple[Department, ...]:
    """One entry per department per document that names it, most tasks first."""
    out: list[Department] = []
    for doc in documents:
        led: dict[str, list[int]] = {}
        for task in doc.tasks:
            for name in task.departments:
                led.setdefault(name, []).append(task.number)
        order = {name: i for i, name in enumerate(led)}
        for name in sorted(led, key=lambda n: (-len(led[n]), order[n])):
            entry = table.entries.get(name, TableEntry(name))
            numbers = sorted(led[name])
            out.append(
                Department(
                    name=name,
                    aliases=tuple(entry.aliases),
                    tasks=tuple(numbers),
                    sole_tasks=tuple(n for n in numbers if doc.task(n).departments == (name,)),
                    first_tasks=tuple(n for n in numbers if doc.task(n).departments[0] == name),
                    note=entry.note,
                    pseudo=entry.pseudo,
                    document=doc.id,
                )
            )
    return tuple(out)


def alias_uses(doc: Document, table: DepartmentTable) -> list[tuple[str, str, list[int]]]:
    """(spelling as written, canonical name, task numbers) for every non-canonical spelling used."""
    uses: dict[tuple[str, str], list[int]] = {}
    for task in doc.tasks:
        for piece in _SEPARATORS.split(task.departments_raw):
            written = _WHITESPACE.sub("", piece)
            if written and written not in table.entries:
                uses.setdefault((written, table.canonical(written)), []).append(task.number)
    return [(w, c, nums) for (w, c), nums in uses.items()]
