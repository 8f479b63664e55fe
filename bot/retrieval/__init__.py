"""Retrieval: the policy split into chunks, a BM25 and a FAISS index over them and over the example
questions (store.py builds, checks and loads them), and every chunk's score for one question."""

from bot.retrieval.retriever import Retriever, Scores
from bot.retrieval.store import LoadedIndex

__all__ = ["LoadedIndex", "Retriever", "Scores"]
