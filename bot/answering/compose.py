"""Answer composition: every statement of policy content is a quote or a template around structured fields.

How an answer reads: the lead department and a next step first (「可联系牵头部门X办理，或拨打12345」; no
phone number or address is ever made up), then the quoted task, each task quoted once with its body
sentence folded in, then related tasks above a relevance floor. Lists give one line per task under
its topic or lead department. English questions get English throughout, each department and topic
named in English with the Chinese beside it on first mention; only quoted policy text stays Chinese.
"""

from __future__ import annotations

from bot.answering.cues import detail_names
from bot.answering.types import Answer, Citation, Kind, TaskHit
from bot.corpus.english import EnglishNames
from bot.retrieval.chunks import Chunk, category_title

HOTLINE = "12345"
# A related task is listed when its fused retrieval score is at least this share of the best
# task's. The highest floor that cuts weak related tasks at no measurable cost on the whole dev
# split (7,126 questions, full system): top-3 / list recall / English top-3 were 0.9929 / 0.9757 /
# 0.9754 with no floor, 0.9929 / 0.9750 / 0.9754 at 0.6, 0.9929 / 0.9705 / 0.9754 at 0.7,
# 0.9897 / 0.9658 / 0.9563 at 0.77 and 0.9879 / 0.9562 / 0.9481 at 0.84 (the floor that
# bot/evaluation/related_floor.py finds best by F1 over expected related tasks on a dev sample:
# it drops tasks that list and English questions need).
RELATED_FLOOR = 0.6
RELATED_FLOOR_PROVENANCE = "dev split (7,126 questions), sweep of 0 / 0.6 / 0.7 / 0.77 / 0.84 on top-3, list recall, English top-3"
# One line of a list: a task's text up to its first clause break, when the whole is longer.
LINE_CHARS = 40
# A body sentence that mostly repeats the task's own text adds nothing to quote.
REPEAT_SHARE = 0.6
NO_NAMES = EnglishNames()


def _strip_end(text: str) -> str:
    return text.rstrip("。；;.， ")


class Namer:
    """Department and topic names in the answer's language; in English, the Chinese name follows in
    parentheses the first time a name is mentioned."""

    def __init__(self, lang: str, names: EnglishNames | None = None) -> None:
        self.lang = lang
        self.names = names or NO_NAMES
        self._seen: set[str] = set()

    def _named(self, zh: str, en: str) -> str:
        if self.lang != "en" or en == zh:
            return zh
        if zh in self._seen:
            return en
        self._seen.add(zh)
        return f"{en} ({zh})"

    def dept(self, name: str) -> str:
        return self._named(name, self.names.department(name))

    def topic(self, category: str) -> str:
        title = category_title(category)
        return self._named(title, self.names.category(title))


def departments_phrase(departments: tuple[str, ...] | list[str], lang: str = "zh", namer: Namer | None = None) -> str:
    if not departments:
        return ""
    namer = namer or Namer(lang)
    lead, rest = namer.dept(departments[0]), [namer.dept(d) for d in departments[1:]]
    if lang == "en":
        s = f"led by {lead}"
        return s + (f", together with {', '.join(rest)}" if rest else "")
    s = f"由{lead}牵头"
    return s + (f"，{'、'.join(rest)}共同负责" if rest else "")


def next_step(lead: str | None, lang: str, namer: Namer | None = None) -> str:
    """What to do next: the lead department, or the hotline. Never a number or address the plan lacks."""
    namer = namer or Namer(lang)
    if lang == "en":
        who = f"the lead department, {namer.dept(lead)}, " if lead else "the department concerned "
        return f"You can contact {who}or call the {HOTLINE} government service hotline."
    return f"可联系牵头部门{namer.dept(lead)}办理，或拨打{HOTLINE}。" if lead else f"可联系相关牵头部门办理，或拨打{HOTLINE}。"


def task_reply(hit: TaskHit) -> str:
    """The sentence a hotline agent reads out."""
    return f"根据《{hit.doc_title}》任务清单第{hit.number}项，{_strip_end(hit.text)}，{departments_phrase(hit.departments)}。"


