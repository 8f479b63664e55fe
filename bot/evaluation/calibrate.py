"""`policybot calibrate`: fit the answerability decision on one split of the eval set.

Every question of the split that reaches the decision (questions named by task number or as a
department's or topic's list are answered by their structure) gives one row: the named features of
answering/answerability.py, its similarity to the other questions of the split (the question
memory; a question is never its own neighbour) and its embedding, labelled answered / not_stated /
out_of_scope from its record. A multinomial logistic model is fitted; its regularisation, and
whether the memory and the embedding are used, are chosen by 5-fold cross-validation on the split,
and the threshold on P(answered) by OPERATING_RULE on the out-of-fold probabilities. The result,
with its provenance, is written to the `calibration_file` setting (bot/answering/calibration.json,
the memory beside it).
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from bot.answering.answerability import FEATURES, OUTCOMES, Calibration
from bot.answering.malice import CLASSES as MALICE_CLASSES
from bot.answering.malice import MaliceModel, vectorise
from bot.corpus import load_corpus
from bot.errors import InvalidInput
from bot.evaluation.evalset import EvalQuestion, REFUSED_KINDS
from bot.evaluation.runner import load_checked, select_split

log = logging.getLogger(__name__)

# The operating point: the threshold that refuses the most questions the plan does not answer while
# wrongly refusing at most this share of the answerable ones that reach the decision. The product
# allows 3 % wrong refusals over all answerable questions; about one in seven of those never
# reaches the decision (task numbers, lists), and 0.5 points are kept back for the move from
# out-of-fold dev questions to new ones (on blind set 2 the rate moved from 1.9 % to 1.8 %).
MAX_WRONG_REFUSALS = 0.025
OPERATING_RULE = (
    f"highest out-of-fold refusal recall with at most {MAX_WRONG_REFUSALS:.1%} of answerable questions "
    "reaching the decision refused"
)
SELECTION_RULE = (
    "inputs and C: among the trials whose out-of-fold refusal recall is within one standard error of "
    "the best, the fewest inputs, then the smallest C"
)
C_GRID = (0.01, 0.03, 0.1, 0.3)
INPUT_SETS = ((False, False), (True, False), (False, True), (True, True))  # (embedding, memory)
FOLDS = 5
SEED = 20261207
# Answers whose P(answered) lies within this many points above the threshold are worth a review.
REVIEW_MARGIN = 0.15
# The malice detector may refuse at most this share of the answerable dev questions for each class.
MAX_MALICE_FALSE = 0.002
MALICE_C_GRID = (1.0, 10.0)


@dataclass
class Dataset:
    ids: list[str]
    features: np.ndarray  # questions x FEATURES
    embeddings: np.ndarray  # questions x dim, unit length
    labels: np.ndarray  # index into OUTCOMES

    def frame(self, model: str, rows: np.ndarray, with_embedding: bool, with_memory: bool) -> Calibration:
        """An unfitted calibration whose memory is the given rows (its inputs() builds the design matrix)."""
        dim = self.embeddings.shape[1]
        memory = self.embeddings[rows].astype(np.float32) if with_memory else np.zeros((0, 0), np.float32)
        return Calibration(
            model=model, features=FEATURES, embedding_dim=dim if with_embedding else 0, memory=memory,
            memory_refused=(self.labels[rows] != 0) if with_memory else np.zeros(0, bool),
            mean=np.zeros(0), scale=np.zeros(0), coef=np.zeros((0, 0)), intercept=np.zeros(0), threshold=0.0,
            review_below=0.0, provenance={},
        )

    def design(self, frame: Calibration, rows: np.ndarray, memory_rows: np.ndarray) -> np.ndarray:
        """Input rows for `rows`; a row that is also in the memory does not see itself there."""
        position = {int(r): i for i, r in enumerate(memory_rows)}
        skip = np.array([position.get(int(r), -1) for r in rows])
        return frame.inputs(self.features[rows], self.embeddings[rows], skip)


def label(q: EvalQuestion) -> int:
    if q.kind in REFUSED_KINDS:
        return OUTCOMES.index(q.kind)
    return OUTCOMES.index("out_of_scope") if q.refuse else OUTCOMES.index("answered")


def collect(bot, questions: list[EvalQuestion], progress: bool = False) -> Dataset:
    """One row per question that reaches the answerability decision."""
    items = questions
    if progress:
        from tqdm import tqdm

        items = tqdm(questions, desc="features", file=sys.stderr, leave=False)
    ids, rows, vectors, labels = [], [], [], []
    for q in items:
        _, evidence = bot.evidence(bot.validate_question(q.question))
        if evidence is None or evidence.features is None:
            continue
        ids.append(q.id)
        rows.append([evidence.features[name] for name in FEATURES])
        vector = np.asarray(evidence.scores.vector, dtype=np.float64).ravel()
        vectors.append(vector / np.linalg.norm(vector))
        labels.append(label(q))
    return Dataset(ids, np.array(rows), np.array(vectors), np.array(labels))


def _standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean, scale = x.mean(axis=0), x.std(axis=0)
    return mean, np.where(scale > 1e-9, scale, 1.0)


def _fit(x: np.ndarray, y: np.ndarray, c: float) -> tuple[np.ndarray, np.ndarray, LogisticRegression]:
    mean, scale = _standardise(x)
    model = LogisticRegression(C=c, max_iter=2000, class_weight="balanced")
    model.fit((x - mean) / scale, y)
    return mean, scale, model


def _probabilities(x, mean, scale, model) -> np.ndarray:
    """P(outcome) in OUTCOMES order, whatever classes the fold saw."""
    p = np.zeros((len(x), len(OUTCOMES)))
    p[:, model.classes_] = model.predict_proba((x - mean) / scale)
    return p


def out_of_fold(data: Dataset, with_embedding: bool, with_memory: bool, c: float) -> np.ndarray:
    """P(outcome) of every row from a model fitted, memory included, on the other folds only."""
    y = data.labels
    p = np.zeros((len(y), len(OUTCOMES)))
    for train, held in StratifiedKFold(FOLDS, shuffle=True, random_state=SEED).split(data.features, y):
        frame = data.frame("", train, with_embedding, with_memory)
        mean, scale, model = _fit(data.design(frame, train, train), y[train], c)
        p[held] = _probabilities(data.design(frame, held, train), mean, scale, model)
    return p


def operating_point(p_answered: np.ndarray, answerable: np.ndarray) -> dict:
    """The threshold chosen by OPERATING_RULE, and what it gives on these probabilities."""
    best = {"threshold": 0.0, "refusal_recall": 0.0, "wrong_refusals": 0.0}
    for t in np.unique(np.round(p_answered, 4)):
        refused = p_answered < t
        wrong = float(refused[answerable].mean()) if answerable.any() else 0.0
        recall = float(refused[~answerable].mean()) if (~answerable).any() else 0.0
        if wrong <= MAX_WRONG_REFUSALS and recall > best["refusal_recall"]:
            best = {"threshold": float(t), "refusal_recall": recall, "wrong_refusals": wrong}
    return best


def choose(data: Dataset) -> dict:
    """Regularisation and inputs by cross-validated refusal recall at the operating point."""
    answerable = data.labels == OUTCOMES.index("answered")
    trials = []
    for with_embedding, with_memory in INPUT_SETS:
        for c in C_GRID:
            p = out_of_fold(data, with_embedding, with_memory, c)
            point = operating_point(p[:, 0], answerable)
            refused = p[:, 0] < point["threshold"]
            others = ~answerable & refused
            # Among refused questions that should be refused: is "not stated" told apart from "not covered"?
            kind_ok = (np.where(p[:, 1] >= p[:, 2], 1, 2) == data.labels)[others]
            trials.append({
                "embedding": with_embedding, "memory": with_memory, "C": c, **point,
                "refused_kind_accuracy": float(kind_ok.mean()) if others.any() else None,
            })
            log.info("calibrate: %s", trials[-1])
    best, se = select_trial(trials, refusable=int((~answerable).sum()))
    return {"chosen": best, "trials": trials, "recall_standard_error": round(se, 4)}


def select_trial(trials: list[dict], refusable: int) -> tuple[dict, float]:
    """SELECTION_RULE: recalls closer to the best than its sampling error over `refusable` questions
    are a tie, and a tie goes to fewer inputs, then stronger regularisation (a less regularised fit
    of the question's embedding learns wording the dev questions share, which new writers do not).
    The chosen trial and the standard error."""
    top = max(t["refusal_recall"] for t in trials)
    se = float(np.sqrt(top * (1 - top) / refusable)) if refusable else 0.0
    tied = [t for t in trials if t["refusal_recall"] >= top - se]
    return max(tied, key=lambda t: (not t["memory"], not t["embedding"], -t["C"], t["refusal_recall"])), se


def malice_labels(questions: list[EvalQuestion]) -> np.ndarray:
    return np.array([MALICE_CLASSES.index(q.style) if q.style in MALICE_CLASSES else 0 for q in questions])


def fit_malice(texts: list[str], labels: np.ndarray, answerable: np.ndarray) -> tuple[MaliceModel, dict]:
    """The injection / illegal detector: C by out-of-fold recall, then each class's threshold by
    MAX_MALICE_FALSE on the answerable questions, then a fit on everything."""
    x = vectorise(texts)
    trials = []
    for c in MALICE_C_GRID:
        p = np.zeros((len(labels), len(MALICE_CLASSES)))
        for train, held in StratifiedKFold(FOLDS, shuffle=True, random_state=SEED).split(np.zeros(len(labels)), labels):
            model = LogisticRegression(C=c, max_iter=3000).fit(x[train], labels[train])
            p[np.ix_(held, model.classes_)] = model.predict_proba(x[held])
        thresholds, recalls = {}, {}
        for k, name in enumerate(MALICE_CLASSES[1:], start=1):
            # The lowest threshold that flags at most MAX_MALICE_FALSE of the answerable questions.
            t = float(np.quantile(p[answerable, k], 1 - MAX_MALICE_FALSE)) + 1e-6
            thresholds[name] = round(t, 6)
            recalls[name] = float((p[labels == k, k] >= t).mean()) if (labels == k).any() else 0.0
        trials.append({"C": c, "thresholds": thresholds, "recall": recalls})
    best = max(trials, key=lambda t: (sum(t["recall"].values()), -t["C"]))
    model = LogisticRegression(C=best["C"], max_iter=3000).fit(x, labels)
    coef = np.zeros((len(MALICE_CLASSES), x.shape[1]))
    intercept = np.zeros(len(MALICE_CLASSES))
    coef[model.classes_], intercept[model.classes_] = model.coef_, model.intercept_
    return MaliceModel(coef, intercept, best["thresholds"]), {"chosen": best, "trials": trials}


def evalset_fingerprint(questions: list[EvalQuestion]) -> str:
    records = [q.to_record() for q in sorted(questions, key=lambda q: q.id)]
    return hashlib.sha256(json.dumps(records, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def calibrate(settings, split: str = "dev", out: Path | None = None, progress: bool = False) -> Calibration:
    """Fit on `split` and write the calibration to `out` (default: the `calibration_file` setting)."""
    from bot.answering.pipeline import PolicyBot

    corpus = load_corpus(settings.corpus_dir)
    questions = select_split(load_checked(Path(settings.eval_file), corpus), split)
    if not questions:
        raise InvalidInput(f"the eval set has no {split} questions to calibrate on")
    bot = PolicyBot.load(settings, calibrated=False)
    data = collect(bot, questions, progress)
    counts = {o: int((data.labels == i).sum()) for i, o in enumerate(OUTCOMES)}
    if min(counts["answered"], counts["out_of_scope"] + counts["not_stated"]) < 50:
        raise InvalidInput(f"too few questions to calibrate on in {split}: {counts}")
    selection = choose(data)
    chosen = selection["chosen"]
    texts = [bot.reader.read(bot.validate_question(q.question)) for q in questions]
    malice, malice_selection = fit_malice(texts, malice_labels(questions), np.array([not q.refuse for q in questions]))
    every = np.arange(len(data.labels))
    frame = data.frame(bot.index.manifest["model"], every, chosen["embedding"], chosen["memory"])
    mean, scale, model = _fit(data.design(frame, every, every), data.labels, chosen["C"])
    coef = np.zeros((len(OUTCOMES), len(mean)))
    intercept = np.zeros(len(OUTCOMES))
    coef[model.classes_], intercept[model.classes_] = model.coef_, model.intercept_
    calibration = Calibration(
        model=frame.model,
        features=FEATURES,
        embedding_dim=frame.embedding_dim,
        memory=frame.memory,
        memory_refused=frame.memory_refused,
        mean=mean,
        scale=scale,
        coef=coef,
        intercept=intercept,
        threshold=chosen["threshold"],
        review_below=min(1.0, chosen["threshold"] + REVIEW_MARGIN),
        malice=malice,
        provenance={
            "command": f"policybot calibrate --split {split}",
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "eval_set": str(Path(settings.eval_file).name),
            "eval_set_fingerprint": evalset_fingerprint(questions),
            "split": split,
            "questions": len(questions),
            "rows": counts,
            "operating_rule": OPERATING_RULE,
            "selection_rule": SELECTION_RULE,
            "recall_standard_error": selection["recall_standard_error"],
            "chosen": chosen,
            "trials": selection["trials"],
            "malice": {"rule": f"at most {MAX_MALICE_FALSE:.1%} of answerable dev questions flagged per class, out of fold", **malice_selection},
            "scikit_learn": sklearn.__version__,
        },
    )
    calibration.save(Path(out or settings.calibration_file))
    return calibration


def run_cli(args, settings) -> int:
    out = Path(args.out) if args.out else settings.calibration_file
    cal = calibrate(settings, split=args.split, out=out, progress=sys.stderr.isatty())
    chosen = cal.provenance["chosen"]
    print(
        f"calibration written to {out}: model {cal.model}, {cal.provenance['rows']} rows; "
        f"embedding={'yes' if cal.embedding_dim else 'no'} memory={'yes' if cal.memory.size else 'no'} "
        f"C={chosen['C']} threshold={cal.threshold:.4f}; "
        f"out-of-fold refusal recall {chosen['refusal_recall']:.3f} at {chosen['wrong_refusals']:.3f} wrong refusals; "
        f"malice thresholds {cal.malice.thresholds if cal.malice else {}}, out-of-fold recall "
        f"{cal.provenance['malice']['chosen']['recall']}"
    )
    return 0
