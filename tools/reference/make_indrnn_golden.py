#!/usr/bin/env python3
"""PyTorch golden fixtures for Unroll's IndRNN cell (Li et al. 2018, "Independently
Recurrent Neural Network"), in the format of make_golden.py's cell fixtures.

PyTorch has no IndRNN module, so the reference is the equation written with autograd.
Layer k of an L-layer stack, with layer 0 reading the input and layer k > 0 reading
layer k-1's output sequence:

    h_t = phi(W_ih x_t + b_ih + u * h_{t-1} + b_hh),   phi = relu or tanh,

where u (weight_hh_l{k}) is a vector and * is the elementwise product.

Writes core/src/test/resources/golden/<name>.safetensors, everything float64 (F64):

  indrnn_relu_l1 indrnn_relu_l2 indrnn_tanh_l1 indrnn_tanh_l2
      B=3, T=5, I=4, H=6, 1 or 2 layers, batch-first;
      parameters per layer k, in this order: weight_ih_l{k} [H, I_k], weight_hh_l{k} [H] (u),
      bias_ih_l{k} [H], bias_hh_l{k} [H], with I_0 = I and I_k = H for k > 0;
      W_ih and both biases ~ U(-1/sqrt(H), 1/sqrt(H)) * 2 (PyTorch's RNN default times
      make_golden.py's WEIGHT_SCALE), u ~ U(-1.5, 1.5), drawn in parameter order;
      input, h0 ~ N(0, 0.5^2); loss_weight_* ~ N(0, 1);
      loss = sum(output * loss_weight_output) + sum(h_n * loss_weight_h_n);
      tensors: input, h0, every parameter, output, h_n, loss_weight_output,
      loss_weight_h_n, loss [1], grad.<parameter>, grad.input, grad.h0.

A seed is kept only if every layer's u has both signs and entries with |u| < 1 and
|u| > 1; for relu also 30-70 % of the pre-activations must be negative and none within
1e-3 of 0, so that finite differences and float32 comparisons stay off the kink.
Otherwise the next seed (+1000) is tried, as make_golden.py does.

Run:    /usr/bin/python3 tools/reference/make_indrnn_golden.py
Check:  /usr/bin/python3 tools/reference/make_indrnn_golden.py --check
        reloads the committed fixtures, recomputes output, h_n and loss from their
        tensors, and compares every stored gradient entry with a central finite
        difference of the loss in float64.
"""

import argparse
import math
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from make_golden import B, H, I, OUT, ROOT, STATE_STD, T, WEIGHT_SCALE, numpy  # noqa: E402

U_BOUND = 1.5
MIN_ABS_PREACTIVATION = 1e-3

CELLS = [
    # name, activation, layers, first seed tried
    ("indrnn_relu_l1", "relu", 1, 301),
    ("indrnn_relu_l2", "relu", 2, 302),
    ("indrnn_tanh_l1", "tanh", 1, 303),
    ("indrnn_tanh_l2", "tanh", 2, 304),
]

FD_STEP = 1e-6
FD_TOLERANCE = 1e-7


