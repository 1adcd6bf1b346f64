#!/usr/bin/env python3
"""PyTorch golden fixtures for Unroll's cells, stacks and whole models.

Writes core/src/test/resources/golden/<name>.safetensors, everything float64 (F64)
except token ids (I64):

  rnn_tanh_l1 rnn_tanh_l2 rnn_relu_l1 rnn_relu_l2 lstm_l1 lstm_l2 gru_l1 gru_l2
      one torch.nn.RNN/LSTM/GRU (batch_first=True) run in float64 with
      B=3, T=5, I=4, H=6 and 1 or 2 layers; parameters are PyTorch's default
      init multiplied by 2; input, h0 (and c0) ~ N(0, 0.5^2);
      loss = sum(output * loss_weight_output) + sum(h_n * loss_weight_h_n)
             (+ sum(c_n * loss_weight_c_n) for the LSTM);
      tensors: input, h0, [c0], every parameter under its state_dict name,
      output, h_n, [c_n], loss_weight_*, loss [1], grad.<parameter>,
      grad.input, grad.h0, [grad.c0].
  model_lstm_ce model_gru_ce model_rnn_ce
      embedding (V=7, E=5) -> 2-layer LSTM/GRU/tanh-RNN (H=6) -> linear head (7),
      zero initial state, loss = mean cross-entropy over the B*T = 15 positions;
      tensors: tokens, targets (I64 [3, 5]), every parameter under its
      state_dict name (embedding.weight, rnn.weight_ih_l0, ..., head.weight,
      head.bias, default init), logits [3, 5, 7], loss [1], grad.<parameter>.

Run:  /usr/bin/python3 tools/reference/make_golden.py
"""

import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(ROOT, "core", "src", "test", "resources", "golden")

B, T, I, H = 3, 5, 4, 6
STATE_STD = 0.5
WEIGHT_SCALE = 2.0

CELLS = [
    # name, cell kind, layers, first seed tried
    ("rnn_tanh_l1", "rnn_tanh", 1, 101),
    ("rnn_tanh_l2", "rnn_tanh", 2, 102),
    ("rnn_relu_l1", "rnn_relu", 1, 103),
    ("rnn_relu_l2", "rnn_relu", 2, 104),
    ("lstm_l1", "lstm", 1, 105),
    ("lstm_l2", "lstm", 2, 106),
    ("gru_l1", "gru", 1, 107),
    ("gru_l2", "gru", 2, 108),
]

MODELS = [
    ("model_lstm_ce", "lstm", 201),
    ("model_gru_ce", "gru", 202),
    ("model_rnn_ce", "rnn_tanh", 203),
]


def make_module(kind, input_size, layers):
    if kind in ("rnn_tanh", "rnn_relu"):
        return nn.RNN(input_size, H, num_layers=layers, nonlinearity=kind[4:], batch_first=True)
    if kind == "lstm":
        return nn.LSTM(input_size, H, num_layers=layers, batch_first=True)
    if kind == "gru":
        return nn.GRU(input_size, H, num_layers=layers, batch_first=True)
    raise ValueError(kind)


