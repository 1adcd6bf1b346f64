#!/usr/bin/env python3
"""Checkpoint interchange between PyTorch and Unroll, in both directions.

Writes core/src/test/resources/interchange/ (read by CheckpointInterchangeTest):

  torch       PyTorch -> Unroll. For each cell (rnn_tanh, rnn_relu, lstm, gru), a module
              with attributes embedding (nn.Embedding(11, 6)), rnn (2-layer nn.RNN/LSTM/GRU,
              hidden 9, batch_first=True) and head (nn.Linear(9, 11)), trained for 5 Adam steps
              on random data so that no weight is a default, is saved as
                torch_<cell>.safetensors           its float32 state_dict, metadata only
                                                   {"format": "pt"} (plus unroll.cell for
                                                   rnn_relu: the one thing shapes cannot tell)
                torch_<cell>_expected.safetensors  tokens, targets [3, 7] I64; logits [3, 7, 11]
                                                   and loss [1] computed by PyTorch in float32
                                                   (F32) and, on the same weights, in float64
                                                   (logits_f64, loss_f64, F64)
  unroll      Unroll -> PyTorch. For each unroll_<cell>.safetensors in the folder (written by
              Checkpoint.save from a CharTrainer; see tools/reference/README.md), load it into
              the matching torch module with load_state_dict(strict=True), run it on fixed
              tokens and write
                unroll_<cell>_torch.safetensors    tokens, targets, logits, loss (F32),
                                                   logits_f64, loss_f64 (F64); metadata
                                                   strict_load "ok", torch_version,
                                                   source_sha256 of the checkpoint checked,
                                                   state_dict_keys in PyTorch's order
  verify FILE [--batch B] [--targets IDS...] [--out OUT] TOKENS...
              check any Unroll checkpoint by hand: strict load into the torch module named by
              its unroll.cell (or by its gate count), run the token ids (B rows of equal
              length), print the logits (and loss with --targets), write them with --out.

With no argument, runs torch then unroll.

Run:  /usr/bin/python3 tools/reference/make_checkpoint_roundtrip.py [torch|unroll|verify ...]
"""

import argparse
import copy
import hashlib
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(ROOT, "core", "src", "test", "resources", "interchange")
GENERATOR = "tools/reference/make_checkpoint_roundtrip.py"

V, E, H, LAYERS = 11, 6, 9, 2
B, T = 3, 7
TRAIN_STEPS, TRAIN_LR, TRAIN_BATCH = 5, 0.05, 4

# cell, seed of the PyTorch model
TORCH_CELLS = [("rnn_tanh", 301), ("rnn_relu", 302), ("lstm", 303), ("gru", 304)]
UNROLL_CELLS = ["rnn_tanh", "rnn_relu", "lstm", "gru"]
UNROLL_TOKENS_SEED = 401
GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}


def make_rnn(kind, input_size, hidden, layers, bias=True):
    if kind in ("rnn_tanh", "rnn_relu"):
        return nn.RNN(input_size, hidden, num_layers=layers, nonlinearity=kind[4:], bias=bias, batch_first=True)
    if kind == "lstm":
        return nn.LSTM(input_size, hidden, num_layers=layers, bias=bias, batch_first=True)
    if kind == "gru":
        return nn.GRU(input_size, hidden, num_layers=layers, bias=bias, batch_first=True)
    raise ValueError(f"unknown cell {kind!r}, expected one of {sorted(GATES)}")


class CharModel(nn.Module):
    """embedding -> rnn (zero initial state) -> head: the module Unroll's checkpoints mirror."""

    def __init__(self, kind, vocab, embed, hidden, layers, bias=True):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        self.rnn = make_rnn(kind, embed, hidden, layers, bias)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, tokens):
        out, _ = self.rnn(self.embedding(tokens))
        return self.head(out)


def numpy(t):
    return t.detach().cpu().numpy().copy()


def run(model, tokens, targets):
    """logits and mean cross-entropy in float32, and in float64 on the same (float32) weights."""
    with torch.no_grad():
        logits32 = model(tokens)
        loss32 = F.cross_entropy(logits32.reshape(-1, logits32.shape[-1]), targets.reshape(-1)) if targets is not None else None
        double = copy.deepcopy(model).double()
        logits64 = double(tokens)
        loss64 = F.cross_entropy(logits64.reshape(-1, logits64.shape[-1]), targets.reshape(-1)) if targets is not None else None
    return logits32, loss32, logits64, loss64


