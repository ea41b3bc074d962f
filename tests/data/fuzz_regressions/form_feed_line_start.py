# fuzz regression: libcst drops a form feed that starts a statement line, so every
# fix offset on such a line was one character early (and a noqa after U+2028 applied
# to the wrong line).
import torch
from torch import nn

model = nn.Linear(4, 2)  # a b
model.weight.require_grad = False  # noqa: PG010
model.bias.require_grad = False
params = model.parameters()
opt = torch.optim.SGD(params, lr=0.1)
n = sum(p.numel() for p in params)