def task_hit(chunk: Chunk, doc_title: str, score: float) -> TaskHit:
    return TaskHit(
        doc=chunk.doc,
        doc_title=doc_title,
        number=chunk.task,
        category=chunk.category,
        section=chunk.section,
        text=chunk.text,
        departments=chunk.departments,
        body=chunk.body,
        score=score,
    )


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def body_passage(hit: TaskHit) -> str:
    """The task's body sentences that say more than its list text (for the quote), or ""."""
    own = _bigrams(hit.text)
    extra = [b for b in hit.body if b != hit.text and len(_bigrams(b) - own) > (1 - REPEAT_SHARE) * len(_bigrams(b))]
    return "".join(extra)


def citation(hit: TaskHit) -> Citation:
    """The task, cited once by its list text (verbatim); its body passage is quoted in the answer
    beside it rather than cited again as a second source."""
    return Citation(hit.doc, hit.section, hit.number, hit.text, round(float(hit.score), 4))


def related(hits: list[TaskHit], top_k: int, floor: float | None = None) -> list[TaskHit]:
    """Other tasks worth pointing to: up to top_k − 1, each once, scored near enough to the best."""
    floor = RELATED_FLOOR if floor is None else floor
    best = hits[0]
    out: list[TaskHit] = []
    for h in hits[1:top_k]:
        if h.number != best.number and h not in out and best.score > 0 and h.score >= floor * best.score:
            out.append(h)
    return out


def _quote(hit: TaskHit, lang: str, namer: Namer) -> str:
    body = body_passage(hit)
    if lang == "en":
        quote = f"Task {hit.number} of the task list of 《{hit.doc_title}》, on {namer.topic(hit.category)}: 「{hit.text}」"
        return quote + (f" The plan's text adds: 「{body}」" if body else "")
    quote = f"《{hit.doc_title}》任务清单第{hit.number}项（{category_title(hit.category)}）：「{hit.text}」"
    return quote + (f"正文写道：「{body}」" if body else "")


def _who(hit: TaskHit, lang: str, namer: Namer) -> str:
    if lang == "en":
        return f"This is {departments_phrase(hit.departments, 'en', namer)}."
    return f"该事项{departments_phrase(hit.departments)}。"


def single(
    kind: Kind, hits: list[TaskHit], lang: str, top_k: int, confidence: float | None = None,
    names: EnglishNames | None = None,
) -> Answer:
    """Department, content and one-task-number questions: who leads it and what to do next, then
    the best task quoted, then related tasks above the floor."""
    best = hits[0]
    namer = Namer(lang, names)
    lead = best.departments[0] if best.departments else None
    gap = " " if lang == "en" else ""
    answer = f"{_who(best, lang, namer)}{gap}{next_step(lead, lang, namer)}\n{_quote(best, lang, namer)}"
    others = related(hits, top_k)
    if others:
        label = "See also" if lang == "en" else "相关的还有"
        lines = [
            f"第{h.number}项{_line(h.text, quoted=True)}（{namer.dept(h.departments[0])}牵头）" if lang != "en"
            else f"task {h.number} {_line(h.text, quoted=True)} (led by {namer.dept(h.departments[0])})"
            for h in others if h.departments
        ]
        answer += f"\n{label}：" + "；".join(lines)
    citations = tuple(citation(h) for h in [best, *others])
    return Answer(True, kind, answer, _reply(best, lang, names), best.departments, citations, confidence)


def _reply(hit: TaskHit, lang: str, names: EnglishNames | None) -> str:
    """One or two sentences to read out: where the plan says it and who leads it, then the next step."""
    lead = hit.departments[0] if hit.departments else None
    if lang == "en":
        namer = Namer(lang, names)
        return (
            f"Task {hit.number} of 《{hit.doc_title}》, on {namer.topic(hit.category)}, covers this; it is "
            f"{departments_phrase(hit.departments, 'en', namer)}. {next_step(lead, 'en', namer)}"
        )
    return f"{task_reply(hit)}{next_step(lead, 'zh')}"


