#!/usr/bin/env python3
"""PyTorch on the adding problem, trained until solved: the peer of `unroll lab adding --until-solved`.

Trains nn.GRU / nn.LSTM / nn.RNN (batch_first) with an nn.Linear head on the last step's output
and F.mse_loss, Adam, clip_grad_norm_, on freshly drawn batches of the adding problem (two channels:
values uniform in [0, 1), a marker that is 1 at one step of each half; the target is the sum of the
two marked values), measures the mean squared error on held-out sequences every --eval-every steps,
and stops at the first measurement below 0.01 or after --steps. Prints one JSON line per
measurement and a last one with the step it solved at and the wall time. The sequences are its own
draw (NumPy), so the run is the same recipe on other data, as PyTorch users would run it.

  OPENBLAS_CORETYPE=... python3 bench/peers/pytorch_lab.py --cell gru --length 100 --threads 2
"""
import argparse
import json
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

SOLVED_MSE = 0.01


def adding_batch(rng, batch, length):
    """inputs [B, T, 2] float32 and targets [B, 1]: values in channel 0, two markers in channel 1."""
    values = rng.random((batch, length), dtype=np.float32)
    half = length // 2
    first = rng.integers(0, half, size=batch)
    second = rng.integers(half, length, size=batch)
    markers = np.zeros((batch, length), dtype=np.float32)
    rows = np.arange(batch)
    markers[rows, first] = 1
    markers[rows, second] = 1
    x = np.stack([values, markers], axis=2)
    y = (values[rows, first] + values[rows, second]).reshape(batch, 1)
    return torch.from_numpy(x), torch.from_numpy(y)


class Regressor(nn.Module):
    def __init__(self, cell, hidden, forget_bias):
        super().__init__()
        kind = {"gru": nn.GRU, "lstm": nn.LSTM, "rnn": nn.RNN}[cell]
        self.rnn = kind(2, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)
        if cell == "lstm":
            with torch.no_grad():  # gate order i, f, g, o: the forget gate's biases start at forget_bias
                self.rnn.bias_ih_l0[hidden:2 * hidden].fill_(forget_bias)
                self.rnn.bias_hh_l0[hidden:2 * hidden].fill_(0)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cell", default="gru", choices=["gru", "lstm", "rnn"])
    p.add_argument("--length", type=int, default=100)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--clip", type=float, default=1.0)
    p.add_argument("--forget-bias", type=float, default=1.0)
    p.add_argument("--steps", type=int, default=4000)
    p.add_argument("--eval-every", type=int, default=100)
    p.add_argument("--held-out", type=int, default=1000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    held_x, held_y = adding_batch(np.random.default_rng(a.seed + 1_000_003), a.held_out, a.length)
    model = Regressor(a.cell, a.hidden, a.forget_bias)
    optimizer = torch.optim.Adam(model.parameters(), lr=a.lr)
    start = time.perf_counter()
    solved_at = None
    mse = float("nan")
    step = 0
    for step in range(1, a.steps + 1):
        x, y = adding_batch(rng, a.batch, a.length)
        optimizer.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), a.clip)
        optimizer.step()
        if step % a.eval_every == 0:
            with torch.no_grad():
                mse = sum(F.mse_loss(model(held_x[i:i + a.batch]), held_y[i:i + a.batch], reduction="sum").item()
                          for i in range(0, a.held_out, a.batch)) / a.held_out
            print(json.dumps({"step": step, "heldOutMse": mse, "seconds": time.perf_counter() - start}), flush=True)
            if mse < SOLVED_MSE:
                solved_at = step
                break
    print(json.dumps({"cell": a.cell, "length": a.length, "threads": a.threads, "torch": torch.__version__,
                      "solvedAt": solved_at, "steps": step, "finalMse": mse,
                      "seconds": time.perf_counter() - start}), flush=True)


if __name__ == "__main__":
    main()
