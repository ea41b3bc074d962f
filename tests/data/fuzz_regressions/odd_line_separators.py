# fuzz regression: U+2028, U+2029, \x0b, \x1c-\x1e and \x85 in a comment or a string
# (str.splitlines splits on them, Python does not) shifted every fix offset after them.
import torch
from torch import nn

model = nn.Linear(4, 2)  # note  more
s = "a bcdef"  # 
model.weight.require_grad = False
opt = torch.optim.SGD(model.parameters, lr=0.1)
