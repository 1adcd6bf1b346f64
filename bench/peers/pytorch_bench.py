#!/usr/bin/env python3
"""The PyTorch peer of `unroll bench --vs pytorch`: the same rows, measured the same way.

Run by the Java harness as `python3 pytorch_bench.py --server`: it reads one JSON request per
line on stdin and answers each with one JSON line on stdout (the protocol of
io.unroll.bench.PeerProtocol); nothing else goes to stdout. The harness sets
OPENBLAS_CORETYPE=SkylakeX in this process's environment only and asks for its own thread
count, which is passed to torch.set_num_threads.

  training step: nn.RNN(tanh) / nn.LSTM / nn.GRU (1 layer, I = H, batch_first=True) over a fixed
                 random [B, T, I] -> nn.Linear(H, 64) over all B*T rows -> F.cross_entropy ->
                 loss.backward() -> clip_grad_norm_(5.0) -> Adam(lr 1e-3).step(), with
                 optimizer.zero_grad(set_to_none=False) first; float32.
  streaming step: with torch.no_grad(), one module call on [1, 1, I], the state carried.
  lab step:      a lab task as `unroll lab` trains it, on the N batches Unroll wrote to the
                 safetensors file the request names, cycled; the request's "target" says which:
                 class_every_step (the copy task; `inputs`, `targets`: int32 [N, B, T]):
                   nn.RNN / nn.LSTM / nn.GRU(I, H, batch_first=True) over F.one_hot(ids, I).float()
                   -> nn.Linear(H, I) over all B*T rows -> F.cross_entropy, Adam lr 3e-3;
                 real_at_last_step (adding, delayed signal; `inputs` float32 [N, B, T, I],
                   `targets` float32 [N, B, 1]): the same module over the inputs ->
                   nn.Linear(H, 1) on out[:, -1] -> F.mse_loss, Adam lr 1e-3;
                 then backward -> clip_grad_norm_(1.0) -> Adam.step(), zero_grad(set_to_none=False)
                 first. The file is parsed here (read_safetensors), with nothing beyond the standard
                 library.
  probe:         the playground's first picture: nn.RNNCell / nn.LSTMCell / nn.GRUCell (I = 1, no
                 biases) stepped over one random sequence of T steps keeping every h_t (and c_t)
                 with retain_grad, backward from 1/sqrt(H) on the last h, the norms, then
                 torch.linalg.svdvals and eigvals of weight_hh and its gate blocks in float64.

The timing method is io.unroll.bench.Measure's, line for line (see `measure`).

By hand, one request:  python3 pytorch_bench.py --once '{"op":"train","cell":"lstm","hidden":64,...}'
"""
import array
import json
import math
import os
import platform
import struct
import sys
import time


def main(argv):
    if len(argv) >= 2 and argv[1] == "--server":
        mode = "server"
    elif len(argv) >= 3 and argv[1] == "--once":
        mode = "once"
    else:
        sys.stderr.write("usage: pytorch_bench.py --server | --once '<json request>'\n")
        return 2
    try:
        import torch  # noqa: F401  (imported here so a missing torch is one clear line)
    except Exception as e:  # ImportError, or a broken BLAS underneath
        sys.stderr.write("pytorch_bench: cannot import torch: %s\n" % e)
        return 3
    if mode == "once":
        sys.stdout.write(answer(json.loads(argv[2])) + "\n")
        return 0
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
        except ValueError as e:
            reply(json.dumps({"ok": False, "error": "not JSON: %s" % e}))
            continue
        if request.get("op") == "quit":
            return 0
        reply(answer(request))
    return 0


