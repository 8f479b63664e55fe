"""Loading the corpus folder: the document manifest, the alias table and the texts, parsed and linked."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.corpus.departments import TABLE_FILE, DepartmentTable, build_directory
from bot.corpus.parse import DocumentMeta, link_tasks, parse_document
from bot.corpus.records import Corpus
from bot.errors import InvalidInput, NotFound

MANIFEST_FILE = "documents.yaml"


def read_manifest(corpus_dir: Path) -> list[tuple[DocumentMeta, Path]]:
    path = corpus_dir / MANIFEST_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise NotFound(f"document manifest not found: {path}") from exc
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{path}: not valid YAML: {exc}") from exc
    entries = (data or {}).get("documents") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise InvalidInput(f"{path}: expected a non-empty list under 'documents'")
    out, ids = [], set()
    for i, e in enumerate(entries, start=1):
        if not isinstance(e, dict) or not e.get("id") or not e.get("file"):
            raise InvalidInput(f"{path}: document #{i} needs 'id' and 'file'")
        if e["id"] in ids:
            raise InvalidInput(f"{path}: document id {e['id']!r} is listed twice")
        ids.add(e["id"])
        file = corpus_dir / str(e["file"])
        if not file.is_file():
            raise NotFound(f"{path}: file of document {e['id']!r} not found: {file}")
        meta = DocumentMeta(
            id=str(e["id"]), title=str(e.get("title") or ""), doc_number=str(e.get("doc_number") or ""),
            date=str(e.get("date") or ""), issuer=str(e.get("issuer") or ""), source=str(e.get("source") or ""),
        )
        out.append((meta, file))
    return out


def parse_corpus(documents: list[tuple[DocumentMeta, str]], table: DepartmentTable) -> Corpus:
    """Pure: (metadata, text) pairs and the alias table -> linked Corpus with its directory."""
    docs = tuple(link_tasks(parse_document(text, meta, table)) for meta, text in documents)
    return Corpus(documents=docs, departments=build_directory(docs, table))


_cache: dict[tuple, Corpus] = {}


def load_corpus(corpus_dir: Path) -> Corpus:
    """Read documents.yaml, departments.yaml and the texts; cached until a file changes."""
    corpus_dir = Path(corpus_dir).resolve()
    if not corpus_dir.is_dir():
        raise NotFound(f"corpus directory not found: {corpus_dir}")
    manifest = read_manifest(corpus_dir)
    table_path = corpus_dir / TABLE_FILE
    watched = [corpus_dir / MANIFEST_FILE, table_path, *(file for _, file in manifest)]
    key = (corpus_dir, tuple((str(f), f.stat().st_mtime_ns if f.exists() else None) for f in watched))
    if key in _cache:
        return _cache[key]
    table = DepartmentTable.from_file(table_path) if table_path.exists() else DepartmentTable([], str(table_path))
    corpus = parse_corpus([(meta, file.read_text(encoding="utf-8")) for meta, file in manifest], table)
    _cache.clear()
    _cache[key] = corpus
    return corpus
