"""Answer composition: every statement of policy content is a quote or a template around structured fields."""

from __future__ import annotations

from bot.answering.cues import detail_names
from bot.answering.types import Answer, Citation, Kind, TaskHit
from bot.retrieval.chunks import Chunk, category_title

HOTLINE = "12345"


def _strip_end(text: str) -> str:
    return text.rstrip("。；;.， ")


def departments_phrase(departments: tuple[str, ...] | list[str], lang: str = "zh") -> str:
    if not departments:
        return ""
    lead, rest = departments[0], list(departments[1:])
    if lang == "en":
        s = f"led by {lead}"
        return s + (f", together with {', '.join(rest)}" if rest else "")
    s = f"由{lead}牵头"
    return s + (f"，{'、'.join(rest)}共同负责" if rest else "")


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


def citation(hit: TaskHit, text: str | None = None, section: str | None = None) -> Citation:
    return Citation(hit.doc, section or hit.section, hit.number, text or hit.text, round(float(hit.score), 4))


def single(kind: Kind, hits: list[TaskHit], lang: str, top_k: int, confidence: float | None = None) -> Answer:
    """Department and content questions: the best task, quoted from the list and the body."""
    best = hits[0]
    if lang == "en":
        answer = (
            f"Task {best.number} of the task list of 《{best.doc_title}》 ({best.category}): "
            f"「{best.text}」 It is {departments_phrase(best.departments, 'en')}."
        )
        if kind == "department":
            answer = f"Lead department: {best.departments[0]}. " + answer
    else:
        quote = f"《{best.doc_title}》任务清单第{best.number}项（{category_title(best.category)}）：「{best.text}」"
        if kind == "department":
            # Who-questions get the department first; the quote is the basis.
            answer = f"该事项{departments_phrase(best.departments)}。依据：{quote}"
        else:
            answer = f"{quote}该项{departments_phrase(best.departments)}。"
        body = [b for b in best.body if b != best.text]
        if body:
            answer += f"正文写道：「{''.join(body)}」"
    others = hits[1:top_k]
    if others:
        label = "See also" if lang == "en" else "相关的还有"
        answer += f" {label}：" + "；".join(f"第{h.number}项「{h.text}」" for h in others)
    citations = [citation(best)]
    citations += [citation(best, text=b, section=best.section + " · 正文") for b in best.body if b != best.text][:1]
    citations += [citation(h) for h in others]
    return Answer(True, kind, answer, task_reply(best), best.departments, tuple(citations), confidence)


def task_list(
    kind: Kind, heading: str, hits: list[TaskHit], departments: list[str], lang: str, english_heading: str = ""
) -> Answer:
    """Department-tasks and category-tasks questions: every matching task, most relevant first.
    The reply a hotline agent reads out stays Chinese whatever the question's language."""
    lines = "；".join(f"第{h.number}项：{_strip_end(h.text)}（{'、'.join(h.departments)}）" for h in hits)
    if lang == "en":
        answer = f"{english_heading or heading}: {len(hits)} tasks. {lines}。"
    else:
        answer = f"{heading}共{len(hits)}项：{lines}。"
    numbers = "、".join(str(h.number) for h in sorted(hits, key=lambda h: h.number))
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
    the plan and does nothing else."""
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


def numbered_tasks(hits: list[TaskHit], lang: str) -> Answer:
    """Several tasks asked for by number ("第48和49条"): each quoted with who leads it."""
    if lang == "en":
        answer = " ".join(f"Task {h.number}: 「{h.text}」 It is {departments_phrase(h.departments, 'en')}." for h in hits)
    else:
        answer = "".join(f"第{h.number}项：「{h.text}」{departments_phrase(h.departments)}。" for h in hits)
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


def not_stated(hit: TaskHit, question: str, lang: str, confidence: float | None = None) -> Answer:
    """The plan has a related measure but does not state what is asked: say so, cite the measure,
    point to its lead department. Never a figure the plan does not contain."""
    details = asked_details(question, lang)
    lead = hit.departments[0] if hit.departments else ""
    if lang == "en":
        answer = (
            f"Task {hit.number} of the task list of 《{hit.doc_title}》 covers this: 「{hit.text}」 "
            f"but the plan does not state {details}. Please ask {lead or 'the lead department'} "
            f"or call the {HOTLINE} government service hotline."
        )
    else:
        answer = (
            f"《{hit.doc_title}》任务清单第{hit.number}项提到：「{_strip_end(hit.text)}」，但没有写明{details}；"
            f"具体可咨询{lead or '牵头部门'}或拨打{HOTLINE}。"
        )
    reply = (
        f"方案第{hit.number}项提到{_strip_end(hit.text)}，但没有写明{asked_details(question, 'zh')}；"
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
        lead = a.departments[0] if a.departments else ""
        if a.answered and a.tasks:
            pieces.append(f"{a.question}见第{a.tasks[0]}项" + (f"（{lead}牵头）" if lead else ""))
        elif a.kind == "not_stated" and a.tasks:
            pieces.append(f"{a.question}方案第{a.tasks[0]}项有相关措施但未写明")
        else:
            pieces.append(f"{a.question}方案未涉及")
    reply = f"您问了{len(answers)}件事：" + "；".join(pieces) + f"。详情可联系相关牵头部门或拨打{HOTLINE}。"
    first = next((a for a in answers if a.answered), answers[0])
    departments = tuple(dict.fromkeys(d for a in answers for d in a.departments))
    citations = tuple(dict.fromkeys(c for a in answers for c in a.citations))
    return Answer(
        any(a.answered for a in answers), first.kind, answer, reply, departments, citations,
        first.confidence, parts=tuple(answers),
    )
