"""Tests for bot/retrieval/store.py on the real corpus and model: manifest, staleness, corruption, crash safety.

Each full build embeds every chunk (seconds on a CPU), so one build is shared by the module and
the tests that damage an index work on a copy of it. Builds after the first reuse the real
model's vectors for texts it has already embedded: they test the index, not the model.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from bot.embedding import model
from bot.retrieval import store as index
from bot.retrieval.dense import DenseIndex
from bot.errors import IndexNotReady
from bot.corpus.examples import load_examples
from bot.retrieval.lexical import LexicalIndex
from bot.corpus import load_corpus
from bot.settings import get_settings

pytestmark = pytest.mark.model  # loads or builds the real model and index

EXPECTED_CHUNKS = 108  # 107 task chunks + the preamble passage


def _settings(index_dir: Path, corpus_dir: Path | None = None):
    update = {"index_dir": index_dir}
    if corpus_dir is not None:
        update["corpus_dir"] = corpus_dir
    return get_settings().model_copy(update=update)


class _RememberingModel:
    """The real model, remembering the vectors of document batches it has already encoded."""

    def __init__(self, real):
        self._real = real
        self._seen: dict = {}
        self.forward_batches = 0

    def _remembered(self, method: str, texts, kwargs):
        key = (method, tuple(texts), tuple(sorted(kwargs.items())))
        if key not in self._seen:
            self.forward_batches += 1
            self._seen[key] = getattr(self._real, method)(texts, **kwargs)
        return self._seen[key].copy()

    def encode_document(self, texts, **kwargs):
        return self._remembered("encode_document", texts, kwargs)

    def encode_query(self, texts, **kwargs):
        return self._remembered("encode_query", texts, kwargs)

    def __getattr__(self, name):
        return getattr(self._real, name)


@pytest.fixture(scope="module")
def remembering_model():
    real = model.load(get_settings())
    remembering = _RememberingModel(real)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(model, "load", lambda settings: remembering)
        yield remembering


@pytest.fixture(scope="module")
def built(tmp_path_factory, remembering_model):
    """(settings, manifest) of one real build into a temporary index directory."""
    settings = _settings(tmp_path_factory.mktemp("index") / "index")
    manifest = index.build(settings)
    assert remembering_model.forward_batches > 0  # the first build really embedded the chunks
    return settings, manifest


@pytest.fixture
def copy_of_built(built, tmp_path):
    """A private copy of the built index (and of the corpus), safe to damage."""
    settings, _ = built
    target = tmp_path / "index"
    shutil.copytree(settings.index_dir, target, symlinks=True)
    corpus = tmp_path / "corpus"
    shutil.copytree(settings.corpus_dir, corpus)
    return _settings(target, corpus)


def _version_dir(settings) -> Path:
    return index.current_dir(settings).resolve()


def test_build_switches_current_to_a_version_directory(built):
    settings, _ = built
    link = Path(settings.index_dir) / "current"
    assert link.is_symlink()
    target = link.readlink()
    assert not target.is_absolute() and target.name.startswith("v-")  # relative: the directory can move
    assert (Path(settings.index_dir) / target).is_dir()
    assert [p.name for p in Path(settings.index_dir).glob(".build-*")] == []


def test_manifest_describes_the_build(built):
    settings, manifest = built
    on_disk = json.loads((_version_dir(settings) / "manifest.json").read_text(encoding="utf-8"))
    assert on_disk == manifest
    assert manifest["model"] == model.model_id(settings)
    assert manifest["dim"] == 384
    assert manifest["chunks"] == EXPECTED_CHUNKS
    assert manifest["tasks"] == 107
    assert manifest["examples"] == len(load_examples(settings.corpus_dir, load_corpus(settings.corpus_dir))) > 0
    assert manifest["source"] == index.source_fingerprint(settings)
    assert set(manifest["versions"]) >= {"faiss-cpu", "sentence-transformers", "torch", "bm25s", "jieba", "numpy"}
    assert all(isinstance(v, str) and v for v in manifest["versions"].values())
    built_at = datetime.strptime(manifest["built_at"], "%Y-%m-%dT%H:%M:%SZ")
    assert built_at.year >= 2024
    assert [d["id"] for d in manifest["documents"]] == ["sip-2023-business-environment-plan"]


def test_manifest_checksums_every_file(built):
    settings, manifest = built
    directory = _version_dir(settings)
    files = {p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file()}
    assert set(manifest["files"]) == files - {"manifest.json"}
    assert {"chunks.json", "dense.faiss", "examples.json", "examples.faiss", "user_words.txt"} <= set(manifest["files"])
    for rel, digest in manifest["files"].items():
        assert hashlib.sha256((directory / rel).read_bytes()).hexdigest() == digest, rel


def test_nothing_is_pickled(built):
    settings, _ = built
    directory = _version_dir(settings)
    assert not [p for p in directory.rglob("*") if p.suffix in (".pkl", ".pickle")]
    arrays = list(directory.rglob("*.npy"))
    assert arrays, "the BM25 index is expected to be stored as .npy arrays"
    for path in arrays:
        np.load(path, allow_pickle=False)
    for path in directory.rglob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))


def test_load_gives_consistent_parts(built):
    settings, manifest = built
    loaded = index.load(settings, rebuild=False)
    assert len(loaded.chunks) == loaded.dense.size == loaded.lexical.n_docs == EXPECTED_CHUNKS
    assert loaded.dense.dim == 384
    assert loaded.manifest == manifest
    # The lexical side finds the task that names its quoted term.
    scores = loaded.lexical.scores("全链通")
    assert loaded.chunks[int(np.argmax(scores))].task == 6
    # One example vector per example question, each standing for a task that has a chunk.
    assert loaded.example_dense is not None and loaded.example_dense.size == len(loaded.examples)
    assert loaded.example_dense.dim == 384
    tasks = {(c.doc, c.task) for c in loaded.chunks if c.kind == "task"}
    assert {(e.doc, e.task) for e in loaded.examples} <= tasks


def test_staleness_is_none_right_after_a_build(built):
    settings, _ = built
    assert index.staleness(settings) is None


def test_staleness_names_the_reason_when_the_corpus_changes(copy_of_built):
    settings = copy_of_built
    assert index.staleness(settings) is None  # a copy of the same corpus is the same source
    text_file = next(Path(settings.corpus_dir).glob("*.md"))
    with text_file.open("a", encoding="utf-8") as fh:
        fh.write("。")
    reason = index.staleness(settings)
    assert reason and "corpus" in reason
    with pytest.raises(IndexNotReady, match="corpus"):
        index.load(settings, rebuild=False)


def test_staleness_without_an_index(tmp_path):
    assert index.staleness(_settings(tmp_path / "none")) == "no index built yet"


@pytest.mark.parametrize("name", ["dense.faiss", "chunks.json", "examples.faiss", "examples.json", "lexical/vocab.index.json"])
def test_corrupt_file_is_refused_with_a_clear_message(copy_of_built, name):
    settings = copy_of_built
    path = _version_dir(settings) / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IndexNotReady) as info:
        index.load(settings, rebuild=False)
    message = str(info.value)
    assert name in message and "corrupt" in message
    assert "policybot index build" in message


def _tamper_manifest(settings, **changes) -> None:
    path = _version_dir(settings) / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest.update(changes)
    path.write_text(json.dumps(manifest), encoding="utf-8")


def test_emptied_file_map_and_edited_chunks_are_refused(copy_of_built):
    settings = copy_of_built
    _tamper_manifest(settings, files={})
    chunks = _version_dir(settings) / "chunks.json"
    chunks.write_text(chunks.read_text(encoding="utf-8").replace("行政审批局", "市场监管局"), encoding="utf-8")
    with pytest.raises(IndexNotReady, match="lists no index files"):
        index.load(settings, rebuild=False)
    assert index.problem(settings) == "the manifest lists no index files"


def test_emptied_file_map_and_truncated_faiss_are_refused_not_a_faiss_error(copy_of_built):
    settings = copy_of_built
    _tamper_manifest(settings, files={})
    faiss_file = _version_dir(settings) / "dense.faiss"
    faiss_file.write_bytes(faiss_file.read_bytes()[:100])
    with pytest.raises(IndexNotReady, match="policybot index build"):
        index.load(settings, rebuild=False)


def test_a_file_left_out_of_the_map_is_refused(copy_of_built):
    settings = copy_of_built
    files = json.loads((_version_dir(settings) / "manifest.json").read_text(encoding="utf-8"))["files"]
    del files["lexical/vocab.index.json"]
    _tamper_manifest(settings, files=files)
    with pytest.raises(IndexNotReady, match="not in the manifest: lexical/vocab.index.json"):
        index.load(settings, rebuild=False)


def test_an_extra_or_missing_file_is_refused(copy_of_built):
    settings = copy_of_built
    extra = _version_dir(settings) / "lexical" / "extra.json"
    extra.write_text("{}")
    with pytest.raises(IndexNotReady, match="not in the manifest: lexical/extra.json"):
        index.load(settings, rebuild=False)
    extra.unlink()
    files = json.loads((_version_dir(settings) / "manifest.json").read_text(encoding="utf-8"))["files"]
    del files["examples.faiss"]
    _tamper_manifest(settings, files=files)
    (_version_dir(settings) / "examples.faiss").unlink()
    with pytest.raises(IndexNotReady, match="does not list examples.faiss"):
        index.load(settings, rebuild=False)


def test_every_index_file_is_readable_by_other_users(built):
    settings, _ = built
    modes = {p.name: p.stat().st_mode & 0o777 for p in _version_dir(settings).rglob("*") if p.is_file()}
    assert modes["manifest.json"] == modes["chunks.json"], modes
    assert all(mode & 0o044 == 0o044 for mode in modes.values()), modes


def test_corrupt_index_is_rebuilt_by_load(copy_of_built):
    settings = copy_of_built
    old = _version_dir(settings)
    path = old / "dense.faiss"
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))

    loaded = index.load(settings)

    new = _version_dir(settings)
    assert new != old and not old.exists()  # the corrupt version is gone
    assert len(loaded.chunks) == loaded.dense.size == EXPECTED_CHUNKS
    assert index.staleness(settings) is None
    index.load(settings, rebuild=False)  # and the new one passes its checksums


def test_crash_mid_build_leaves_the_previous_index(copy_of_built, monkeypatch):
    settings = copy_of_built
    before = _version_dir(settings)
    manifest_before = index.read_manifest(settings)

    def fail(self, directory):
        raise OSError("disk full")

    # The dense index is written first, so the failure leaves a half-written build behind to clean up.
    monkeypatch.setattr(LexicalIndex, "save", fail)
    with pytest.raises(OSError, match="disk full"):
        index.build(settings)

    root = Path(settings.index_dir)
    assert _version_dir(settings) == before
    assert [p.name for p in root.glob(".build-*")] == []
    assert sorted(p.name for p in root.glob("v-*")) == [before.name]
    assert index.read_manifest(settings) == manifest_before
    loaded = index.load(settings, rebuild=False)
    assert len(loaded.chunks) == EXPECTED_CHUNKS


def test_dense_index_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(5, 8)).astype(np.float32)
    dense = DenseIndex.build(vectors)
    dense.save(tmp_path / "d.faiss")
    again = DenseIndex.load(tmp_path / "d.faiss")
    assert (again.dim, again.size) == (8, 5)
    scores = again.scores(vectors[2] * 3.0)  # scale does not matter: cosine
    assert scores.shape == (1, 5)
    assert int(np.argmax(scores[0])) == 2 and scores[0, 2] == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_allclose(scores, dense.scores(vectors[2]), atol=1e-6)


def _code_copy(tmp_path: Path) -> Path:
    root = tmp_path / "bot"
    for package in index.BUILD_PACKAGES:
        shutil.copytree(index.BOT_DIR / package, root / package, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_fingerprint_covers_every_module_of_the_build_packages(tmp_path):
    settings = get_settings()
    root = _code_copy(tmp_path)
    before = index.source_fingerprint(settings, root)
    assert before == index.source_fingerprint(settings, index.BOT_DIR)
    # A module added inside a package, listed nowhere, still changes the fingerprint.
    (root / "corpus" / "parse" / "extra.py").write_text("X = 1\n")
    assert index.source_fingerprint(settings, root) != before


def test_fingerprint_refuses_a_missing_build_package(tmp_path):
    root = _code_copy(tmp_path)
    shutil.rmtree(root / "retrieval")
    with pytest.raises(IndexNotReady, match="retrieval"):
        index.source_fingerprint(get_settings(), root)
