#!/usr/bin/env python3
"""PyTorch golden fixtures for Unroll's gradient-flow diagnostics (io.unroll.flow):
Jacobian products along a real trajectory, the probe's per-step gradient norms, and the
spectrum of every W_hh.

For each cell (rnn_tanh, rnn_relu, lstm, gru with torch.nn's own cells; indrnn_relu,
indrnn_tanh written with autograd as in make_indrnn_golden.py), a 2-layer stack runs on one
sequence (batch 1) from a given initial state, everything in float64. Parameters, input and
initial state are first rounded to float32 values (kept as float64), so that Unroll, which
computes in float32, starts from exactly the same numbers.

Writes core/src/test/resources/golden/flow_<cell>.safetensors, all F64:

  input [1, T, I], h0 [L, 1, H], c0 [L, 1, H] (lstm), every parameter under its
  state_dict name (weight_ih_l<k>, weight_hh_l<k>, bias_ih_l<k>, bias_hh_l<k>);
  for each layer l, with s the layer's state (h, or (h, c) side by side for the lstm, size S):
    jacobian_spectral_l<l> [T]    ||P_k||_2 for P_k = d s_(T-1) / d s_k, k = 0..T-1
    jacobian_frobenius_l<l> [T]   ||P_k||_F
    jacobian_sigma2_l<l> [T]      the second singular value of P_k (how well the direction is defined)
    jacobian_direction_l<l> [S]   the top right singular vector of P_0, largest |entry| positive
  probe_dh [L, T], probe_dc [L, T] (lstm): ||dL/dh_t||, ||dL/dc_t|| for every layer and step
      when L = sum(h_(T-1) of the top layer) / sqrt(H), with h_t and c_t separate variables;
  svd_l<l> [H]: numpy.linalg.svd(W_hh) singular values, descending (for the IndRNN of diag(u));
  svd_l<l>_<gate> [H], eig_l<l>_<gate> [H, 2] (real, imaginary; numpy.linalg.eigvals, ordered
      by modulus, real part, imaginary part, descending), for each gate block (i f g o, r z n,
      h for the rnn, u for the IndRNN).

P_k comes from torch.autograd.functional.jacobian of the function that runs layer l from
state s_k over steps k+1..T-1 (the identity for k = T-1), with the layer's input sequence
fixed. The probe's norms come from an unrolled stack in which every h_t and c_t has a zero
leaf added to it: the gradient of L at that leaf is the gradient reaching h_t (c_t) as a
variable of its own. The script checks that the unrolled stack reproduces torch.nn's stack,
and that the top layer's probe equals (1/sqrt(H)) * 1^T P_k on h.

Run:  /usr/bin/python3 tools/reference/make_flow_golden.py
"""

import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
from torch.autograd.functional import jacobian

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from make_golden import H, OUT, ROOT, STATE_STD, WEIGHT_SCALE, make_module, numpy  # noqa: E402
from make_indrnn_golden import IndRNN  # noqa: E402

T, I, L = 12, 3, 2  # H = 6, as make_golden.py's modules
MIN_ABS_PREACTIVATION = 1e-3

CELLS = [
    # cell, first seed tried
    ("rnn_tanh", 501),
    ("rnn_relu", 502),
    ("lstm", 503),
    ("gru", 504),
    ("indrnn_relu", 505),
    ("indrnn_tanh", 506),
]

GATES = {"rnn_tanh": "h", "rnn_relu": "h", "lstm": "ifgo", "gru": "rzn", "indrnn_relu": "u", "indrnn_tanh": "u"}


def round_to_float32(t):
    with torch.no_grad():
        t.copy_(t.float().double())
    return t


