"""The policy corpus: typed records, parsing with repair, the department alias table, example questions, vocabulary."""

from bot.corpus.loader import load_corpus
from bot.corpus.records import Corpus, Department, Document, Task

__all__ = ["Corpus", "Department", "Document", "Task", "load_corpus"]
