"""Answer composition: every statement of policy content is a quote or a template around structured fields."""

from __future__ import annotations

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


def refusal(titles: list[str], lang: str, confidence: float | None = None) -> Answer:
    names = "、".join(f"《{t}》" for t in titles)
    if lang == "en":
        answer = (
            f"Sorry, {names} does not cover this question. For other matters, please call the "
            f"{HOTLINE} government service hotline."
        )
    else:
        answer = f"抱歉，{names}中没有涉及这个问题的内容。其他事项建议拨打{HOTLINE}政务服务便民热线咨询。"
    return Answer(False, "out_of_scope", answer, answer, confidence=confidence)