class Stack:
    """The 2-layer stack as a step function per layer, from torch.nn's cells (or the IndRNN's
    few lines of autograd), over the parameters of `module`."""

    def __init__(self, kind, module):
        self.kind = kind
        self.module = module
        self.cells = []
        for k in range(L):
            p = {n: getattr(module, f"{n}_l{k}") for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
            if kind.startswith("indrnn"):
                self.cells.append(p)
                continue
            fan_in = I if k == 0 else H
            if kind.startswith("rnn"):
                cell = nn.RNNCell(fan_in, H, nonlinearity=kind[4:])
            elif kind == "lstm":
                cell = nn.LSTMCell(fan_in, H)
            else:
                cell = nn.GRUCell(fan_in, H)
            cell = cell.double()
            # the cell reads the stack's own tensors, so autograd sees one set of parameters
            for n, v in p.items():
                delattr(cell, n)
                setattr(cell, n, v)
            self.cells.append(cell)

    def step(self, k, x, state):
        """One step of layer k: x [1, I_k], state (h,) or (h, c) of [1, H] -> the new state."""
        if self.kind.startswith("indrnn"):
            p = self.cells[k]
            phi = torch.relu if self.kind == "indrnn_relu" else torch.tanh
            return (phi(x @ p["weight_ih"].T + p["bias_ih"] + p["weight_hh"] * state[0] + p["bias_hh"]),)
        if self.kind == "lstm":
            return self.cells[k](x, state)
        return (self.cells[k](x, state[0]),)

    def preactivation(self, k, x, state):
        """The relu cells' pre-activation, to keep the trajectory off the kink."""
        if self.kind == "indrnn_relu":
            p = self.cells[k]
            return x @ p["weight_ih"].T + p["bias_ih"] + p["weight_hh"] * state[0] + p["bias_hh"]
        c = self.cells[k]
        return x @ c.weight_ih.T + c.bias_ih + state[0] @ c.weight_hh.T + c.bias_hh


def initial_states(kind, h0, c0):
    return [(h0[k], c0[k]) if kind == "lstm" else (h0[k],) for k in range(L)]


def trajectory(stack, x, states0, leaves=None):
    """Runs the stack over x [1, T, I]; returns per layer its input sequence [T, 1, I_k] and its
    states after every step. With leaves[k][t] = (zh, zc), zh (zc) is added to h_t (c_t) before
    anything reads it."""
    seq = [x[:, t] for t in range(T)]
    inputs, states = [], []
    for k in range(L):
        inputs.append(seq)
        state = states0[k]
        layer_states, out = [], []
        for t in range(T):
            state = stack.step(k, seq[t], state)
            if leaves is not None:
                state = tuple(s + z for s, z in zip(state, leaves[k][t]))
            layer_states.append(state)
            out.append(state[0])
        states.append(layer_states)
        seq = out
    return inputs, states


def layer_jacobian(stack, k, inputs, states, step):
    """P_step = d s_(T-1) / d s_step of layer k, [S, S], by torch.autograd.functional.jacobian."""
    xs = [x.detach() for x in inputs[k]]
    s = torch.cat([v.detach().reshape(-1) for v in states[k][step]])

    def run_from(flat):
        state = (flat[:H].reshape(1, H), flat[H:].reshape(1, H)) if stack.kind == "lstm" else (flat.reshape(1, H),)
        for t in range(step + 1, T):
            state = stack.step(k, xs[t], state)
        return torch.cat([v.reshape(-1) for v in state])

    return jacobian(run_from, s)


def ordered_eigenvalues(a):
    ev = np.linalg.eigvals(a)
    order = sorted(range(len(ev)), key=lambda i: (abs(ev[i]), ev[i].real, ev[i].imag), reverse=True)
    return np.array([[ev[i].real, ev[i].imag] for i in order])


def fixture(kind, first_seed):
    for seed in range(first_seed, first_seed + 100 * 1000, 1000):
        torch.manual_seed(seed)
        if kind.startswith("indrnn"):
            module = IndRNN(I, H, L, kind[7:])
            module.reset_parameters()
        else:
            module = make_module(kind, I, L).double()
            with torch.no_grad():
                for p in module.parameters():
                    p.mul_(WEIGHT_SCALE)
        for p in module.parameters():
            round_to_float32(p)
        x = round_to_float32(torch.randn(1, T, I, dtype=torch.float64))
        h0 = round_to_float32(torch.randn(L, 1, H, dtype=torch.float64) * STATE_STD)
        c0 = round_to_float32(torch.randn(L, 1, H, dtype=torch.float64) * STATE_STD) if kind == "lstm" else None
        stack = Stack(kind, module)
        states0 = initial_states(kind, h0, c0)
        if not kind.endswith("relu"):
            break
        with torch.no_grad():
            inputs, states = trajectory(stack, x, states0)
            pre = torch.cat([stack.preactivation(k, inputs[k][t], states0[k] if t == 0 else states[k][t - 1]).reshape(-1)
                             for k in range(L) for t in range(T)])
        negative = (pre < 0).double().mean().item()
        # units both alive and dead, none so close to the kink at 0 that float32 could land on its other side
        if not (0.2 <= negative <= 0.6 and pre.abs().min().item() > MIN_ABS_PREACTIVATION):
            continue
        # and a product that survives to step 0 in every layer, so there is something to compare
        if all(torch.linalg.svdvals(layer_jacobian(stack, k, inputs, states, 0))[0].item() > 1e-4 for k in range(L)):
            break
    else:
        raise RuntimeError(f"{kind}: no seed kept the relu pre-activations off the kink")

    # the unrolled stack against torch.nn's stack
    with torch.no_grad():
        inputs, states = trajectory(stack, x, states0)
        if kind.startswith("indrnn"):
            reference, finals, _ = module(x, h0)
        elif kind == "lstm":
            reference, (finals, _) = module(x, (h0, c0))
        else:
            reference, finals = module(x, h0)
        mine = torch.stack([states[L - 1][t][0].reshape(-1) for t in range(T)])
        gap = (mine - reference.reshape(T, H)).abs().max().item()
        assert gap < 1e-12, f"{kind}: the unrolled stack differs from torch.nn's by {gap:.3e}"

    tensors = {"input": numpy(x), "h0": numpy(h0)}
    if c0 is not None:
        tensors["c0"] = numpy(c0)
    for name, p in module.named_parameters():
        tensors[name] = numpy(p)

    # Jacobian products of every layer
    size = 2 * H if kind == "lstm" else H
    jacobians = {}
    for k in range(L):
        spectral, frobenius, sigma2 = np.zeros(T), np.zeros(T), np.zeros(T)
        for step in range(T):
            p = layer_jacobian(stack, k, inputs, states, step)
            assert p.shape == (size, size)
            jacobians[(k, step)] = p
            sv = torch.linalg.svdvals(p)
            spectral[step], sigma2[step] = sv[0].item(), sv[1].item()
            frobenius[step] = torch.linalg.matrix_norm(p, "fro").item()
            if step == 0:
                _, _, vh = torch.linalg.svd(p)
                v = vh[0]
                direction = v if v[v.abs().argmax()] > 0 else -v
        tensors[f"jacobian_spectral_l{k}"] = spectral
        tensors[f"jacobian_frobenius_l{k}"] = frobenius
        tensors[f"jacobian_sigma2_l{k}"] = sigma2
        tensors[f"jacobian_direction_l{k}"] = numpy(direction)

    # the probe: a unit gradient 1/sqrt(H) on the top layer's last h
    leaves = [[tuple(torch.zeros(1, H, dtype=torch.float64, requires_grad=True) for _ in range(len(states0[0])))
               for _ in range(T)] for _ in range(L)]
    _, probe_states = trajectory(stack, x, states0, leaves)
    loss = probe_states[L - 1][T - 1][0].sum() / math.sqrt(H)
    flat = [z for k in range(L) for t in range(T) for z in leaves[k][t]]
    grads = torch.autograd.grad(loss, flat, allow_unused=True)
    grads = [torch.zeros(1, H, dtype=torch.float64) if g is None else g for g in grads]
    per = len(states0[0])
    dh = np.array([[grads[(k * T + t) * per].norm().item() for t in range(T)] for k in range(L)])
    tensors["probe_dh"] = dh
    if kind == "lstm":
        tensors["probe_dc"] = np.array([[grads[(k * T + t) * per + 1].norm().item() for t in range(T)] for k in range(L)])
    for step in range(T):  # the top layer's probe is the seed times P_k, on h
        seeded = (torch.ones(H, dtype=torch.float64) / math.sqrt(H)) @ jacobians[(L - 1, step)][:H]
        gap = abs(seeded[:H].norm().item() - dh[L - 1][step])
        assert gap < 1e-12 * max(1.0, dh[L - 1][step]), f"{kind}: probe and Jacobian disagree at step {step} by {gap:.3e}"

    # spectra of W_hh with NumPy
    for k in range(L):
        w = numpy(getattr(module, f"weight_hh_l{k}"))
        if w.ndim == 1:
            w = np.diag(w)
        tensors[f"svd_l{k}"] = np.linalg.svd(w, compute_uv=False)
        for g, gate in enumerate(GATES[kind]):
            block = w[g * H:(g + 1) * H]
            tensors[f"svd_l{k}_{gate}"] = np.linalg.svd(block, compute_uv=False)
            tensors[f"eig_l{k}_{gate}"] = ordered_eigenvalues(block)

    metadata = {
        "generator": "tools/reference/make_flow_golden.py",
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
        "cell": kind,
        "layers": str(L),
        "steps": str(T),
        "input_size": str(I),
        "hidden_size": str(H),
        "state_size": str(size),
        "seed": str(seed),
        "dtype": "float64 holding float32 values (parameters, input, initial state)",
        "init": ("IndRNN as make_indrnn_golden.py" if kind.startswith("indrnn")
                 else "PyTorch default uniform(-1/sqrt(H), 1/sqrt(H)) multiplied by 2"),
        "data": "input ~ N(0, 1); h0" + (", c0" if kind == "lstm" else "") + " ~ N(0, 0.5^2)",
        "jacobian": "torch.autograd.functional.jacobian of layer l run from s_k over steps k+1..T-1",
        "probe": "L = sum(h_(T-1) of the top layer) / sqrt(H); gradients at zero leaves added to every h_t, c_t",
    }
    if kind.endswith("relu"):
        metadata["negative_preactivation_share"] = f"{negative:.4f}"
        metadata["min_abs_preactivation"] = f"{pre.abs().min().item():.6f}"
    path = os.path.join(OUT, f"flow_{kind}.safetensors")
    safetensors_io.save(path, tensors, metadata)
    tops = ", ".join(f"layer {k} {tensors[f'jacobian_spectral_l{k}'][0]:.4e}" for k in range(L))
    print(f"wrote {os.path.relpath(path, ROOT)} (seed {seed}; ||P_0||_2: {tops}; probe at step 0 "
          f"{dh[L - 1][0]:.4e})")


if __name__ == "__main__":
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    for cell in CELLS:
        fixture(*cell)
