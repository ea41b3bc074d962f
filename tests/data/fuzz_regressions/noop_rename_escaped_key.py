# fuzz regression: the unsafe rename of an escaped key ('params\x0c', 'weight_decays\x0b')
# found no spelling to replace and wrote the key back unchanged: a fix that "applied"
# and left its finding.
import torch
from torch import nn

model = nn.Linear(4, 2)
opt = torch.optim.AdamW([{'name': None, 'params\x0c': iter(model.parameters())}])
opt2 = torch.optim.AdamW([{"params": model.parameters(), 'weight_decays\x0b': 0.1}])