def relu_preactivations(rnn, x, h0):
    """Pre-activations W_ih x_t + b_ih + W_hh h_{t-1} + b_hh of a relu RNN stack, recomputed by hand."""
    pres = []
    seq = x
    for k in range(rnn.num_layers):
        w_ih, w_hh = getattr(rnn, f"weight_ih_l{k}"), getattr(rnn, f"weight_hh_l{k}")
        b_ih, b_hh = getattr(rnn, f"bias_ih_l{k}"), getattr(rnn, f"bias_hh_l{k}")
        h = h0[k]
        outs = []
        for t in range(seq.shape[1]):
            pre = seq[:, t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh
            pres.append(pre)
            h = torch.relu(pre)
            outs.append(h)
        seq = torch.stack(outs, dim=1)
    return torch.cat([p.reshape(-1) for p in pres])


def numpy(t):
    return t.detach().cpu().numpy().copy()


def cell_fixture(name, kind, layers, first_seed):
    for seed in range(first_seed, first_seed + 100 * 1000, 1000):  # relu may need a few tries
        torch.manual_seed(seed)
        rnn = make_module(kind, I, layers).double()
        with torch.no_grad():
            for p in rnn.parameters():
                p.mul_(WEIGHT_SCALE)
        x = torch.randn(B, T, I, dtype=torch.float64) * STATE_STD
        h0 = torch.randn(layers, B, H, dtype=torch.float64) * STATE_STD
        c0 = torch.randn(layers, B, H, dtype=torch.float64) * STATE_STD if kind == "lstm" else None
        w_out = torch.randn(B, T, H, dtype=torch.float64)
        w_h = torch.randn(layers, B, H, dtype=torch.float64)
        w_c = torch.randn(layers, B, H, dtype=torch.float64) if kind == "lstm" else None
        if kind != "rnn_relu":
            break
        with torch.no_grad():
            pre = relu_preactivations(rnn, x, h0)
        negative = (pre < 0).double().mean().item()
        # many but not all pre-activations negative, and none so close to the kink at 0
        # that a finite-difference check would straddle it
        if 0.3 <= negative <= 0.7 and pre.abs().min().item() > 1e-3:
            break
    else:
        raise RuntimeError(f"{name}: no seed gave a good relu pre-activation mix")

    x.requires_grad_(True)
    h0.requires_grad_(True)
    if kind == "lstm":
        c0.requires_grad_(True)
        output, (h_n, c_n) = rnn(x, (h0, c0))
        loss = (output * w_out).sum() + (h_n * w_h).sum() + (c_n * w_c).sum()
    else:
        output, h_n = rnn(x, h0)
        loss = (output * w_out).sum() + (h_n * w_h).sum()
    loss.backward()

    tensors = {"input": numpy(x), "h0": numpy(h0)}
    if kind == "lstm":
        tensors["c0"] = numpy(c0)
    params = dict(rnn.named_parameters())
    assert list(params) == list(rnn.state_dict())
    for pname, p in params.items():
        tensors[pname] = numpy(p)
    tensors["output"] = numpy(output)
    tensors["h_n"] = numpy(h_n)
    if kind == "lstm":
        tensors["c_n"] = numpy(c_n)
    tensors["loss_weight_output"] = numpy(w_out)
    tensors["loss_weight_h_n"] = numpy(w_h)
    if kind == "lstm":
        tensors["loss_weight_c_n"] = numpy(w_c)
    tensors["loss"] = numpy(loss).reshape(1)
    for pname, p in params.items():
        tensors["grad." + pname] = numpy(p.grad)
    tensors["grad.input"] = numpy(x.grad)
    tensors["grad.h0"] = numpy(h0.grad)
    if kind == "lstm":
        tensors["grad.c0"] = numpy(c0.grad)

    loss_text = "sum(output * loss_weight_output) + sum(h_n * loss_weight_h_n)"
    if kind == "lstm":
        loss_text += " + sum(c_n * loss_weight_c_n)"
    metadata = {
        "generator": "tools/reference/make_golden.py",
        "torch_version": torch.__version__,
        "cell": kind,
        "layers": str(layers),
        "batch": str(B),
        "steps": str(T),
        "input_size": str(I),
        "hidden_size": str(H),
        "seed": str(seed),
        "batch_first": "true",
        "dtype": "float64",
        "init": "PyTorch default uniform(-1/sqrt(H), 1/sqrt(H)) multiplied by 2",
        "data": ("input, h0, c0" if kind == "lstm" else "input, h0") + " ~ N(0, 0.5^2); loss_weight_* ~ N(0, 1)",
        "loss": loss_text,
    }
    if kind == "rnn_relu":
        metadata["negative_preactivation_share"] = f"{negative:.4f}"
    path = os.path.join(OUT, name + ".safetensors")
    safetensors_io.save(path, tensors, metadata)
    extra = f", negative pre-activations {negative:.0%}" if kind == "rnn_relu" else ""
    print(f"wrote {os.path.relpath(path, ROOT)} (seed {seed}, loss {loss.item():.12f}{extra})")


class CharModel(nn.Module):
    def __init__(self, kind, vocab, embed, layers):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        self.rnn = make_module(kind, embed, layers)
        self.head = nn.Linear(H, vocab)

    def forward(self, tokens):
        out, _ = self.rnn(self.embedding(tokens))
        return self.head(out)


def model_fixture(name, kind, seed, vocab=7, embed=5, layers=2):
    torch.manual_seed(seed)
    model = CharModel(kind, vocab, embed, layers).double()
    tokens = torch.randint(0, vocab, (B, T), dtype=torch.int64)
    targets = torch.randint(0, vocab, (B, T), dtype=torch.int64)
    logits = model(tokens)
    loss = F.cross_entropy(logits.reshape(B * T, vocab), targets.reshape(B * T))
    loss.backward()

    tensors = {"tokens": numpy(tokens), "targets": numpy(targets)}
    params = dict(model.named_parameters())
    assert list(params) == list(model.state_dict())
    for pname, p in params.items():
        tensors[pname] = numpy(p)
    tensors["logits"] = numpy(logits)
    tensors["loss"] = numpy(loss).reshape(1)
    for pname, p in params.items():
        tensors["grad." + pname] = numpy(p.grad)
    metadata = {
        "generator": "tools/reference/make_golden.py",
        "torch_version": torch.__version__,
        "cell": kind,
        "layers": str(layers),
        "batch": str(B),
        "steps": str(T),
        "vocab_size": str(vocab),
        "embedding_dim": str(embed),
        "input_size": str(embed),
        "hidden_size": str(H),
        "seed": str(seed),
        "batch_first": "true",
        "dtype": "float64",
        "init": "PyTorch defaults (Embedding N(0,1); RNN and Linear uniform)",
        "architecture": "embedding -> rnn (zero initial state) -> head",
        "loss": "F.cross_entropy(logits.reshape(B*T, V), targets.reshape(B*T)), mean over all positions",
    }
    path = os.path.join(OUT, name + ".safetensors")
    safetensors_io.save(path, tensors, metadata)
    print(f"wrote {os.path.relpath(path, ROOT)} (loss {loss.item():.12f})")


if __name__ == "__main__":
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    for args in CELLS:
        cell_fixture(*args)
    for args in MODELS:
        model_fixture(*args)
