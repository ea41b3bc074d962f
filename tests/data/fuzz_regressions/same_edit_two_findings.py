# fuzz regression: an iterator consumed three times gives two PG002 findings with the
# same edit; applying it twice made `list(list(` garbage and the safe fix was dropped.
import itertools

import torch.nn as nn

model = nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8), nn.Linear(8, 2))
params = itertools.chain(model[0].parameters(), model[2].parameters())
print(len(list(params)))
for step in range(3):
    print(len(list(params)))
print(len(list(params)))