def _line(text: str, quoted: bool = False) -> str:
    """A task on one line: its text, cut at the first clause break when long. Quoted, the mark
    of the cut stays outside the quotation marks, so that what is quoted is the policy's own text."""
    text = _strip_end(text)
    if len(text) <= LINE_CHARS:
        return f"「{text}」" if quoted else text
    cut = next((c for c in (text.find(m, 8) for m in ("，", "；", "。")) if 0 < c <= LINE_CHARS), LINE_CHARS)
    return f"「{text[:cut]}」…" if quoted else text[:cut] + "…"


def task_list(
    kind: Kind, heading: str, hits: list[TaskHit], departments: list[str], lang: str, english_heading: str = "",
    names: EnglishNames | None = None,
) -> Answer:
    """Department-tasks and category-tasks questions: every matching task, one line each, grouped
    by topic (a department's list) or by lead department (a topic's list), each group in task order."""
    namer = Namer(lang, names)
    by_topic = kind == "department_tasks"
    groups: dict[str, list[TaskHit]] = {}
    for h in sorted(hits, key=lambda h: h.number):
        key = h.category if by_topic else (h.departments[0] if h.departments else "")
        groups.setdefault(key, []).append(h)
    lead = departments[0] if by_topic and departments else None
    if lang == "en":
        first = f"{english_heading or heading}: {len(hits)} tasks. {next_step(lead, 'en', namer)}"
    else:
        first = f"{heading}共{len(hits)}项。{next_step(lead, 'zh')}"
    blocks = []
    for key, members in groups.items():
        title = namer.topic(key) if by_topic else (namer.dept(key) + (" leads" if lang == "en" else "牵头"))
        lines = []
        for h in members:
            who = namer.dept(h.departments[0]) if h.departments else ""
            if lang == "en":
                lines.append(f"· Task {h.number}: {_line(h.text, quoted=True)}" + (f" (led by {who})" if who else ""))
            else:
                lines.append(f"· 第{h.number}项 {_line(h.text)}" + (f"（{who}牵头）" if who else ""))
        blocks.append(f"{title}:\n" + "\n".join(lines) if lang == "en" else f"{title}：\n" + "\n".join(lines))
    answer = first + "\n" + "\n".join(blocks)
    numbers = "、".join(str(h.number) for h in sorted(hits, key=lambda h: h.number))
    if lang == "en":
        reply = f"{english_heading or heading}: tasks {numbers.replace('、', ', ')} of 《{hits[0].doc_title}》."
    else:
        reply = f"根据《{hits[0].doc_title}》任务清单，{heading}共{len(hits)}项，分别是第{numbers}项。"
    return Answer(True, kind, answer, reply, tuple(departments), tuple(citation(h) for h in hits))


def unknown_task(number: int, count: int, title: str, lang: str) -> Answer:
    answer = (
        f"The task list of 《{title}》 has {count} tasks; there is no task {number}."
        if lang == "en"
        else f"《{title}》任务清单共{count}项，没有第{number}项。"
    )
    return Answer(False, "task_number", answer, answer)


def refusal(titles: list[str], lang: str, confidence: float | None = None, instruction: bool = False) -> Answer:
    """Not covered; with `instruction`, text addressed to the service: it answers questions about
    the plan and does nothing else. The hotline is named once."""
    names = "、".join(f"《{t}》" for t in titles)
    if lang == "en":
        why = (
            f"I can only answer questions about {names}; I cannot follow instructions, play a role or change any data"
            if instruction
            else f"{names} does not cover this question"
        )
        answer = f"Sorry, {why}. For other matters, please call the {HOTLINE} government service hotline."
    else:
        why = f"我只能回答{names}的内容，不能执行指令、扮演角色或修改数据" if instruction else f"{names}中没有涉及这个问题的内容"
        answer = f"抱歉，{why}。其他事项建议拨打{HOTLINE}政务服务便民热线咨询。"
    return Answer(False, "out_of_scope", answer, answer, confidence=confidence)


