#!/usr/bin/env python3
"""PyTorch golden fixture for Unroll's optimizers and gradient clipping.

Writes core/src/test/resources/golden/optimizers.safetensors (float32, as the engine):

  start [P]            initial parameter values, P = 12
  grads [S, P]         the gradient fed at each of S = 6 steps
  <name> [S, P]        parameters after each step, for
                       sgd (lr 0.1), sgd_momentum (lr 0.1, momentum 0.9, weight_decay 0.01),
                       adam (lr 0.01), adam_l2 (lr 0.01, betas (0.8, 0.99), eps 1e-6, weight_decay 0.05),
                       adamw (lr 0.01, weight_decay 0.1)
  clip_grad [P]        grads[0] * 3 clipped with clip_grad_norm_(max_norm=1.0)
  clip_norm [1]        the norm clip_grad_norm_ returned (before clipping)

Run:  /usr/bin/python3 tools/reference/make_optim_golden.py
"""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(ROOT, "core", "src", "test", "resources", "golden", "optimizers.safetensors")

P, S = 12, 6
CONFIGS = {
    "sgd": lambda p: torch.optim.SGD([p], lr=0.1),
    "sgd_momentum": lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01),
    "adam": lambda p: torch.optim.Adam([p], lr=0.01),
    "adam_l2": lambda p: torch.optim.Adam([p], lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05),
    "adamw": lambda p: torch.optim.AdamW([p], lr=0.01, weight_decay=0.1),
}


def main():
    torch.manual_seed(5)
    start = torch.randn(P)
    grads = torch.randn(S, P)
    tensors = {"start": start.numpy(), "grads": grads.numpy()}
    for name, make in CONFIGS.items():
        p = torch.nn.Parameter(start.clone())
        opt = make(p)
        trajectory = []
        for s in range(S):
            p.grad = grads[s].clone()
            opt.step()
            trajectory.append(p.detach().clone())
        tensors[name] = torch.stack(trajectory).numpy()
    q = torch.nn.Parameter(torch.zeros(P))
    q.grad = grads[0] * 3
    norm = torch.nn.utils.clip_grad_norm_([q], max_norm=1.0)
    tensors["clip_grad"] = q.grad.numpy()
    tensors["clip_norm"] = norm.reshape(1).numpy()
    safetensors_io.save(OUT, tensors, {"generator": "tools/reference/make_optim_golden.py",
                                       "torch_version": torch.__version__})
    print(f"wrote {os.path.relpath(OUT, ROOT)} (clip norm {norm.item():.6f})")


if __name__ == "__main__":
    main()
