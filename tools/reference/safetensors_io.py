"""Tiny hand-written safetensors reader/writer for NumPy arrays.

The format (https://github.com/huggingface/safetensors):

    8 bytes   little-endian u64 N, the header length
    N bytes   UTF-8 JSON: {"__metadata__": {str: str}, name: {"dtype": "F32",
              "shape": [...], "data_offsets": [begin, end]}, ...}, padded with
              spaces so that the data section starts at a multiple of 8
    rest      raw little-endian tensor data; offsets are relative to its start

The writer emits compact JSON with "__metadata__" first and the tensors in the
order given, which is what the reference (Rust) implementation writes too, so
files are byte-for-byte reproducible. Only the dtypes Unroll reads are
supported: F32, F64, I32, I64.

Used by every script in this folder; no dependency other than
NumPy (the `safetensors` Python package is not needed).
"""

import json
import os
import struct
import tempfile

import numpy as np

_DTYPES = {
    np.dtype("float32"): "F32",
    np.dtype("float64"): "F64",
    np.dtype("int32"): "I32",
    np.dtype("int64"): "I64",
}
_NUMPY = {v: k.newbyteorder("<") for k, v in _DTYPES.items()}


def save(path, tensors, metadata=None):
    """Write `tensors` (an ordered dict name -> ndarray) and optional string
    `metadata` to `path`, atomically (temp file + rename)."""
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    chunks = []
    offset = 0
    for name, array in tensors.items():
        if name == "__metadata__":
            raise ValueError("'__metadata__' is reserved and cannot name a tensor")
        array = np.asarray(array)
        if array.dtype not in _DTYPES:
            raise ValueError(f"tensor {name!r}: unsupported dtype {array.dtype}")
        raw = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()
        header[name] = {
            "dtype": _DTYPES[array.dtype],
            "shape": [int(d) for d in array.shape],
            "data_offsets": [offset, offset + len(raw)],
        }
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(text)))
            f.write(text)
            for raw in chunks:
                f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file ordinary permissions
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load(path):
    """Read a safetensors file; returns (dict name -> ndarray in file order, metadata dict)."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    if 8 + n > len(blob):
        raise ValueError(f"{path}: header length {n} exceeds file size {len(blob)}")
    header = json.loads(blob[8 : 8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    data = blob[8 + n :]
    out = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        dtype = _NUMPY[info["dtype"]]
        out[name] = np.frombuffer(data[begin:end], dtype=dtype).reshape(info["shape"]).copy()
    return out, metadata