def numbered_tasks(hits: list[TaskHit], lang: str, names: EnglishNames | None = None) -> Answer:
    """Several tasks asked for by number ("第48和49条"): each quoted once with who leads it."""
    namer = Namer(lang, names)
    if lang == "en":
        answer = "\n".join(
            f"Task {h.number}: 「{h.text}」 It is {departments_phrase(h.departments, 'en', namer)}." for h in hits
        )
    else:
        answer = "\n".join(f"第{h.number}项：「{h.text}」{departments_phrase(h.departments)}。" for h in hits)
    reply = f"根据《{hits[0].doc_title}》任务清单，" + "；".join(
        f"第{h.number}项{departments_phrase(h.departments)}" for h in hits
    ) + "。"
    departments = tuple(dict.fromkeys(d for h in hits for d in h.departments))
    return Answer(True, "task_number", answer, reply, departments, tuple(citation(h) for h in hits))


def asked_details(question: str, lang: str) -> str:
    """How the reply names the details a question asks for (cues.DETAILS)."""
    found = detail_names(question, lang)
    if not found:
        return "this detail" if lang == "en" else "您问的具体细节"
    return " or ".join(found[:2]) if lang == "en" else "和".join(found[:2])


def not_stated(
    hit: TaskHit, question: str, lang: str, confidence: float | None = None, names: EnglishNames | None = None
) -> Answer:
    """The plan has a related measure but does not state what is asked: say so, cite the measure,
    point to its lead department. Never a figure the plan does not contain. The hotline is named once."""
    details = asked_details(question, lang)
    lead = hit.departments[0] if hit.departments else ""
    if lang == "en":
        namer = Namer(lang, names)
        who = namer.dept(lead) if lead else "the lead department"
        answer = (
            f"Task {hit.number} of the task list of 《{hit.doc_title}》 covers this: 「{hit.text}」 "
            f"but the plan does not state {details}. Please ask {who} or call the {HOTLINE} government service hotline."
        )
        reply = answer
    else:
        answer = (
            f"《{hit.doc_title}》任务清单第{hit.number}项提到：「{_strip_end(hit.text)}」，但没有写明{details}；"
            f"具体可咨询{lead or '牵头部门'}或拨打{HOTLINE}。"
        )
        reply = (
            f"方案第{hit.number}项提到{_strip_end(hit.text)}，但没有写明{details}；"
            f"具体可咨询{lead or '牵头部门'}或拨打{HOTLINE}。"
        )
    return Answer(False, "not_stated", answer, reply, hit.departments, (citation(hit),), confidence)


def combined(answers: list[Answer], lang: str) -> Answer:
    """A multi-part question: each part's answer under its own heading, in order, and one reply
    sentence naming where each part is answered."""
    heads = [f"({i}) {a.question}" if lang == "en" else f"（{i}）{a.question}" for i, a in enumerate(answers, 1)]
    answer = "\n\n".join(f"{h}\n{a.answer}" for h, a in zip(heads, answers))
    pieces = []
    for a in answers:
        asked = a.question.rstrip("?？。.!！ ")
        lead = a.departments[0] if a.departments else ""
        if lang == "en":
            if a.answered and a.tasks:
                pieces.append(f"{asked}: task {a.tasks[0]}")
            else:
                pieces.append(f"{asked}: not covered by the plan")
        elif a.answered and a.tasks:
            pieces.append(f"{asked}见第{a.tasks[0]}项" + (f"（{lead}牵头）" if lead else ""))
        elif a.kind == "not_stated" and a.tasks:
            pieces.append(f"{asked}方案第{a.tasks[0]}项有相关措施但未写明")
        else:
            pieces.append(f"{asked}方案未涉及")
    if lang == "en":
        reply = f"Your {len(answers)} questions: " + "; ".join(pieces) + f". For more, call the {HOTLINE} hotline."
    else:
        reply = f"您问了{len(answers)}件事：" + "；".join(pieces) + f"。详情可联系相关牵头部门或拨打{HOTLINE}。"
    first = next((a for a in answers if a.answered), answers[0])
    departments = tuple(dict.fromkeys(d for a in answers for d in a.departments))
    citations = tuple(dict.fromkeys(c for a in answers for c in a.citations))
    return Answer(
        any(a.answered for a in answers), first.kind, answer, reply, departments, citations,
        first.confidence, parts=tuple(answers),
    )
