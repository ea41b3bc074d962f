# fuzz regression: a form feed in a nested block's indentation (Python restarts the
# column count at it) made libcst refuse the file: "syntax error" on valid Python.
import torch
from torch import nn

model = nn.Linear(4, 2)
for epoch in range(3):
    if epoch == 1:
        model.weight.require_grad = False
          doc = """
  kept"""
        opt = torch.optim.SGD(model.parameters, lr=0.1)
