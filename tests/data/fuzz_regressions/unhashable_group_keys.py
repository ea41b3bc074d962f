# fuzz regression: g.get([1, 2]) on a group dict (an unhashable key) was an "internal
# error ... please report this"; so were other non-string keys.
import torch

model = torch.nn.Linear(2, 2)
group = {'params': model.parameters(), [1, 2]: 3, ("lr", "wd"): 1, None: 0}
optimizer = torch.optim.SGD([group], lr=0.1)
x = group.get([1, 2])
y = group.pop(("lr", "wd"))
z = group.setdefault([3], 4)
w = optimizer.param_groups[0].get([1])
