"""The ONNX export served by default against the sentence-transformers model it came from."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.embedding import export, model
from bot.embedding.runtime import OnnxEmbedder, read_check
from bot.errors import ModelError
from bot.evaluation.evalset import load_evalset
from bot.settings import DEFAULT_MODEL, PROJECT_ROOT, Settings
from tests.embedding.test_model import MIXED, corpus_sentences

pytestmark = pytest.mark.model


@pytest.fixture(scope="session")
def onnx_settings() -> Settings:
    return Settings(model=DEFAULT_MODEL, engine="onnx")


@pytest.fixture(scope="session")
def embedder(onnx_settings) -> OnnxEmbedder:
    model.prepare(onnx_settings)
    return model.load(onnx_settings)


@pytest.fixture(scope="session")
def torch_model():
    return model.load(Settings(model=DEFAULT_MODEL, engine="torch"))


@pytest.fixture(scope="session")
def eval_questions() -> list[str]:
    return [q.question for q in load_evalset(PROJECT_ROOT / "eval" / "questions.yaml")]


def test_export_passed_its_recorded_check(onnx_settings, embedder):
    record = read_check(model.onnx_dir(onnx_settings))
    assert record["passed"] and record["token_ids_equal"]
    assert record["min_cosine"] >= export.MIN_COSINE
    assert record["word_embeddings"].startswith("int8 Q4 codes")
    assert record["linear_layers_4bit"] == 72  # every linear layer of the 12 encoder layers runs from its 4-bit blocks
    assert set(record["files"]) == {"model.onnx", "model.onnx.data", "tokenizer.json", "token_ids.npy", "prompts.json"}


@pytest.mark.parametrize("kind", ["query", "document"])
def test_vectors_match_torch_on_the_corpus(embedder, torch_model, kind):
    sentences = corpus_sentences()
    encode_torch = torch_model.encode_query if kind == "query" else torch_model.encode_document
    encode_onnx = embedder.encode_query if kind == "query" else embedder.encode_document
    theirs = encode_torch(sentences, batch_size=32, convert_to_numpy=True, normalize_embeddings=True)
    ours = encode_onnx(sentences, batch_size=32)
    cosines = np.sum(theirs * ours, axis=1)
    worst = int(np.argmin(cosines))
    assert cosines[worst] >= export.MIN_COSINE, (sentences[worst], float(cosines[worst]))


def test_pruned_tokenizer_gives_the_models_token_ids(embedder, torch_model, eval_questions):
    # Every eval question and the mixed-script sample, with the query prompt, as the original tokenizer reads them.
    texts = ["query: " + t for t in eval_questions + MIXED]
    theirs = torch_model.tokenizer(texts, truncation=True, max_length=512)["input_ids"]
    ours = embedder.token_ids(texts)
    differing = [t for t, a, b in zip(texts, theirs, ours) if list(a) != b]
    assert not differing, differing[:5]


def test_batched_vectors_equal_single_ones(embedder):
    sample = MIXED[:8]
    batched = embedder.encode_query(sample, batch_size=8)
    single = np.vstack([embedder.encode_query([t]) for t in sample])
    assert np.abs(batched - single).max() < 1e-5


def test_text_outside_the_kept_scripts_still_embeds(embedder):
    vector = embedder.encode_query(["Регистрация компании 企业注销"])
    assert vector.shape == (1, 384) and abs(float(np.linalg.norm(vector)) - 1) < 1e-4


def test_a_failed_or_missing_check_is_refused(onnx_settings, embedder, tmp_path):
    copy = tmp_path / "onnx"
    shutil.copytree(model.onnx_dir(onnx_settings), copy)
    record = json.loads((copy / "check.json").read_text())
    (copy / "check.json").write_text(json.dumps({**record, "passed": False}))
    with pytest.raises(ModelError, match="failed its parity check"):
        OnnxEmbedder(copy)
    (copy / "check.json").unlink()
    with pytest.raises(ModelError, match="no valid ONNX check"):
        OnnxEmbedder(copy)


def test_a_changed_file_is_refused_when_files_are_verified(onnx_settings, embedder, tmp_path):
    copy = tmp_path / "onnx"
    shutil.copytree(model.onnx_dir(onnx_settings), copy)
    with (copy / "prompts.json").open("a") as fh:
        fh.write(" ")
    with pytest.raises(ModelError, match="differs from the file that passed"):
        OnnxEmbedder(copy, verify_files=True)


def test_serving_loads_neither_torch_nor_sentence_transformers():
    code = (
        "import sys\n"
        "from bot.settings import get_settings\n"
        "from bot.answering.pipeline import PolicyBot\n"
        "bot = PolicyBot.load(get_settings())\n"
        "answer = bot.ask('企业注销找哪个部门？')\n"
        "assert 6 in [c.task for c in answer.citations], answer\n"
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_info_describes_the_onnx_engine(onnx_settings, embedder):
    details = model.info(onnx_settings)
    assert details["engine"] == "onnx" and details["dim"] == 384
    assert details["prompts"] == {"query": "query: ", "document": "passage: "}
    assert details["onnx_check"]["passed"]
    assert details["size_bytes"] < 250_000_000  # compact word embeddings: well under the 470 MB fp32 model
    assert Path(details["onnx_path"]) == model.onnx_dir(onnx_settings)