def reply(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def answer(request):
    try:
        op = request.get("op")
        if op == "hello":
            return json.dumps(dict(ok=True, op="hello", **hello(request)))
        if op == "train":
            return measurement("train", measure(request["timing"], training_work(request)))
        if op == "stream":
            return measurement("stream", measure(request["timing"], streaming_work(request)))
        if op == "lab":
            return measurement("lab", measure(request["timing"], lab_work(request)))
        if op == "probe":
            return measurement("probe", measure(request["timing"], probe_work(request)))
        return json.dumps({"ok": False, "error": "unknown op %r, expected hello, train, stream, lab, probe or quit" % op})
    except Exception as e:
        return json.dumps({"ok": False, "error": "%s: %s" % (type(e).__name__, e)})


def hello(request):
    import torch
    threads = int(request.get("threads", 1))
    torch.set_num_threads(threads)
    config = torch.__config__.show()
    blas_info = next((part.split("=", 1)[1] for part in config.replace(",", " ").split()
                      if part.startswith("BLAS_INFO=")), "unknown")
    return {
        "engine": "pytorch",
        "version": torch.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "blas": blas_libraries(),
        "blasInfo": blas_info,
        "coretype": os.environ.get("OPENBLAS_CORETYPE"),
        "parallelBackend": next((line.split(":", 1)[1].strip() for line in torch.__config__.parallel_info().splitlines()
                                 if line.startswith("ATen parallel backend")), None),
    }


def blas_libraries():
    """The BLAS/LAPACK libraries actually mapped into this process (what torch really calls)."""
    try:
        with open("/proc/self/maps") as maps:
            libs = sorted({line.split()[-1] for line in maps
                           if "blas" in line.lower() and "/" in line})
        return ", ".join(libs) if libs else None
    except OSError:
        return None


def module(cell, input_size, hidden):
    import torch.nn as nn
    if cell in ("rnn_tanh", "rnn"):
        return nn.RNN(input_size, hidden, 1, nonlinearity="tanh", batch_first=True)
    if cell == "rnn_relu":
        return nn.RNN(input_size, hidden, 1, nonlinearity="relu", batch_first=True)
    if cell == "lstm":
        return nn.LSTM(input_size, hidden, 1, batch_first=True)
    if cell == "gru":
        return nn.GRU(input_size, hidden, 1, batch_first=True)
    raise ValueError("unknown cell %r, expected rnn_tanh, rnn_relu, lstm or gru" % cell)


def training_work(r):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    torch.manual_seed(int(r.get("seed", 1)))
    h, b, t, c = int(r["hidden"]), int(r["batch"]), int(r["steps"]), int(r["classes"])
    i = int(r.get("input", h))
    rnn = module(r["cell"], i, h)
    head = nn.Linear(h, c)
    params = list(rnn.parameters()) + list(head.parameters())
    optimizer = torch.optim.Adam(params, lr=1e-3)
    x = torch.randn(b, t, i)
    y = torch.randint(0, c, (b * t,))

    def work(iterations):
        for _ in range(iterations):
            optimizer.zero_grad(set_to_none=False)
            out, _ = rnn(x)
            loss = F.cross_entropy(head(out.reshape(b * t, h)), y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 5.0)
            optimizer.step()
    return work


def lab_work(r):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    torch.manual_seed(int(r.get("seed", 1)))
    h, b, t, i = int(r["hidden"]), int(r["batch"]), int(r["steps"]), int(r["input"])
    target = r.get("target")
    tensors = read_safetensors(r["data"])
    if target == "class_every_step":
        c = int(r["classes"])
        # int64 once, outside the timed steps: one_hot and cross_entropy take int64 ids
        inputs = lab_batches(r["data"], tensors, "inputs", "I32", [b, t], torch.int64)
        targets = [y.reshape(b * t) for y in lab_batches(r["data"], tensors, "targets", "I32", [b, t], torch.int64)]
        outputs, lr = c, 3e-3

        def loss_of(k):
            out, _ = rnn(F.one_hot(inputs[k], i).float())
            return F.cross_entropy(head(out.reshape(b * t, h)), targets[k])
    elif target == "real_at_last_step":
        o = int(r["outputs"])
        inputs = lab_batches(r["data"], tensors, "inputs", "F32", [b, t, i], torch.float32)
        targets = lab_batches(r["data"], tensors, "targets", "F32", [b, o], torch.float32)
        outputs, lr = o, 1e-3

        def loss_of(k):
            out, _ = rnn(inputs[k])
            return F.mse_loss(head(out[:, -1]), targets[k])
    else:
        raise ValueError("the lab request's target is %r, expected class_every_step (the copy task) or"
                         " real_at_last_step (adding, delayed signal)" % target)
    if len(inputs) != len(targets):
        raise ValueError("%s: %d input batches but %d target batches" % (r["data"], len(inputs), len(targets)))
    n = len(inputs)
    rnn = module(r["cell"], i, h)
    head = nn.Linear(h, outputs)
    bound = 1 / math.sqrt(h)
    nn.init.uniform_(head.weight, -bound, bound)
    nn.init.uniform_(head.bias, -bound, bound)
    params = list(rnn.parameters()) + list(head.parameters())
    optimizer = torch.optim.Adam(params, lr=lr)
    position = {"k": 0}

    def work(iterations):
        k = position["k"]
        for _ in range(iterations):
            optimizer.zero_grad(set_to_none=False)
            loss = loss_of(k)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            k = (k + 1) % n
        position["k"] = k
    return work


def lab_batches(path, tensors, name, dtype, shape, torch_dtype):
    """Tensor `name` of a lab file, `dtype` [N] + `shape`, as N torch tensors of `shape` (views of one)."""
    import torch
    if name not in tensors:
        raise ValueError("%s holds no tensor %r" % (path, name))
    found, full, _ = tensors[name]
    if found != dtype or len(full) != len(shape) + 1 or full[1:] != shape:
        raise ValueError("%s: %s is %s %s, expected %s [N, %s]" % (path, name, found, full, dtype, ", ".join(map(str, shape))))
    values = int32_values(tensors[name]) if dtype == "I32" else float32_values(tensors[name])
    whole = torch.tensor(values.tolist(), dtype=torch_dtype).reshape(full)
    return [whole[k] for k in range(full[0])]


SAFETENSORS_DTYPES = {"F32": 4, "F64": 8, "I32": 4, "I64": 8, "F16": 2, "BF16": 2, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}


def read_safetensors(path):
    """A safetensors file as {name: (dtype, shape, raw little-endian bytes)}, its lengths and offsets checked.

    The format: an 8-byte little-endian header length n, n bytes of JSON header
    ({name: {"dtype", "shape", "data_offsets": [begin, end]}, optional "__metadata__"}), then the
    data, the offsets counted from the end of the header.
    """
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError("%s is %d bytes, too short for a safetensors header length" % (path, len(blob)))
    (n,) = struct.unpack("<Q", blob[:8])
    if n > len(blob) - 8:
        raise ValueError("%s: header of %d bytes, but only %d bytes follow the length" % (path, n, len(blob) - 8))
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    data = memoryview(blob)[8 + n:]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        dtype, shape = entry["dtype"], [int(d) for d in entry["shape"]]
        begin, end = (int(o) for o in entry["data_offsets"])
        count = 1
        for d in shape:
            count *= d
        if dtype not in SAFETENSORS_DTYPES:
            raise ValueError("%s: tensor %r has unknown dtype %r" % (path, name, dtype))
        if not 0 <= begin <= end <= len(data) or end - begin != count * SAFETENSORS_DTYPES[dtype]:
            raise ValueError("%s: tensor %r (%s %s) has offsets [%d, %d] in %d bytes of data"
                             % (path, name, dtype, shape, begin, end, len(data)))
        tensors[name] = (dtype, shape, bytes(data[begin:end]))
    return tensors


def int32_values(tensor):
    """The row-major values of an I32 tensor from read_safetensors, as array('i')."""
    return typed_values(tensor, "I32", "i")


def float32_values(tensor):
    """The row-major values of an F32 tensor from read_safetensors, as array('f')."""
    return typed_values(tensor, "F32", "f")


def typed_values(tensor, dtype, typecode):
    """The row-major values of a 4-byte `dtype` tensor from read_safetensors, as array(typecode)."""
    found, _, raw = tensor
    if found != dtype:
        raise ValueError("expected an %s tensor, got %s" % (dtype, found))
    values = array.array(typecode)
    if values.itemsize != 4:
        raise ValueError("this Python's array type %r is %d bytes, not 4" % (typecode, values.itemsize))
    values.frombytes(raw)
    if sys.byteorder != "little":
        values.byteswap()
    return values


def probe_work(r):
    """The playground's first picture the PyTorch way: a one-layer cell without biases (W_hh gaussian
    with gain 0.9, W_ih gaussian 0.1) stepped over one sequence with every h_t (and c_t) kept with its
    gradient, backward from a gradient of 1/sqrt(H) on every unit of the last h, the norm reaching
    every step, and the singular values and eigenvalues of weight_hh and of each gate block."""
    import torch
    import torch.nn as nn
    torch.manual_seed(int(r.get("seed", 1)))
    cell, h, t = r["cell"], int(r["hidden"]), int(r["steps"])
    kinds = {"rnn_tanh": lambda: nn.RNNCell(1, h, bias=False, nonlinearity="tanh"),
             "rnn_relu": lambda: nn.RNNCell(1, h, bias=False, nonlinearity="relu"),
             "lstm": lambda: nn.LSTMCell(1, h, bias=False),
             "gru": lambda: nn.GRUCell(1, h, bias=False)}
    if cell not in kinds:
        raise ValueError("unknown cell %r, expected one of %s" % (cell, ", ".join(kinds)))
    step = kinds[cell]()
    with torch.no_grad():
        step.weight_hh.normal_(0, 0.9 / math.sqrt(h))
        step.weight_ih.normal_(0, 0.1)
    x = torch.randn(t, 1, 1)
    lstm = cell == "lstm"

    def work(iterations):
        for _ in range(iterations):
            state = (torch.zeros(1, h), torch.zeros(1, h)) if lstm else torch.zeros(1, h)
            kept = []
            for k in range(t):
                state = step(x[k], state)
                for s in (state if lstm else (state,)):
                    s.retain_grad()
                    kept.append(s)
            last = state[0] if lstm else state
            last.backward(torch.full((1, h), h ** -0.5))
            torch.stack([s.grad.norm() for s in kept])
            w = step.weight_hh.detach().double()
            blocks = w.split(h)
            if len(blocks) > 1:
                torch.linalg.svdvals(w)
            for block in blocks:
                torch.linalg.svdvals(block)
                torch.linalg.eigvals(block)
            step.zero_grad(set_to_none=True)
    return work


def streaming_work(r):
    import torch
    torch.manual_seed(int(r.get("seed", 1)))
    h, i = int(r["hidden"]), int(r["input"])
    rnn = module(r["cell"], i, h)
    inputs = [torch.randn(1, 1, i) for _ in range(16)]
    carried = {"state": None, "position": 0}

    def work(iterations):
        state = carried["state"]
        position = carried["position"]
        with torch.no_grad():
            for _ in range(iterations):
                _, state = rnn(inputs[position & 15], state)
                position += 1
        carried["state"] = state
        carried["position"] = position
    return work


def measure(timing, work):
    """io.unroll.bench.Measure.run, line for line: warm-up until stable, then timed runs."""
    warm_start = time.perf_counter_ns()
    window_size = int(timing["stableWindow"])
    window = [0.0] * window_size
    count = 0
    iterations = 0
    k = 1
    sample_seconds = float(timing["sampleSeconds"])
    while True:
        t0 = time.perf_counter_ns()
        work(k)
        t1 = time.perf_counter_ns()
        per_iteration = (t1 - t0) / k
        window[count % window_size] = per_iteration
        count += 1
        iterations += k
        if sample_seconds > 0:
            k = max(1, min(k * 4, math.ceil(sample_seconds * 1e9 / max(per_iteration, 1))))
        elapsed = (t1 - warm_start) / 1e9
        enough = count >= int(timing["warmupMinIterations"]) and elapsed >= float(timing["warmupMinSeconds"])
        if enough and count >= window_size and stable(window, float(timing["stableTolerance"])):
            break
        if elapsed >= float(timing["warmupMaxSeconds"]) and count >= 1:
            break
    warmup_seconds = (time.perf_counter_ns() - warm_start) / 1e9
    estimate = median(window[:min(count, window_size)])
    per_run = max(1, math.ceil(sample_seconds * 1e9 / max(estimate, 1))) if sample_seconds > 0 else 1
    wanted = float(timing["runSeconds"]) * 1e9 / max(estimate * per_run, 1)
    runs = int(max(int(timing["minRuns"]), min(int(timing["maxRuns"]), java_round(wanted))))
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        work(per_run)
        samples.append((time.perf_counter_ns() - t0) / per_run)
    return {"samples": samples, "iterationsPerRun": per_run, "warmupIterations": iterations,
            "warmupSeconds": warmup_seconds}


def stable(values, tolerance):
    lo, hi = min(values), max(values)
    return lo > 0 and hi / lo - 1 <= tolerance


def median(values):
    s = sorted(values)
    pos = 0.5 * (len(s) - 1)
    lo = int(math.floor(pos))
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (pos - lo) * (s[hi] - s[lo])


def java_round(x):
    return math.floor(x + 0.5)


def measurement(op, m):
    return json.dumps(dict(ok=True, op=op, **m))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