def result_tensors(tokens, targets, logits32, loss32, logits64, loss64):
    out = {"tokens": numpy(tokens)}
    if targets is not None:
        out["targets"] = numpy(targets)
    out["logits"] = numpy(logits32).astype(np.float32)
    if loss32 is not None:
        out["loss"] = numpy(loss32).reshape(1).astype(np.float32)
    out["logits_f64"] = numpy(logits64).astype(np.float64)
    if loss64 is not None:
        out["loss_f64"] = numpy(loss64).reshape(1).astype(np.float64)
    return out


# ------------------------------------------------------------------------------ PyTorch -> Unroll

def torch_fixture(kind, seed):
    torch.manual_seed(seed)
    model = CharModel(kind, V, E, H, LAYERS)
    initial = {name: t.clone() for name, t in model.state_dict().items()}
    optimizer = torch.optim.Adam(model.parameters(), lr=TRAIN_LR)
    for _ in range(TRAIN_STEPS):
        x = torch.randint(0, V, (TRAIN_BATCH, T), dtype=torch.int64)
        y = torch.randint(0, V, (TRAIN_BATCH, T), dtype=torch.int64)
        optimizer.zero_grad()
        logits = model(x)
        F.cross_entropy(logits.reshape(-1, V), y.reshape(-1)).backward()
        optimizer.step()
    state = model.state_dict()
    for name, t in state.items():
        moved = (t != initial[name]).double().mean().item()
        assert moved > 0.5, f"{kind}: only {moved:.0%} of {name} moved away from its initial value"
    weights = {name: numpy(t).astype(np.float32) for name, t in state.items()}
    metadata = {"format": "pt"}
    if kind == "rnn_relu":
        metadata["unroll.cell"] = "rnn_relu"  # shapes alone say "a vanilla RNN", i.e. tanh
    model_path = os.path.join(OUT, f"torch_{kind}.safetensors")
    safetensors_io.save(model_path, weights, metadata)

    tokens = torch.randint(0, V, (B, T), dtype=torch.int64)
    targets = torch.randint(0, V, (B, T), dtype=torch.int64)
    model.eval()
    logits32, loss32, logits64, loss64 = run(model, tokens, targets)
    expected = result_tensors(tokens, targets, logits32, loss32, logits64, loss64)
    expected_path = os.path.join(OUT, f"torch_{kind}_expected.safetensors")
    safetensors_io.save(expected_path, expected, {
        "generator": GENERATOR,
        "torch_version": torch.__version__,
        "cell": kind,
        "vocab_size": str(V), "embedding_dim": str(E), "hidden_size": str(H), "num_layers": str(LAYERS),
        "batch": str(B), "steps": str(T), "seed": str(seed),
        "model": f"torch_{kind}.safetensors",
        "training": f"{TRAIN_STEPS} torch.optim.Adam(lr={TRAIN_LR}) steps on random tokens [{TRAIN_BATCH}, {T}] "
                    "from the default init, so no weight is a default",
        "architecture": "embedding -> rnn (batch_first, zero initial state) -> head",
        "loss": "F.cross_entropy(logits.reshape(B*T, V), targets.reshape(B*T)), mean over all positions",
        "dtype": "logits/loss: float32 module; logits_f64/loss_f64: the same float32 weights run in float64",
    })
    print(f"wrote {os.path.relpath(model_path, ROOT)} and {os.path.basename(expected_path)} "
          f"(loss f32 {loss32.item():.9f}, f64 {loss64.item():.12f}, "
          f"max |f32 - f64| logit {np.abs(expected['logits'] - expected['logits_f64']).max():.3e})")


# ------------------------------------------------------------------------------ Unroll -> PyTorch

