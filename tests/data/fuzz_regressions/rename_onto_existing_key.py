# fuzz regression: the unsafe PG004 rename of 'momentun' to 'momentum' in a dict(...) call
# that already has momentum= wrote a repeated keyword argument (the file no longer
# compiled; libcst still parsed it, so the re-check let it through).
from torch import nn, optim

model = nn.Linear(4, 2)
optimizer = optim.SGD([dict(params=model.parameters(), momentum=0.9, momentun=False)], lr=0.1)
optimizer2 = optim.SGD([{"params": model.parameters(), "momentum": 0.9, "momentun": 0.5}], lr=0.1)
