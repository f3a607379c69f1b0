# Makes the TorchScript fixtures the tests load. The .pt files are committed; CI never runs this.
# To regenerate: `apt-get install python3-torch` (Debian's PyTorch 1.13), then run
#   /usr/bin/python3 make_fixtures.py
# in this folder.
from typing import Tuple

import torch
import torch.nn as nn

torch.manual_seed(0)


class MnistMlp(nn.Module):
    """The built-in mlp's default shape for MNIST: 784 -> 128 -> 10, flattening its [1, 28, 28] input."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(torch.relu(self.fc1(x.flatten(1))))


class TinyCsv(nn.Module):
    """Four features in, three classes out: the shape of the tests' small CSV files."""

    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(4, 8)
        self.out = nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(torch.tanh(self.hidden(x)))


class ReadsFile(nn.Module):
    """Tries to read a file through torch.from_file: must be refused before it is ever loaded."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = torch.from_file("/tmp/gensyn-torchscript-canary", size=8)
        return self.fc(x) + t.float().sum()


class WritesFile(nn.Module):
    """Tries to write a file through torch.save."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        torch.save(x, "/tmp/gensyn-torchscript-written.pt")
        return self.fc(x)


class ReadsFileThroughOps(nn.Module):
    """Reaches the same operator by its full name, torch.ops.aten.from_file."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = torch.ops.aten.from_file("/tmp/gensyn-torchscript-canary", None, 8)
        return self.fc(x) + t.float().sum()


class NoParameters(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * 2


class ReturnsTuple(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        return self.fc(x), x


for name, module in [
    ("mnist_mlp", MnistMlp()),
    ("tiny_csv", TinyCsv()),
    ("evil_from_file", ReadsFile()),
    ("evil_save", WritesFile()),
    ("evil_ops_from_file", ReadsFileThroughOps()),
    ("no_parameters", NoParameters()),
    ("returns_tuple", ReturnsTuple()),
]:
    torch.jit.script(module).save(name + ".pt")
    print("wrote", name + ".pt")
# torch.load cannot be scripted at all (TorchScript refuses it), so no fixture can carry it; the checker refuses the name anyway.
