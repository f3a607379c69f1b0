# Loads the weights the network trained into the PyTorch model of net.py, then scores it on the test split.
#   gensyn result JOB --out byom.safetensors
#   python3 load.py byom.safetensors          # from this folder, after scripts/fetch-digits.sh
# The result is safetensors keyed by the module's own parameter names (conv.weight, conv.bias, fc1.weight, ...), so
# model.load_state_dict(load_file(path)) is all it takes. With the safetensors package installed
# (pip install safetensors) its load_file is used; Debian ships no python3-safetensors, so without it the small reader
# below does the same for the files the network writes.
import json
import os
import struct
import sys

import torch

from net import DigitsNet

try:
    from safetensors.torch import load_file
except ImportError:
    _DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
               "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
               "BOOL": torch.bool}

    def load_file(path):
        """A safetensors file as {name: tensor}: an 8-byte little-endian header size, a JSON header naming each
        tensor's dtype, shape and byte range, then the data (little-endian, as this machine reads it)."""
        assert sys.byteorder == "little", "this reader assumes a little-endian machine"
        with open(path, "rb") as f:
            blob = f.read()
        (size,) = struct.unpack("<Q", blob[:8])
        header = json.loads(blob[8:8 + size])
        data = bytearray(blob[8 + size:])
        tensors = {}
        for name, info in header.items():
            if name == "__metadata__":
                continue
            start, end = info["data_offsets"]
            if not 0 <= start <= end <= len(data):
                raise ValueError(f"{path}: {name} lies outside the file")
            dtype = _DTYPES[info["dtype"]]
            count = 1
            for d in info["shape"]:
                count *= d
            if end - start != count * torch.tensor([], dtype=dtype).element_size():
                raise ValueError(f"{path}: {name} has {end - start} bytes, which is not its shape {info['shape']}")
            tensors[name] = torch.frombuffer(data, dtype=dtype, count=count, offset=start).reshape(info["shape"])
        return tensors


def read_csv(path):
    """The CSV layout scripts/fetch-digits.sh writes: a header row, then the label and the 64 pixels of each image."""
    with open(path) as f:
        rows = [line.strip().split(",") for line in f][1:]
    labels = torch.tensor([int(r[0]) for r in rows])
    features = torch.tensor([[float(v) for v in r[1:]] for r in rows])
    return features, labels


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python3 load.py MODEL.safetensors")
    model = DigitsNet()
    model.load_state_dict(load_file(sys.argv[1]))
    model.eval()
    here = os.path.dirname(os.path.abspath(__file__))
    x, y = read_csv(os.path.join(here, "data", "test.csv"))
    with torch.no_grad():
        accuracy = (model(x).argmax(1) == y).float().mean().item()
    print(f"{sys.argv[1]}: test accuracy {100 * accuracy:.2f} % ({len(y)} images)")
