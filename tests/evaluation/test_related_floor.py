"""The related-task floor measurement on hand-made answers."""

from bot.evaluation.evalset import EvalQuestion
from bot.evaluation.related_floor import choose, pairs, selected, sweep


def q(qid, tasks_any, **kw):
    base = dict(id=qid, question="x", kind="content", lang="zh", split="dev", tasks_any=tasks_any, departments=["A"])
    return EvalQuestion(**(base | kw))


def answer(*cited, kind="content", answered=True):
    return {"answered": answered, "kind": kind, "citations": [{"task": t, "score": s} for t, s in cited]}


def test_pairs_label_ranks_two_and_three_against_the_expected_tasks():
    questions = [q("q0001", [1, 2]), q("q0002", [5]), q("q0003", [9], split="test"), q("q0004", [], kind="out_of_scope", refuse=True)]
    answers = {
        "q0001": answer((1, 1.0), (2, 0.95), (3, 0.5), (4, 0.4)),
        "q0002": answer((5, 0.8), (5, 0.8), (6, 0.2)),  # a task cited twice counts once
        "q0003": answer((9, 1.0), (8, 0.99)),
    }
    chosen = selected(questions)
    assert [x.id for x in chosen] == ["q0001", "q0002"]
    assert pairs(chosen, answers) == [(0.95, True), (0.5, False), (0.25, False)]


def test_the_floor_chosen_has_the_best_f1_and_is_the_lowest_such():
    observed = [(0.95, True), (0.9, True), (0.7, False), (0.6, False), (0.97, False)]
    table = sweep(observed)
    best = choose(table)
    assert best["recall"] == 1.0 and best["precision"] == round(2 / 3, 3)
    assert best["floor"] == 0.72  # the lowest floor above 0.7 that keeps both relevant ones
