"""Word coverage of a question by its candidate tasks, with the real tokenizer and index."""

import pytest

from bot.coverage import TaskVocabulary, english_words
from bot.lexical import Tokenizer


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
    return TaskVocabulary(tokenizer, {row: tokenizer(text) for row, text in texts.items()})


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
    for row in policy_bot._task_rows:
        text = policy_bot.index.chunks[row].text
        assert policy_bot._vocabulary.coverage(text, "zh", [row]) == 1.0
