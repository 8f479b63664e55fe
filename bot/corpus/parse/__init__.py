"""Parsing policy documents (Markdown converted from PDF) into typed records, repairing the conversion damage."""

from bot.corpus.parse.document import DocumentMeta, join_page_breaks, parse_document, read_blocks
from bot.corpus.parse.links import best_span, link_tasks, match_section
from bot.corpus.parse.tasks import parse_task_rows
from bot.corpus.parse.text import (
    clean_text,
    heading_text,
    lead_phrase,
    normalise_category,
    normalise_spaces,
    repair_latex,
    should_join,
    split_sentences,
)

__all__ = [
    "DocumentMeta", "best_span", "clean_text", "heading_text", "join_page_breaks", "lead_phrase", "link_tasks",
    "match_section", "normalise_category", "normalise_spaces", "parse_document", "parse_task_rows", "read_blocks",
    "repair_latex", "should_join", "split_sentences",
]
