# A PyTorch model for the digits (8x8 images, given as 64 features in [0, 1]; 10 classes), exported as TorchScript.
# net.pt holds the module's code and its initial parameters; the spec byom.yaml names it.
#   apt-get install python3-torch      # Debian's PyTorch (1.13); any later PyTorch works too
#   python3 net.py                     # writes net.pt beside this file
import os
import sys

import torch
import torch.nn as nn


class DigitsNet(nn.Module):
    """One 3x3 convolution over the 8x8 image, 2x2 max-pooling, then a two-layer perceptron: 17,258 parameters."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 16, kernel_size=3, padding=1)
        self.fc1 = nn.Linear(16 * 4 * 4, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: [batch, 64] as the CSV rows hold it; returns the 10 class logits, [batch, 10].
        x = x.reshape(x.size(0), 1, 8, 8)
        x = torch.max_pool2d(torch.relu(self.conv(x)), [2, 2])
        return self.fc2(torch.relu(self.fc1(x.flatten(1))))


if __name__ == "__main__":
    # TorchScript writes a module's constants in set order, which follows Python's string hashing: fix the hash seed so
    # that the same code and seed always give the same net.pt, byte for byte.
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.execve(sys.executable, [sys.executable] + sys.argv, {**os.environ, "PYTHONHASHSEED": "0"})
    torch.manual_seed(0)
    model = torch.jit.script(DigitsNet())
    assert model(torch.zeros(2, 64)).shape == (2, 10)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "net.pt")
    model.save(path)
    print(f"wrote {path}: {sum(p.numel() for p in model.parameters()):,} parameters "
          f"({', '.join(name for name, _ in model.named_parameters())})")
