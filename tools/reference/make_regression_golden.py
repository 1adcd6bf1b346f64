#!/usr/bin/env python3
"""PyTorch golden fixtures for Unroll's SequenceRegressor: a recurrent stack, a linear head on
the top layer's output at the last step, and the mean squared error.

Writes core/src/test/resources/golden/regression_<name>.safetensors, read by
PyTorchGoldenTest#sequenceRegressorMatchesPyTorch. The module is

    class Regressor(nn.Module):
        rnn  = nn.RNN/LSTM/GRU(I, H, num_layers=L, batch_first=True)
        head = nn.Linear(H, O)
        forward(x) = head(rnn(x)[0][:, -1])          # zero initial state
    loss = F.mse_loss(model(x), y)                    # mean over the B*O values

run in float64 on adding-problem data (B = 4, T = 8, I = 2: channel 0 uniform in [0, 1),
channel 1 a marker 1 at one step of each half; y = the sum of the two marked values, or for
O = 2 that sum and its difference). Every parameter (PyTorch's default init) and every input
and target is rounded to a float32 value first and stored as F64, so Unroll's float32 model
starts from exactly the same numbers and the comparison measures its arithmetic alone.

Tensors: input [B, T, I], target [B, O], every parameter under its state_dict name
(rnn.weight_ih_l0, ..., head.weight [O, H], head.bias [O]), prediction [B, O], loss [1],
grad.<parameter>. The relu fixture's seed keeps 20-80 % of the pre-activations negative and
none within 1e-3 of 0, so float32 rounding cannot flip a unit across the kink.

Run:  /usr/bin/python3 tools/reference/make_regression_golden.py
"""

import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from make_golden import make_module, numpy, relu_preactivations  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(ROOT, "core", "src", "test", "resources", "golden")

B, T, I, H = 4, 8, 2, 6

FIXTURES = [
    # name, cell kind, layers, outputs, first seed tried
    ("regression_rnn_tanh", "rnn_tanh", 2, 1, 401),
    ("regression_rnn_relu", "rnn_relu", 2, 1, 402),
    ("regression_lstm", "lstm", 2, 1, 403),
    ("regression_gru", "gru", 2, 1, 404),
    ("regression_gru_o2", "gru", 1, 2, 405),
]


class Regressor(nn.Module):
    def __init__(self, kind, layers, outputs):
        super().__init__()
        self.rnn = make_module(kind, I, layers)
        self.head = nn.Linear(H, outputs)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


def adding_batch(outputs):
    """Adding-problem sequences, float32 values held in float64."""
    x = torch.zeros(B, T, I, dtype=torch.float64)
    x[:, :, 0] = torch.rand(B, T, dtype=torch.float32).double()
    half = T // 2
    p1 = torch.randint(0, half, (B,))
    p2 = torch.randint(half, T, (B,))
    rows = torch.arange(B)
    x[rows, p1, 1] = 1.0
    x[rows, p2, 1] = 1.0
    a, b = x[rows, p1, 0], x[rows, p2, 0]
    y = torch.stack([a + b, a - b], dim=1)[:, :outputs]
    return x, y.float().double()


def fixture(name, kind, layers, outputs, first_seed):
    for seed in range(first_seed, first_seed + 100 * 1000, 1000):
        torch.manual_seed(seed)
        model = Regressor(kind, layers, outputs).double()
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(p.float().double())  # float32 values
        x, y = adding_batch(outputs)
        if kind != "rnn_relu":
            break
        with torch.no_grad():
            pre = relu_preactivations(model.rnn, x, torch.zeros(layers, B, H, dtype=torch.float64))
        negative = (pre < 0).double().mean().item()
        if 0.2 <= negative <= 0.8 and pre.abs().min().item() > 1e-3:
            break
    else:
        raise RuntimeError(f"{name}: no seed gave a good relu pre-activation mix")

    prediction = model(x)
    loss = F.mse_loss(prediction, y)
    loss.backward()
    with torch.no_grad():  # the head reads the top layer's last output, which is h_n of the top layer
        out, state = model.rnn(x)
        h_n = state[0] if kind == "lstm" else state
        assert torch.equal(out[:, -1], h_n[-1])
        assert torch.allclose(loss, ((model.head(out[:, -1]) - y) ** 2).mean(), rtol=0, atol=1e-15)

    tensors = {"input": numpy(x), "target": numpy(y)}
    params = dict(model.named_parameters())
    assert list(params) == list(model.state_dict())
    for pname, p in params.items():
        tensors[pname] = numpy(p)
    tensors["prediction"] = numpy(prediction)
    tensors["loss"] = numpy(loss).reshape(1)
    for pname, p in params.items():
        tensors["grad." + pname] = numpy(p.grad)
    metadata = {
        "generator": "tools/reference/make_regression_golden.py",
        "torch_version": torch.__version__,
        "cell": kind,
        "layers": str(layers),
        "batch": str(B),
        "steps": str(T),
        "input_size": str(I),
        "hidden_size": str(H),
        "output_size": str(outputs),
        "seed": str(seed),
        "batch_first": "true",
        "dtype": "float64 holding float32 values (parameters, input, target)",
        "init": "PyTorch defaults (RNN and Linear uniform), rounded to float32",
        "architecture": "rnn (zero initial state) -> head on out[:, -1]",
        "data": "adding problem: channel 0 uniform [0, 1), channel 1 one marker per half;"
                " target the sum of the marked values" + (" and their difference" if outputs == 2 else ""),
        "loss": "F.mse_loss(prediction, target), mean over B*O",
    }
    if kind == "rnn_relu":
        metadata["negative_preactivation_share"] = f"{negative:.4f}"
    path = os.path.join(OUT, name + ".safetensors")
    safetensors_io.save(path, tensors, metadata)
    print(f"wrote {os.path.relpath(path, ROOT)} (seed {seed}, loss {loss.item():.12f})")


if __name__ == "__main__":
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    for args in FIXTURES:
        fixture(*args)
