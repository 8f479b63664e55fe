"""Word coverage of a question by its candidate tasks, with the real tokenizer and index."""

import pytest

from bot.answering.coverage import TaskVocabulary, asks_for_figure, english_words, states_figure
from bot.retrieval.lexical import Tokenizer

pytestmark = pytest.mark.model  # loads or builds the real model and index


def test_english_words_keep_content_words_only():
    assert english_words("How do I register a business in the park?") == ["register", "business", "park"]
    assert english_words("VAT 2023 e-invoices") == ["vat", "invoices"]


@pytest.fixture(scope="module")
def vocabulary():
    # As the index holds them: each task's BM25 tokens.
    tokenizer = Tokenizer()
    texts = {
        0: "推行企业注销“一网通办”，压缩办理时间。 公司不做了怎么办注销？ How do we deregister a company?",
        1: "优化电力接入服务，低压小微企业接电零投资。",
    }
    return TaskVocabulary(tokenizer, {row: tokenizer(text) for row, text in texts.items()}, texts)


def test_a_question_in_a_tasks_own_words_is_fully_covered(vocabulary):
    assert vocabulary.coverage("企业注销能一网通办吗", "zh", [0]) == 1.0
    assert vocabulary.coverage("deregister company", "en", [0]) == 1.0


def test_words_no_candidate_task_speaks_of_lower_coverage(vocabulary):
    assert vocabulary.coverage("企业注销和护照续签", "zh", [0]) < 1.0
    assert vocabulary.coverage("deregister company passport", "en", [0]) == pytest.approx(2 / 3)
    # The same words count once the task that speaks of them is among the candidates.
    assert vocabulary.coverage("注销和接电", "zh", [0]) < vocabulary.coverage("注销和接电", "zh", [0, 1]) == 1.0


def test_a_chinese_word_is_covered_when_each_of_its_characters_is(vocabulary):
    # 电压 is no word of task 1, but 电 (电力, 接电) and 压 (低压) are among its words' characters.
    assert vocabulary.question_words("电压", "zh") == ["电压"]
    assert vocabulary.coverage("电压", "zh", [1]) == 1.0
    # 费 appears nowhere in task 1.
    assert vocabulary.question_words("电费", "zh") == ["电费"]
    assert vocabulary.coverage("电费", "zh", [1]) == 0.0


def test_a_question_of_stopwords_only_counts_as_covered(vocabulary):
    assert vocabulary.question_words("请问怎么办", "zh") == []
    assert vocabulary.coverage("请问怎么办", "zh", [1]) == 1.0


def test_every_task_covers_its_own_policy_text(policy_bot):
    for row in policy_bot.retriever.task_rows:
        text = policy_bot.index.chunks[row].text
        assert policy_bot.answerability.vocabulary.coverage(text, "zh", [row]) == 1.0


@pytest.mark.parametrize(
    "question, lang, expected",
    [
        ("发明专利授权奖多少钱？", "zh", True),
        ("施工许可证多久会作废", "zh", True),
        ("政务服务中心几点下班", "zh", True),
        ("企业年报每年几号截止？", "zh", True),
        ("How much is the subsidy?", "en", True),
        ("personal income tax annual return deadline", "en", True),
        ("When does the new service hall open?", "en", True),
        # 几 describing rather than asking, and questions about who or whether.
        ("电费晚交了几天，会不会停电", "zh", False),
        ("公司打算过几年上市，有没有培育计划", "zh", False),
        ("企业注销找哪个部门？", "zh", False),
        ("Is there help when our power is cut?", "en", False),
    ],
)
def test_asks_for_figure(question, lang, expected):
    assert asks_for_figure(question, lang) is expected


def test_states_figure_counts_amounts_and_durations_but_not_years():
    assert states_figure("园区风险补偿资金池总规模扩大至10亿元。")
    assert states_figure("作业时间压缩至三个月内")
    assert not states_figure("2023年持续优化企业注销程序")
    assert not states_figure("推动企业登记业务下沉便民服务中心，方便企业属地就近办理。")


def test_figure_missing_needs_a_figure_question_and_a_task_stating_none():
    tokenizer = Tokenizer()
    texts = {0: "园区风险补偿资金池总规模扩大至10亿元。", 1: "推动企业登记业务下沉便民服务中心。"}
    vocabulary = TaskVocabulary(tokenizer, {r: tokenizer(t) for r, t in texts.items()}, texts)
    assert not vocabulary.figure_missing("资金池有多大，多少钱", "zh", 0)
    assert vocabulary.figure_missing("登记要多久", "zh", 1)
    assert not vocabulary.figure_missing("登记找谁", "zh", 1)