def load_unroll(path):
    """The torch module an Unroll checkpoint describes, loaded with load_state_dict(strict=True)."""
    tensors, meta = safetensors_io.load(path)
    for name in ("embedding.weight", "rnn.weight_hh_l0", "head.weight"):
        if name not in tensors:
            raise ValueError(f"{path}: no tensor {name}; found {list(tensors)}")
    vocab, embed = tensors["embedding.weight"].shape
    gh, hidden = tensors["rnn.weight_hh_l0"].shape
    layers = 0
    while f"rnn.weight_ih_l{layers}" in tensors:
        layers += 1
    kind = meta.get("unroll.cell")
    if kind is None:
        kind = {1: "rnn_tanh", 3: "gru", 4: "lstm"}[gh // hidden]
    if GATES[kind] * hidden != gh:
        raise ValueError(f"{path}: unroll.cell {kind} but rnn.weight_hh_l0 is {[gh, hidden]}")
    bias = "rnn.bias_ih_l0" in tensors
    model = CharModel(kind, vocab, embed, hidden, layers, bias)
    for name, array in tensors.items():
        if array.dtype != np.float32:
            raise ValueError(f"{path}: {name} is {array.dtype}, a checkpoint holds float32")
    # strict=True: raises on any missing or unexpected key and on any shape mismatch
    model.load_state_dict({name: torch.from_numpy(array) for name, array in tensors.items()}, strict=True)
    model.eval()
    return model, kind, tensors, meta


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def verify(path, tokens, targets=None, out=None, quiet=False):
    model, kind, tensors, meta = load_unroll(path)
    keys = list(model.state_dict())
    same_order = keys == list(tensors)
    logits32, loss32, logits64, loss64 = run(model, tokens, targets)
    if not quiet:
        np.set_printoptions(precision=6, suppress=False, linewidth=120)
        print(f"{path}: load_state_dict(strict=True) ok: {kind}, {len(keys)} tensors, "
              f"file order {'=' if same_order else '!='} state_dict order")
        print("logits", list(logits32.shape))
        print(numpy(logits32))
        if loss32 is not None:
            print(f"loss f32 {loss32.item():.9f}  f64 {loss64.item():.12f}")
    if out is not None:
        safetensors_io.save(out, result_tensors(tokens, targets, logits32, loss32, logits64, loss64), {
            "generator": GENERATOR,
            "torch_version": torch.__version__,
            "strict_load": "ok",
            "cell": kind,
            "source": os.path.basename(path),
            "source_sha256": sha256(path),
            "source_step": meta.get("unroll.step", ""),
            "state_dict_keys": ",".join(keys),
            "state_dict_order": "same as the file" if same_order else "differs from the file",
            "loss": "F.cross_entropy(logits.reshape(B*T, V), targets.reshape(B*T)), mean over all positions",
            "dtype": "logits/loss: float32 module; logits_f64/loss_f64: the same float32 weights run in float64",
        })
    return logits32, loss32


def unroll_fixtures():
    found = 0
    for kind in UNROLL_CELLS:
        path = os.path.join(OUT, f"unroll_{kind}.safetensors")
        if not os.path.exists(path):
            raise SystemExit(f"{os.path.relpath(path, ROOT)} is missing: write the Unroll checkpoints first "
                             "(tools/reference/README.md, 'Checkpoint interchange')")
        _, meta = safetensors_io.load(path)
        vocab = len(meta["unroll.vocabulary"])
        generator = torch.Generator().manual_seed(UNROLL_TOKENS_SEED + found)
        tokens = torch.randint(0, vocab, (B, T), dtype=torch.int64, generator=generator)
        targets = torch.randint(0, vocab, (B, T), dtype=torch.int64, generator=generator)
        out = os.path.join(OUT, f"unroll_{kind}_torch.safetensors")
        _, loss = verify(path, tokens, targets, out, quiet=True)
        print(f"strict load ok: {os.path.relpath(path, ROOT)} -> {os.path.basename(out)} (loss f32 {loss.item():.9f})")
        found += 1


def main(argv):
    torch.set_num_threads(1)
    if not argv or argv[0] in ("torch", "unroll"):
        what = argv[0] if argv else "both"
        os.makedirs(OUT, exist_ok=True)
        if what in ("torch", "both"):
            for kind, seed in TORCH_CELLS:
                torch_fixture(kind, seed)
        if what in ("unroll", "both"):
            unroll_fixtures()
        return
    if argv[0] != "verify":
        raise SystemExit(f"unknown command {argv[0]!r}; expected torch, unroll or verify (see the docstring)")
    p = argparse.ArgumentParser(prog="make_checkpoint_roundtrip.py verify")
    p.add_argument("file")
    p.add_argument("tokens", nargs="+", type=int, help="token ids, B rows of equal length, row after row")
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--targets", nargs="+", type=int)
    p.add_argument("--out")
    a = p.parse_args(argv[1:])
    if len(a.tokens) % a.batch != 0:
        raise SystemExit(f"{len(a.tokens)} token ids do not split into {a.batch} rows")
    tokens = torch.tensor(a.tokens, dtype=torch.int64).reshape(a.batch, -1)
    targets = None
    if a.targets is not None:
        if len(a.targets) != len(a.tokens):
            raise SystemExit(f"{len(a.targets)} targets for {len(a.tokens)} tokens")
        targets = torch.tensor(a.targets, dtype=torch.int64).reshape(a.batch, -1)
    verify(a.file, tokens, targets, a.out)


if __name__ == "__main__":
    main(sys.argv[1:])