class IndRNN(nn.Module):
    """A batch-first IndRNN stack with PyTorch-style parameter names."""

    def __init__(self, input_size, hidden_size, layers, activation):
        super().__init__()
        self.layers = layers
        self.phi = {"relu": torch.relu, "tanh": torch.tanh}[activation]
        for k in range(layers):
            fan_in = input_size if k == 0 else hidden_size
            shapes = {
                f"weight_ih_l{k}": (hidden_size, fan_in),
                f"weight_hh_l{k}": (hidden_size,),
                f"bias_ih_l{k}": (hidden_size,),
                f"bias_hh_l{k}": (hidden_size,),
            }
            for name, shape in shapes.items():
                self.register_parameter(name, nn.Parameter(torch.empty(shape, dtype=torch.float64)))

    def reset_parameters(self):
        """Draws every parameter in state_dict order from the current torch seed."""
        bound = WEIGHT_SCALE / math.sqrt(self.weight_hh_l0.shape[0])
        with torch.no_grad():
            for name, p in self.named_parameters():
                if name.startswith("weight_hh_"):
                    p.uniform_(-U_BOUND, U_BOUND)
                else:
                    p.uniform_(-bound, bound)

    def forward(self, x, h0):
        """x [B, T, I], h0 [L, B, H] -> output [B, T, H], h_n [L, B, H] and the
        pre-activations [L, B, T, H]."""
        seq = x
        finals, pres = [], []
        for k in range(self.layers):
            w_ih, u = getattr(self, f"weight_ih_l{k}"), getattr(self, f"weight_hh_l{k}")
            b_ih, b_hh = getattr(self, f"bias_ih_l{k}"), getattr(self, f"bias_hh_l{k}")
            h = h0[k]  # [B, H]
            outs, layer_pres = [], []
            for t in range(seq.shape[1]):
                pre = seq[:, t] @ w_ih.T + b_ih + u * h + b_hh  # [B, H]
                h = self.phi(pre)
                outs.append(h)
                layer_pres.append(pre)
            seq = torch.stack(outs, dim=1)  # [B, T, H]
            finals.append(h)
            pres.append(torch.stack(layer_pres, dim=1))
        return seq, torch.stack(finals), torch.stack(pres)


def loss_of(output, h_n, w_out, w_h):
    return (output * w_out).sum() + (h_n * w_h).sum()


def u_mix_ok(rnn):
    """Every layer's u has both signs and magnitudes on both sides of 1."""
    for k in range(rnn.layers):
        u = getattr(rnn, f"weight_hh_l{k}")
        if not ((u > 0).any() and (u < 0).any() and (u.abs() < 1).any() and (u.abs() > 1).any()):
            return False
    return True


def cell_fixture(name, activation, layers, first_seed):
    for seed in range(first_seed, first_seed + 100 * 1000, 1000):
        torch.manual_seed(seed)
        rnn = IndRNN(I, H, layers, activation)
        rnn.reset_parameters()
        x = torch.randn(B, T, I, dtype=torch.float64) * STATE_STD
        h0 = torch.randn(layers, B, H, dtype=torch.float64) * STATE_STD
        w_out = torch.randn(B, T, H, dtype=torch.float64)
        w_h = torch.randn(layers, B, H, dtype=torch.float64)
        with torch.no_grad():
            _, _, pre = rnn(x, h0)
        negative = (pre < 0).double().mean().item()
        if not u_mix_ok(rnn):
            continue
        if activation == "tanh":
            break
        if 0.3 <= negative <= 0.7 and pre.abs().min().item() > MIN_ABS_PREACTIVATION:
            break
    else:
        raise RuntimeError(f"{name}: no seed gave a good mix of u and pre-activations")

    x.requires_grad_(True)
    h0.requires_grad_(True)
    output, h_n, pre = rnn(x, h0)
    loss = loss_of(output, h_n, w_out, w_h)
    loss.backward()

    tensors = {"input": numpy(x), "h0": numpy(h0)}
    params = dict(rnn.named_parameters())
    assert list(params) == list(rnn.state_dict())
    for pname, p in params.items():
        tensors[pname] = numpy(p)
    tensors["output"] = numpy(output)
    tensors["h_n"] = numpy(h_n)
    tensors["loss_weight_output"] = numpy(w_out)
    tensors["loss_weight_h_n"] = numpy(w_h)
    tensors["loss"] = numpy(loss).reshape(1)
    for pname, p in params.items():
        tensors["grad." + pname] = numpy(p.grad)
    tensors["grad.input"] = numpy(x.grad)
    tensors["grad.h0"] = numpy(h0.grad)

    metadata = {
        "generator": "tools/reference/make_indrnn_golden.py",
        "torch_version": torch.__version__,
        "cell": "indrnn_" + activation,
        "layers": str(layers),
        "batch": str(B),
        "steps": str(T),
        "input_size": str(I),
        "hidden_size": str(H),
        "seed": str(seed),
        "batch_first": "true",
        "dtype": "float64",
        "equation": (f"h_t = {activation}(W_ih x_t + b_ih + u * h_(t-1) + b_hh), u = weight_hh_l<k> "
                     "a vector, * elementwise; layer k > 0 reads layer k-1's output sequence"),
        "init": (f"torch.manual_seed(seed), then in state_dict order, float64 uniform_: weight_ih, bias_ih, "
                 f"bias_hh ~ U(-1/sqrt(H), 1/sqrt(H)) multiplied by 2; weight_hh (u) ~ U(-{U_BOUND}, {U_BOUND})"),
        "data": "after the parameters: input, h0 ~ N(0, 0.5^2); loss_weight_output, loss_weight_h_n ~ N(0, 1)",
        "loss": "sum(output * loss_weight_output) + sum(h_n * loss_weight_h_n)",
    }
    extra = ""
    if activation == "relu":
        metadata["negative_preactivation_share"] = f"{negative:.4f}"
        metadata["min_abs_preactivation"] = f"{pre.abs().min().item():.6f}"
        extra = f", negative pre-activations {negative:.0%}, min |pre| {pre.abs().min().item():.4f}"
    path = os.path.join(OUT, name + ".safetensors")
    safetensors_io.save(path, tensors, metadata)
    print(f"wrote {os.path.relpath(path, ROOT)} (seed {seed}, loss {loss.item():.12f}{extra})")


