"""Views of a parsed corpus for people: its JSON structure and a readable summary."""

from __future__ import annotations

from bot.corpus.departments import DepartmentTable, TableEntry, alias_uses
from bot.corpus.records import Corpus, Document, Paragraph

def _paragraph_json(p: Paragraph) -> dict:
    return {"id": p.id, "text": p.text, "lead": p.lead,
            "sentences": [{"id": s.id, "text": s.text} for s in p.sentences]}


def corpus_to_json(corpus: Corpus) -> dict:
    docs = []
    for d in corpus.documents:
        sentences = d.sentences()
        docs.append({
            "id": d.id, "title": d.title, "doc_number": d.doc_number, "date": d.date, "issuer": d.issuer,
            "source": d.source,
            "front_heading": d.front_heading,
            "front_matter": [_paragraph_json(p) for p in d.front_matter],
            "preamble": [_paragraph_json(p) for p in d.preamble],
            "parts": [
                {"id": part.id, "number": part.number, "title": part.title, "heading": part.heading,
                 "paragraphs": [_paragraph_json(p) for p in part.paragraphs],
                 "sections": [
                     {"id": s.id, "number": s.number, "title": s.title, "heading": s.heading,
                      "paragraphs": [_paragraph_json(p) for p in s.paragraphs]}
                     for s in part.sections
                 ]}
                for part in d.parts
            ],
            "closing": [_paragraph_json(p) for p in d.closing],
            "attachment_title": d.attachment_title,
            "tasks": [
                {"number": t.number, "category": t.category, "category_number": t.category_number,
                 "part": t.part, "text": t.text, "departments": list(t.departments),
                 "departments_raw": t.departments_raw, "section_id": t.section_id,
                 "body_ids": list(t.body), "body": [sentences[i].text for i in t.body]}
                for t in d.tasks
            ],
        })
    return {
        "documents": docs,
        "departments": [
            {"name": x.name, "aliases": list(x.aliases), "tasks": list(x.tasks), "sole_tasks": list(x.sole_tasks),
             "first_tasks": list(x.first_tasks), "note": x.note, "pseudo": x.pseudo, "document": x.document}
            for x in corpus.departments
        ],
    }


def link_coverage(doc: Document) -> tuple[int, int, list[int]]:
    """(linked tasks, all tasks, numbers of unlinked tasks)."""
    unlinked = [t.number for t in doc.tasks if not t.body]
    return len(doc.tasks) - len(unlinked), len(doc.tasks), unlinked


def _directory_table(corpus: Corpus, doc_id: str) -> DepartmentTable:
    """The alias table as far as this document's directory records it."""
    entries = [TableEntry(d.name, {a: "" for a in d.aliases}) for d in corpus.departments if d.document == doc_id]
    return DepartmentTable(entries, "directory")


def corpus_summary(corpus: Corpus) -> str:
    lines = [f"{len(corpus.documents)} document(s)"]
    for d in corpus.documents:
        sections = [s for p in d.parts for s in p.sections]
        body = d.paragraphs()
        n_sent = sum(len(p.sentences) for p in body)
        lines += [
            "",
            f"{d.id}: 《{d.title}》 {d.doc_number} {d.date}".rstrip(),
            f"  issuer: {d.issuer}" if d.issuer else "",
            (f"  body: {len(d.parts)} parts, {len(sections)} sections, {len(body)} paragraphs, {n_sent} sentences"
             f" (+{len(d.front_matter)} notice, {len(d.closing)} closing paragraphs)"),
        ]
        for p in d.parts:
            lines.append(f"    {p.heading}")
            for s in p.sections:
                leads = [x.lead for x in s.paragraphs if x.lead]
                lead_note = f"  leads: {'／'.join(leads)}" if leads else ""
                lines.append(f"      {s.heading}: {len(s.paragraphs)} paragraphs{lead_note}")
        if d.tasks:
            numbers = [t.number for t in d.tasks]
            cats = list(dict.fromkeys(t.category for t in d.tasks))
            linked, total, unlinked = link_coverage(d)
            lines.append(f"  tasks: {total} (numbered {min(numbers)}..{max(numbers)}), {len(cats)} categories")
            lines.append(f"  body links: {linked}/{total} tasks ({100 * linked / total:.1f}%)"
                         + (f"; unlinked: {', '.join(map(str, unlinked))}" if unlinked else ""))
            missing = [t.number for t in d.tasks if not t.departments]
            if missing:
                lines.append(f"  tasks without a lead department: {', '.join(map(str, missing))}")
            for written, canon, nums in alias_uses(d, _directory_table(corpus, d.id)):
                lines.append(f"  alias: {written} -> {canon} (task {', '.join(map(str, nums))})")
        else:
            lines.append("  tasks: none (no task list)")
        depts = [x for x in corpus.departments if x.document == d.id]
        if depts:
            lines.append(f"  departments: {len(depts)}")
            for x in depts:
                flag = "  [pseudo: not one office]" if x.pseudo else ""
                lines.append(f"    {x.name}: {len(x.tasks)} tasks ({len(x.sole_tasks)} alone, {len(x.first_tasks)} first){flag}")
    return "\n".join(line for line in lines if line != "")
