"""Test doubles shared by the runtime tests (frameworks that are not installed here)."""

import torch


class AcceleratedOptimizer(torch.optim.Optimizer):
    """accelerate's shape: an Optimizer that forwards to the wrapped ``.optimizer``."""

    def __init__(self, optimizer):
        self.optimizer = optimizer

    @property
    def param_groups(self):
        return self.optimizer.param_groups

    @property
    def state(self):
        return self.optimizer.state

    @property
    def defaults(self):
        return self.optimizer.defaults
