#!/usr/bin/env python3
"""Float64 NumPy references for Unroll's seeded Rng, for the from-scratch next-character
RNN on "hello world! hello world! hello world!" and for the gradient-decay experiment.

Writes into core/src/test/resources/reference/:
  numpy_rng.safetensors     NumPy legacy RandomState streams (MT19937 + polar gaussian)
  numpy_hello.safetensors   the hello-world character RNN: every epoch's loss and pre-clip
                            gradient norm
  numpy_decay.safetensors   gradient decay: per-timestep backward norms, tanh and relu

Run from anywhere:  /usr/bin/python3 tools/reference/make_numpy_reference.py
Deterministic: rerunning gives byte-identical files with the same NumPy build.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(ROOT, "core", "src", "test", "resources", "reference")


# --------------------------------------------------------------------------- rng
RNG_SEEDS = [0, 42, 7, 4294967295]
RNG_COUNT = 1000


def interleave_kinds(n):
    """Deterministic pattern mixing randn (1) and random_sample (0) calls so that a
    random_sample often falls between the two halves of a cached polar pair."""
    return np.array([1 if (i % 3 != 2 and i % 7 != 4) else 0 for i in range(n)], dtype=np.int64)


def make_rng():
    tensors = {}
    kinds = interleave_kinds(RNG_COUNT)
    tensors["interleaved_kind"] = kinds
    for seed in RNG_SEEDS:
        p = f"seed_{seed}."
        np.random.seed(seed)
        tensors[p + "randn"] = np.array([np.random.randn() for _ in range(RNG_COUNT)])
        np.random.seed(seed)
        tensors[p + "random_sample"] = np.array([np.random.random_sample() for _ in range(RNG_COUNT)])
        np.random.seed(seed)
        tensors[p + "interleaved"] = np.array(
            [np.random.randn() if k == 1 else np.random.random_sample() for k in kinds])
        np.random.seed(seed)
        tensors[p + "uniform_m2_3"] = np.array([np.random.uniform(-2.0, 3.0) for _ in range(100)])
        np.random.seed(seed)
        tensors[p + "randn_8x5_times_0.01_f32"] = (np.random.randn(8, 5) * 0.01).astype(np.float32)
        np.random.seed(seed)
        tensors[p + "randint_10"] = np.array([np.random.randint(10) for _ in range(200)], dtype=np.int64)
        np.random.seed(seed)
        tensors[p + "randint_1000"] = np.array([np.random.randint(1000) for _ in range(200)], dtype=np.int64)
    metadata = {
        "generator": "tools/reference/make_numpy_reference.py",
        "numpy_version": np.__version__,
        "seeds": ",".join(str(s) for s in RNG_SEEDS),
        "procedure": (
            "each tensor seed_<s>.<what> starts from a fresh np.random.seed(s). "
            "randn: [np.random.randn() for 1000]; random_sample: [np.random.random_sample() for 1000]; "
            "interleaved: for k in interleaved_kind: np.random.randn() if k == 1 else np.random.random_sample(); "
            "uniform_m2_3: [np.random.uniform(-2.0, 3.0) for 100]; "
            "randn_8x5_times_0.01_f32: (np.random.randn(8, 5) * 0.01).astype(np.float32); "
            "randint_10 / randint_1000: [np.random.randint(n) for 200] (legacy masked rejection, int64)"),
    }
    path = os.path.join(OUT, "numpy_rng.safetensors")
    safetensors_io.save(path, tensors, metadata)
    print(f"wrote {os.path.relpath(path, ROOT)}")


# ------------------------------------------------------------------------ hello
TEXT = "hello world! hello world! hello world!"
HELLO_H = 64
HELLO_EPOCHS = 300
HELLO_LR = 0.05
HELLO_CLIP = 5.0
PRED_EPOCHS = [0, 50, 100, 150, 200, 250, 299]


def make_hello():
    chars = sorted(set(TEXT))
    V, H = len(chars), HELLO_H
    ix = {c: i for i, c in enumerate(chars)}
    ids = np.array([ix[c] for c in TEXT], dtype=np.int64)
    inputs, targets = ids[:-1], ids[1:]
    T = len(inputs)
    assert V == 9 and T == 37

    np.random.seed(42)
    W_x = np.random.randn(H, V) * 0.01
    W_h = np.random.randn(H, H) * 0.01
    W_y = np.random.randn(V, H) * 0.01
    b_h = np.zeros(H)
    b_y = np.zeros(V)
    init = {"W_x": W_x.copy(), "W_h": W_h.copy(), "W_y": W_y.copy()}

    losses = np.zeros(HELLO_EPOCHS)
    norms = np.zeros(HELLO_EPOCHS)
    preds = {}
    eye = np.eye(V)
    for epoch in range(HELLO_EPOCHS):
        # forward
        hs = np.zeros((T + 1, H))  # hs[t + 1] = h_t, hs[0] = h0 = 0
        ps = np.zeros((T, V))
        for t in range(T):
            x = eye[inputs[t]]
            hs[t + 1] = np.tanh(W_x @ x + W_h @ hs[t] + b_h)
            y = W_y @ hs[t + 1] + b_y
            e = np.exp(y - np.max(y))
            ps[t] = e / np.sum(e)
        loss = -np.mean(np.log(ps[np.arange(T), targets] + 1e-9))
        if epoch in PRED_EPOCHS:
            preds[epoch] = np.argmax(ps, axis=1).astype(np.int64)
        # backward (gradient of the mean loss; the 1e-9 inside the log is ignored)
        dW_x, dW_h, dW_y = np.zeros_like(W_x), np.zeros_like(W_h), np.zeros_like(W_y)
        db_h, db_y = np.zeros_like(b_h), np.zeros_like(b_y)
        dh_next = np.zeros(H)
        for t in reversed(range(T)):
            dy = (ps[t] - eye[targets[t]]) / T
            dW_y += np.outer(dy, hs[t + 1])
            db_y += dy
            dh = W_y.T @ dy + dh_next
            da = (1.0 - hs[t + 1] ** 2) * dh
            db_h += da
            dW_x += np.outer(da, eye[inputs[t]])
            dW_h += np.outer(da, hs[t])
            dh_next = W_h.T @ da
        grads = [dW_x, dW_h, dW_y, db_h, db_y]
        norm = np.sqrt(sum(np.sum(g * g) for g in grads))
        losses[epoch], norms[epoch] = loss, norm
        if norm > HELLO_CLIP:
            scale = HELLO_CLIP / (norm + 1e-8)
            grads = [g * scale for g in grads]
        for p, g in zip([W_x, W_h, W_y, b_h, b_y], grads):
            p -= HELLO_LR * g

    tensors = {
        "loss": losses,
        "grad_norm": norms,
        "W_x": init["W_x"],
        "W_h": init["W_h"],
        "W_y": init["W_y"],
        "input_ids": inputs,
        "target_ids": targets,
    }
    for e in PRED_EPOCHS:
        tensors[f"pred_epoch_{e}"] = preds[e]
    tensors.update({"final_W_x": W_x, "final_W_h": W_h, "final_W_y": W_y,
                    "final_b_h": b_h, "final_b_y": b_y})
    metadata = {
        "generator": "tools/reference/make_numpy_reference.py",
        "numpy_version": np.__version__,
        "experiment": "the from-scratch next-character RNN on \"hello world!\" (docs/spec.md#hello-world)",
        "text": TEXT,
        "vocabulary": "".join(chars),
        "hidden_size": str(H),
        "epochs": str(HELLO_EPOCHS),
        "learning_rate": str(HELLO_LR),
        "max_norm": str(HELLO_CLIP),
        "procedure": (
            "float64. vocabulary = sorted(set(text)); x_t = onehot(text[t]), target_t = text[t+1], t = 0..36. "
            "np.random.seed(42); W_x = np.random.randn(64, 9) * 0.01; W_h = np.random.randn(64, 64) * 0.01; "
            "W_y = np.random.randn(9, 64) * 0.01; b_h = b_y = 0; h0 = 0 every epoch. "
            "h_t = tanh(W_x x_t + W_h h_{t-1} + b_h); y_t = W_y h_t + b_y; p_t = softmax(y_t). "
            "loss = -mean_t(log(p_t[target_t] + 1e-9)). Full BPTT of the mean loss with dy_t = (p_t - onehot)/T "
            "(the 1e-9 is not differentiated). norm = L2 over dW_x, dW_h, dW_y, db_h, db_y; if norm > 5.0 every "
            "gradient *= 5.0 / (norm + 1e-8). SGD p -= 0.05 * g. loss[e], grad_norm[e] (pre-clip) and "
            "pred_epoch_<e> (argmax p_t, t = 0..36) are from epoch e's forward pass, before its update. "
            "W_x, W_h, W_y are the initial weights; final_* are after the 300th update."),
    }
    path = os.path.join(OUT, "numpy_hello.safetensors")
    safetensors_io.save(path, tensors, metadata)
    print(f"wrote {os.path.relpath(path, ROOT)}")
    print("hello: epoch  loss        grad_norm(pre-clip)  first 20 predicted | target")
    for e in PRED_EPOCHS:
        pred = "".join(chars[i] for i in preds[e][:20])
        tgt = "".join(chars[i] for i in targets[:20])
        print(f"  {e:5d}  {losses[e]:.10f}  {norms[e]:.10f}  {pred!r} | {tgt!r}")


# ------------------------------------------------------------------------ decay
DECAY_T = 80
DECAY_H = 64
DECAY_TRIALS = 20
DECAY_SEED = 7
REPORT_STEPS = [79, 60, 40, 20, 0]


def decay_norms(activation):
    T, H = DECAY_T, DECAY_H
    np.random.seed(DECAY_SEED)
    per_trial = np.zeros((DECAY_TRIALS, T))
    for trial in range(DECAY_TRIALS):
        W_hh = np.random.randn(H, H) * 0.9 / np.sqrt(H)
        W_ih = np.random.randn(H, 1) * 0.1
        x = np.random.randn(T)
        h = np.zeros(H)
        hs, pres = [], []
        for t in range(T):
            pre = W_ih[:, 0] * x[t] + W_hh @ h
            h = np.tanh(pre) if activation == "tanh" else np.maximum(pre, 0.0)
            hs.append(h)
            pres.append(pre)
        dh = np.ones(H) / np.sqrt(H)
        for t in reversed(range(T)):
            per_trial[trial, t] = np.linalg.norm(dh)
            deriv = 1.0 - hs[t] ** 2 if activation == "tanh" else (pres[t] > 0).astype(np.float64)
            dh = W_hh.T @ (deriv * dh)
    return per_trial


def make_decay():
    tanh = decay_norms("tanh")
    relu = decay_norms("relu")
    tensors = {
        "mean_norm": tanh.mean(axis=0),
        "per_trial_norm": tanh,
        "relu_mean_norm": relu.mean(axis=0),
        "relu_per_trial_norm": relu,
    }
    metadata = {
        "generator": "tools/reference/make_numpy_reference.py",
        "numpy_version": np.__version__,
        "experiment": "the gradient-decay experiment (docs/spec.md#gradient-decay)",
        "steps": str(DECAY_T),
        "hidden_size": str(DECAY_H),
        "trials": str(DECAY_TRIALS),
        "seed": str(DECAY_SEED),
        "numpy_calls": (
            "np.random.seed(7) once, then for each of the 20 trials in turn: "
            "W_hh = np.random.randn(64, 64) * 0.9 / np.sqrt(64)  [left to right: (randn * 0.9) / 8.0]; "
            "W_ih = np.random.randn(64, 1) * 0.1; x = np.random.randn(80). "
            "The relu tensors repeat the same calls after a fresh np.random.seed(7)."),
        "procedure": (
            "float64. h_{-1} = 0; pre_t = W_ih[:, 0] * x[t] + W_hh @ h_{t-1} (zero bias); h_t = tanh(pre_t) "
            "(relu: max(pre_t, 0)). dh = ones(64) / sqrt(64); for t = 79 down to 0: norm[t] = ||dh||_2; "
            "dh = W_hh.T @ (phi'(t) * dh) with phi' = 1 - h_t^2 (relu: 1 if pre_t > 0 else 0). "
            "mean_norm = mean over trials of per_trial_norm [trials, steps]."),
    }
    path = os.path.join(OUT, "numpy_decay.safetensors")
    safetensors_io.save(path, tensors, metadata)
    print(f"wrote {os.path.relpath(path, ROOT)}")
    for label, norms in (("tanh", tanh.mean(axis=0)), ("relu", relu.mean(axis=0))):
        steps = "  ".join(f"step {s}: {norms[s]:.6e}" for s in REPORT_STEPS)
        print(f"decay {label}: {steps}  ratio step0/step79: {norms[0] / norms[79]:.6e}")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    make_rng()
    make_hello()
    make_decay()
