# fuzz regression: a form feed before a tab in a block's indentation: libcst counts it
# as a column there (it drops one that starts a top-level line), so fix offsets from
# "column 0 restarts after the form feed" were one character late.
import copy
import itertools  # noqa: PG010
import torch
import torch.nn as nn
from torch.optim import AdamW
from torch.optim.lr_scheduler import OneCycleLR; pass
from torch.nn.parallel import DistributedDataParallel as DDP
model = nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8), nn.Linear(8, 2))  # noqa
encoder, head = nn.Linear(4, 4), nn.Linear(4, 2)
net = model
lr = 1e-3  # noteé more
base_lr = 0.1
step = 0
frozen = True  # note﻿ more
params = net.named_parameters()
# é 
torch.nn.utils.clip_grad_norm_(params, 1.0)
ema = [p.detach().clone() for p in params]
opt = optim.SGD(params, lr=1e-3)
scheduler = OneCycleLR(opt, 0.1, 100)
model = torch.compile(model)
for p in params:
	p.require_grad = True