def check_fixture(name, activation, layers):
    """Recomputes a committed fixture from its own tensors and checks every gradient entry
    against a central finite difference; returns the largest gradient discrepancy."""
    path = os.path.join(OUT, name + ".safetensors")
    stored, _ = safetensors_io.load(path)
    rnn = IndRNN(I, H, layers, activation)
    with torch.no_grad():
        for pname, p in rnn.named_parameters():
            p.copy_(torch.from_numpy(stored[pname]))
    leaves = dict(rnn.named_parameters())
    leaves["input"] = torch.from_numpy(stored["input"])
    leaves["h0"] = torch.from_numpy(stored["h0"])
    w_out = torch.from_numpy(stored["loss_weight_output"])
    w_h = torch.from_numpy(stored["loss_weight_h_n"])

    def loss_now():
        output, h_n, _ = rnn(leaves["input"], leaves["h0"])
        return output, h_n, loss_of(output, h_n, w_out, w_h).item()

    with torch.no_grad():
        output, h_n, loss = loss_now()
        for what, value in (("output", output), ("h_n", h_n)):
            gap = (value - torch.from_numpy(stored[what])).abs().max().item()
            if gap > 1e-12:
                raise AssertionError(f"{name}: recomputed {what} differs from the stored one by {gap:.3e}")
        if abs(loss - stored["loss"][0]) > 1e-12:
            raise AssertionError(f"{name}: recomputed loss {loss!r} differs from the stored {stored['loss'][0]!r}")
        worst = 0.0
        for lname, leaf in leaves.items():
            grad = stored["grad." + lname].reshape(-1)
            flat = leaf.view(-1)
            for j in range(flat.numel()):
                keep = flat[j].item()
                flat[j] = keep + FD_STEP
                up = loss_now()[2]
                flat[j] = keep - FD_STEP
                down = loss_now()[2]
                flat[j] = keep
                fd = (up - down) / (2 * FD_STEP)
                gap = abs(fd - grad[j])
                if gap > FD_TOLERANCE:
                    raise AssertionError(f"{name}: grad.{lname}[{j}] = {grad[j]!r} but the finite difference "
                                         f"gives {fd!r} (gap {gap:.3e} > {FD_TOLERANCE})")
                worst = max(worst, gap)
    return worst


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="IndRNN golden fixtures (see the module docstring)")
    parser.add_argument("--check", action="store_true",
                        help="check the committed fixtures against finite differences instead of writing them")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.check:
        for name, activation, layers, _ in CELLS:
            worst = check_fixture(name, activation, layers)
            print(f"{name}: output, h_n, loss recomputed; every gradient entry within {worst:.2e} "
                  f"of its central finite difference (step {FD_STEP})")
    else:
        os.makedirs(OUT, exist_ok=True)
        for cell in CELLS:
            cell_fixture(*cell)
