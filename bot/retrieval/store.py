"""Build, save and load the search index: chunks + FAISS + BM25, described by a manifest.

Layout: index/current -> index/v-<stamp>/ (a symlink swapped atomically, so a crash mid-build
leaves the previous index in place). Each version holds manifest.json, chunks.json, dense.faiss,
examples.json + examples.faiss (the example questions' view) and lexical/ (bm25s arrays + JSON).
Nothing is pickled.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import numpy as np
from tqdm import tqdm

from bot.retrieval.chunks import Chunk, build_chunks
from bot.retrieval.dense import DenseIndex
from bot.errors import IndexNotReady
from bot.corpus.examples import ExampleQuestion, by_task, load_examples
from bot.retrieval.lexical import LexicalIndex, Tokenizer, corpus_terms
from bot.settings import Settings
from bot.storage import atomic_write_text

log = logging.getLogger(__name__)

FORMAT = 2
# A change to any module of these packages changes what the index holds, so it makes the index
# stale. Whole folders, so that a module moved or added inside them is covered without a list.
BUILD_PACKAGES = ("corpus", "retrieval")
BOT_DIR = Path(__file__).resolve().parent.parent
_BATCH = 32


@dataclass
class LoadedIndex:
    manifest: dict
    chunks: list[Chunk]
    dense: DenseIndex
    lexical: LexicalIndex
    tokenizer: Tokenizer
    examples: list[ExampleQuestion] = field(default_factory=list)
    example_dense: DenseIndex | None = None  # one vector per example, same order


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def source_fingerprint(settings: Settings, code_root: Path = BOT_DIR) -> str:
    """Hash of the corpus files and of the code that turns them into an index (every module of
    the BUILD_PACKAGES under `code_root`); a missing package is an error, never skipped."""
    h = hashlib.sha256(f"format={FORMAT}".encode())
    for path in sorted(p for p in Path(settings.corpus_dir).rglob("*") if p.is_file()):
        h.update(path.relative_to(settings.corpus_dir).as_posix().encode())
        h.update(path.read_bytes())
    for package in BUILD_PACKAGES:
        folder = code_root / package
        if not (folder / "__init__.py").is_file():
            raise IndexNotReady(f"build code package {folder} is missing; the index fingerprint cannot be computed")
        for path in sorted(folder.rglob("*.py")):
            h.update(path.relative_to(code_root).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def current_dir(settings: Settings) -> Path:
    return Path(settings.index_dir) / "current"


def read_manifest(settings: Settings) -> dict | None:
    path = current_dir(settings) / "manifest.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def staleness(settings: Settings) -> str | None:
    """Why the index must be rebuilt, or None when it is current."""
    from bot.embedding import model

    manifest = read_manifest(settings)
    if manifest is None:
        return "no index built yet"
    if manifest.get("format") != FORMAT:
        return "index format changed"
    if manifest.get("model") != model.model_id(settings):
        return f"model changed ({manifest.get('model')} -> {model.model_id(settings)})"
    if manifest.get("engine") != settings.engine:
        return f"embedding engine changed ({manifest.get('engine')} -> {settings.engine})"
    if manifest.get("source") != source_fingerprint(settings):
        return "corpus or indexing code changed"
    return None


def _user_words(corpus) -> list[str]:
    words = set()
    for dept in corpus.departments:
        words.add(dept.name)
        words.update(dept.aliases)
    texts = [t.text for d in corpus.documents for t in d.tasks]
    texts += [p.text for d in corpus.documents for p in d.paragraphs()]
    words.update(corpus_terms(texts))
    return sorted(w for w in words if w)


def build(settings: Settings, if_stale: bool = False) -> dict:
    """Build the index into a new version directory and switch `current` to it atomically."""
    from bot.embedding import model
    from bot.corpus import load_corpus

    if if_stale:
        reason = staleness(settings)
        if reason is None:
            return read_manifest(settings)
        log.info("building index: %s", reason)

    started = time.perf_counter()
    corpus = load_corpus(settings.corpus_dir)
    aliases = {d.name: tuple(d.aliases) for d in corpus.departments}
    examples = load_examples(settings.corpus_dir, corpus)
    chunks = build_chunks(corpus, aliases, by_task(examples))
    if not chunks:
        raise IndexNotReady(f"the corpus in {settings.corpus_dir} produced no text to index")
    encoder = model.load(settings)
    dense = DenseIndex.build(_embed(encoder.encode_document, [c.embed_text for c in chunks], "embedding chunks"))
    # Examples are questions compared with questions, so they take the query prompt.
    example_dense = (
        DenseIndex.build(_embed(encoder.encode_query, [e.text for e in examples], "embedding examples"))
        if examples
        else None
    )
    tokenizer = Tokenizer(_user_words(corpus))
    lexical = LexicalIndex.build([c.lexical_text for c in chunks], tokenizer)

    root = Path(settings.index_dir)
    root.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    tmp = root / f".build-{stamp}"
    final = root / f"v-{stamp}"
    tmp.mkdir()
    try:
        dense.save(tmp / "dense.faiss")
        if example_dense is not None:
            example_dense.save(tmp / "examples.faiss")
        (tmp / "examples.json").write_text(
            json.dumps([e.to_dict() for e in examples], ensure_ascii=False), encoding="utf-8"
        )
        lexical.save(tmp / "lexical")
        (tmp / "chunks.json").write_text(
            json.dumps([c.to_dict() for c in chunks], ensure_ascii=False), encoding="utf-8"
        )
        (tmp / "user_words.txt").write_text("\n".join(tokenizer.user_words), encoding="utf-8")
        files = {
            p.relative_to(tmp).as_posix(): _sha256_file(p) for p in sorted(tmp.rglob("*")) if p.is_file()
        }
        manifest = {
            "format": FORMAT,
            "model": model.model_id(settings),
            "engine": settings.engine,
            "dim": int(dense.dim),
            "chunks": len(chunks),
            "tasks": sum(1 for c in chunks if c.kind == "task"),
            "examples": len(examples),
            "documents": [{"id": d.id, "title": d.title} for d in corpus.documents],
            "source": source_fingerprint(settings),
            "files": files,
            "versions": {
                pkg: version(pkg)
                for pkg in ("faiss-cpu", "sentence-transformers", "torch", "bm25s", "jieba", "numpy")
            },
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "build_seconds": round(time.perf_counter() - started, 2),
        }
        atomic_write_text(tmp / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _switch_current(root, final)
    return manifest


def _embed(encode, texts: list[str], desc: str) -> np.ndarray:
    # Batches of similar length pad less: embed in length order, return in the original order.
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    parts = []
    for i in tqdm(range(0, len(texts), _BATCH), desc=desc, unit="batch", disable=None):
        batch = [texts[j] for j in order[i : i + _BATCH]]
        parts.append(encode(batch, convert_to_numpy=True, normalize_embeddings=True))
    vectors = np.empty((len(texts), parts[0].shape[1]), dtype=np.float32)
    vectors[order] = np.vstack(parts)
    return vectors


def _switch_current(root: Path, target: Path) -> None:
    link = root / "current"
    tmp_link = root / f".current-{os.getpid()}"
    tmp_link.unlink(missing_ok=True)
    tmp_link.symlink_to(target.name)
    os.replace(tmp_link, link)  # atomic: readers see the old or the new index, never neither
    for old in root.glob("v-*"):
        if old != target:
            shutil.rmtree(old, ignore_errors=True)
    for stale in root.glob(".build-*"):
        shutil.rmtree(stale, ignore_errors=True)


def problem(settings: Settings) -> str | None:
    """Why the current index cannot be served as it is (missing, stale, tampered), or None."""
    reason = staleness(settings)
    if reason is None:
        try:
            verify_files(current_dir(settings).resolve(), read_manifest(settings) or {})
        except IndexNotReady as exc:
            reason = str(exc)
    return reason


def load(settings: Settings, rebuild: bool = True) -> LoadedIndex:
    """Load the current index. A missing, stale or tampered one is rebuilt, with the reason logged
    (or refused if rebuild=False); it is never served."""
    try:
        return _load_current(settings)
    except IndexNotReady as exc:
        reason = str(exc)
    if not rebuild:
        raise IndexNotReady(f"index not usable: {reason}; run `policybot index build`")
    with _build_lock(settings):
        # Another worker may have rebuilt it while this one waited for the lock.
        try:
            return _load_current(settings)
        except IndexNotReady as exc:
            reason = str(exc)
        log.warning("rebuilding index: %s", reason)
        build(settings)
    return _load_checked(settings)


def _load_current(settings: Settings) -> LoadedIndex:
    reason = staleness(settings)
    if reason is not None:
        raise IndexNotReady(reason)
    return _load_checked(settings)


@contextmanager
def _build_lock(settings: Settings):
    """Workers of one server start together; one rebuilds, the others wait and load its result."""
    try:
        root = Path(settings.index_dir)
        root.mkdir(parents=True, exist_ok=True)
        handle = open(root / ".build.lock", "a")
    except OSError:  # a read-only index directory: building would fail anyway, with its own message
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


# Every version holds these; examples.faiss too when there are example questions. The lexical/
# folder is whatever bm25s writes, and is covered by "every file on disk is listed".
REQUIRED_FILES = ("chunks.json", "dense.faiss", "examples.json", "user_words.txt")


def verify_files(directory: Path, manifest: dict) -> None:
    """The manifest must list every file the index needs and every file the version holds, each
    with its hash: a missing, unlisted or changed file refuses the index, whatever the map says."""
    listed = manifest.get("files")
    if not isinstance(listed, dict) or not listed:
        raise IndexNotReady("the manifest lists no index files")
    required = set(REQUIRED_FILES) | ({"examples.faiss"} if manifest.get("examples") else set())
    unlisted_required = sorted(required - set(listed))
    if unlisted_required:
        raise IndexNotReady(f"the manifest does not list {', '.join(unlisted_required)}")
    on_disk = {p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file()} - {"manifest.json"}
    extra = sorted(on_disk - set(listed))
    if extra:
        raise IndexNotReady(f"index file(s) not in the manifest: {', '.join(extra)}")
    for rel, digest in sorted(listed.items()):
        path = directory / rel
        if not path.is_file() or _sha256_file(path) != digest:
            raise IndexNotReady(f"index file {rel} is missing or corrupt")


def _load_checked(settings: Settings) -> LoadedIndex:
    directory = current_dir(settings).resolve()
    manifest = read_manifest(settings)
    if manifest is None:
        raise IndexNotReady("manifest missing")
    verify_files(directory, manifest)
    try:
        return _load_parts(directory, manifest)
    except IndexNotReady:
        raise
    except Exception as exc:  # files that pass their hashes but a library still cannot read
        raise IndexNotReady(f"index files unreadable: {type(exc).__name__}: {exc}") from exc


def _load_parts(directory: Path, manifest: dict) -> LoadedIndex:
    chunks = [Chunk.from_dict(d) for d in json.loads((directory / "chunks.json").read_text(encoding="utf-8"))]
    dense = DenseIndex.load(directory / "dense.faiss")
    if dense.size != len(chunks) or dense.dim != manifest["dim"]:
        raise IndexNotReady("dense index does not match its chunks")
    words = (directory / "user_words.txt").read_text(encoding="utf-8").splitlines()
    tokenizer = Tokenizer(words)
    lexical = LexicalIndex.load(directory / "lexical", tokenizer, len(chunks))
    examples = [ExampleQuestion(**d) for d in json.loads((directory / "examples.json").read_text(encoding="utf-8"))]
    example_dense = DenseIndex.load(directory / "examples.faiss") if examples else None
    if example_dense is not None and (example_dense.size != len(examples) or example_dense.dim != dense.dim):
        raise IndexNotReady("example index does not match its examples")
    return LoadedIndex(manifest, chunks, dense, lexical, tokenizer, examples, example_dense)
