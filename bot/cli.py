"""Command line: `policybot corpus|model|index|ask|eval|serve`. Thin: every command calls the library."""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from dataclasses import replace

from bot.errors import PolicyBotError
from bot.settings import get_settings


def _print_json(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2))


def cmd_corpus(args) -> int:
    from bot.corpus import load_corpus
    from bot.corpus.views import corpus_summary, corpus_to_json

    corpus = load_corpus(get_settings().corpus_dir)
    if args.json:
        _print_json(corpus_to_json(corpus))
    else:
        print(corpus_summary(corpus))
    return 0


def cmd_model(args) -> int:
    from bot.embedding import model

    settings = get_settings()
    if args.model:
        settings.model = args.model
    if args.action == "prepare":
        path = model.prepare(settings, force=args.force)
        print(f"model ready: {path}")
    else:
        info = model.info(settings)
        _print_json(info) if args.json else print("\n".join(f"{k}: {v}" for k, v in info.items()))
    return 0


def cmd_index(args) -> int:
    from bot.retrieval import store as index

    settings = get_settings()
    if args.model:
        settings.model = args.model
    manifest = index.build(settings, if_stale=args.if_stale)
    examples = manifest.get("examples", 0)
    print(f"index ready: {manifest['chunks']} chunks, {examples} example questions, model {manifest['model']} ({manifest['dim']}d)")
    return 0


def cmd_ask(args) -> int:
    from bot.answering.pipeline import PolicyBot

    settings = get_settings()
    if args.model:
        settings.model = args.model
    if args.file:
        try:
            source = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")
            questions = [_question_line(line, n) for n, line in enumerate(source, 1) if line.strip()]
        except (OSError, UnicodeDecodeError) as exc:
            raise PolicyBotError(f"cannot read questions from {args.file}: {exc}") from exc
    elif args.question:
        questions = [(args.question, None)]
    else:
        raise PolicyBotError("give a question, or --file FILE with one question per line")
    bot = PolicyBot.load(settings)
    for question, history in questions:
        answer = bot.ask(question, top_k=args.top_k, history=history)
        result = replace(answer, id=uuid.uuid4().hex).to_dict()
        if args.json or args.file:
            print(json.dumps(result, ensure_ascii=False))
        else:
            print(result["reply"])
            for c in result["citations"]:
                task = f"第{c['task']}项 " if c["task"] else ""
                print(f"  [{task}{c['section']}] {c['text']}  ({c['score']:.3f})")
    return 0


def _question_line(line: str, number: int) -> tuple[str, list | None]:
    """A plain line is a question; a line starting with "{" is {"question", "history"?}."""
    text = line.strip()
    if not text.startswith("{"):
        return text, None
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicyBotError(f"line {number}: not valid JSON: {exc.msg}") from None
    if not isinstance(record, dict) or not isinstance(record.get("question"), str):
        raise PolicyBotError(f'line {number}: expected {{"question": "...", "history": [...]}}')
    return record["question"], record.get("history")


def cmd_eval(args) -> int:
    from bot.evaluation.runner import run_cli

    return run_cli(args, get_settings())


def cmd_calibrate(args) -> int:
    from bot.evaluation.calibrate import run_cli

    return run_cli(args, get_settings())


def cmd_serve(args) -> int:
    from bot.api.server import serve

    serve(get_settings(), host=args.host, port=args.port, workers=args.workers)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="policybot", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser("corpus", help="summarise the parsed corpus")
    c.add_argument("--json", action="store_true", help="print the whole structure as JSON")
    c.set_defaults(func=cmd_corpus)

    m = sub.add_parser("model", help="prepare or describe the embedding model")
    m.add_argument("action", choices=["prepare", "info"])
    m.add_argument("--model", help="sentence-transformers model id or path (default: setting)")
    m.add_argument("--force", action="store_true", help="prepare again even if cached")
    m.add_argument("--json", action="store_true")
    m.set_defaults(func=cmd_model)

    i = sub.add_parser("index", help="build the search index")
    i.add_argument("action", choices=["build"])
    i.add_argument("--if-stale", action="store_true", help="build only if missing or stale")
    i.add_argument("--model", help="sentence-transformers model id or path")
    i.set_defaults(func=cmd_index)

    a = sub.add_parser("ask", help="ask a question")
    a.add_argument("question", nargs="?")
    a.add_argument("--json", action="store_true")
    a.add_argument("--top-k", type=int, default=3)
    a.add_argument(
        "--file",
        help="one question per line, or a JSON line {\"question\", \"history\"} ('-' for stdin); prints one JSON object per line",
    )
    a.add_argument("--model", help="sentence-transformers model id or path")
    a.set_defaults(func=cmd_ask)

    e = sub.add_parser("eval", help="measure answer accuracy on the eval set")
    e.add_argument("--set", dest="set_file", help="eval set file (default: eval/questions.yaml)")
    e.add_argument(
        "--split", choices=["dev", "test", "blind", "all"], default="all", help="all: dev and test; blind only when named"
    )
    e.add_argument("--json", action="store_true")
    e.add_argument("--report", help="write an HTML report under this directory")
    e.set_defaults(func=cmd_eval)

    k = sub.add_parser("calibrate", help="fit the answerability decision on the eval set (writes its calibration file)")
    k.add_argument("--split", choices=["dev"], default="dev", help="the split it learns from; never test or blind")
    k.add_argument("--out", default=None, help="where to write it (default: the calibration_file setting)")
    k.set_defaults(func=cmd_calibrate)

    s = sub.add_parser("serve", help="serve the HTTP API, widget, console and admin")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--workers", type=int, default=1)
    s.set_defaults(func=cmd_serve)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except PolicyBotError as exc:
        print(f"policybot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`, which closed early
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
