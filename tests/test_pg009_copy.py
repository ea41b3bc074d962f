"""PG009 for a deep copy trained in a new loop while the old optimizer is stepped.

One bad program, and edits of it: each edit in SILENT removes exactly one thing the
proof needs (the finding must go), each edit in STILL keeps the bug in another spelling
(the finding must stay, on the copy's line).
"""

from __future__ import annotations

import pytest

from pglint.static import engine

BAD = '''\
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F


def finetune(model: nn.Module, loader, epochs: int):
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 10)
    student = copy.deepcopy(model)
    student.train()
    for _ in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            loss = F.mse_loss(student(x), y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(student.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
    return student
'''
COPY_LINE = 11


def findings(src: str) -> list:
    return [(f.code, f.line) for f in engine.check_source(src, "prog.py", engine.Options()).findings
            if f.code == "PG009"]


def edit(*pairs: str, src: str = BAD) -> str:
    """``src`` with each ``old`` (found once) replaced by its ``new``: old, new, old, new..."""
    for old, new in zip(pairs[::2], pairs[1::2]):
        assert src.count(old) == 1, old
        src = src.replace(old, new)
    return src


def test_the_copy_trained_in_place_of_the_model_is_reported():
    result = engine.check_source(BAD, "prog.py", engine.Options())
    assert [(f.code, f.line) for f in result.findings] == [("PG009", COPY_LINE)]
    (f,) = result.findings
    assert f.message.startswith("'student' is a deep copy of 'model' trained in the loop at "
                                "line 13, but 'optimizer' (line 9) steps the parameters of "
                                "'model'")
    assert "student.parameters()" in f.help


SILENT = {
    # the loop reaches the model: a teacher, an EMA, weights or gradients copied back
    "teacher forwarded": ("loss = F.mse_loss(student(x), y)",
                          "loss = F.mse_loss(student(x), model(x).detach())"),
    "weights loaded in the loop": ("scheduler.step()\n",
                                   "scheduler.step()\n            model.load_state_dict("
                                   "student.state_dict())\n"),
    "an alias of the model": ("student.train()\n", "student.train()\n    net = model\n",
                              "loss.backward()", "(loss + net(x).mean()).backward()"),
    "a wrapper holding the model": (
        "student.train()\n", "student.train()\n    teacher = nn.DataParallel(model)\n",
        "loss.backward()", "(loss + teacher(x).mean()).backward()"),
    "a container given the model": (
        "student.train()\n", "student.train()\n    hooks = []\n    hooks.append(model)\n",
        "loss.backward()", "(loss + hooks[0](x).mean()).backward()"),
    "a closure that reads the model": (
        "student.train()\n",
        "student.train()\n\n    def penalty(x):\n        return model(x).pow(2).mean()\n\n",
        "F.mse_loss(student(x), y)", "F.mse_loss(student(x), y) + penalty(x)"),
    # an object of unknown origin is called in the loop: it may hold the model
    "a criterion handed in": ("epochs: int)", "epochs: int, criterion)",
                              "F.mse_loss(student(x), y)", "criterion(student(x), y)"),
    "a global called": ("F.mse_loss(student(x), y)", "LOSS(student(x), y)"),
    # the copy may be stepped by something else
    "an optimizer over the copy": ("student.train()\n",
                                   "student.train()\n    opt2 = torch.optim.SGD("
                                   "student.parameters(), lr=0.1)\n"),
    "the copy handed to a helper": ("student.train()\n", "student.train()\n    wrap(student)\n"),
    "the copy handed on by a method": ("student.train()\n",
                                       "trainer = Trainer(student.train())\n"),
    "the copy frozen": ("student.train()\n", "student.requires_grad_(False)\n"),
    "another optimizer stepped": ("scheduler.step()", "other.step()"),
    "a second optimizer stepped": (
        "scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 10)",
        "scheduler = torch.optim.SGD(model.parameters(), lr=0.1)"),
    # the loop does not train the copy, or does not step the optimizer
    "no backward": ("loss.backward()\n", ""),
    "no step": ("optimizer.step()\n", ""),
    "copy run without a graph": ("loss = F.mse_loss(student(x), y)",
                                 "with torch.no_grad():\n                out = student(x)\n"
                                 "            loss = F.mse_loss(out, y)"),
    "copy detached": ("student(x), y", "student(x).detach(), y"),
    "copy detached later in the expression": ("student(x), y", "student(x).max(1)[0].detach(), y"),
    # the optimizer is not the one built over the model before the copy
    "optimizer rebuilt after the copy": ("student.train()\n",
                                         "optimizer = torch.optim.AdamW(student.parameters())\n"),
    "optimizer over more than the model": ("model.parameters(), lr", "params, lr"),
    "copy made before the optimizer": (
        "    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)\n"
        "    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 10)\n"
        "    student = copy.deepcopy(model)\n",
        "    student = copy.deepcopy(model)\n"
        "    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)\n"
        "    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 10)\n"),
    "copy rebound before the loop": ("student.train()\n", "student = build()\n"),
    "copy rebound in the loop": ("optimizer.zero_grad()\n",
                                 "optimizer.zero_grad()\n            student = pick(x)\n"),
    "same name: the rebind shape": ("student = copy.deepcopy(model)", "model = copy.deepcopy(model)"),
}


@pytest.mark.parametrize("name", SILENT)
def test_each_part_of_the_proof_is_needed(name: str):
    src = edit(*SILENT[name])
    got = findings(src)
    if name == "same name: the rebind shape":
        assert got == [("PG009", COPY_LINE)]  # reported as a replaced model instead
        assert "replaces parameters" in engine.check_source(
            src, "prog.py", engine.Options()).findings[0].message
    else:
        assert got == [], name


STILL = {
    "the copy loaded back after the loop": (
        "    return student\n", "    model.load_state_dict(student.state_dict())\n"),
    "moved to the device": ("copy.deepcopy(model)", "copy.deepcopy(model).to('cuda')"),
    "moved by name": ("student.train()\n", "student = student.to('cuda')\n"),
    "stepped through a scaler": ("student.train()\n",
                                 "scaler = torch.amp.GradScaler()\n",
                                 "loss.backward()", "scaler.scale(loss).backward()",
                                 "optimizer.step()", "scaler.step(optimizer)"),
    "a while loop": ("for _ in range(epochs):", "while epochs > 0:"),
    "forward called by name": ("student(x), y", "student.forward(x), y"),
    "a criterion built in the scope": ("student.train()\n",
                                       "student.train()\n    criterion = nn.MSELoss()\n",
                                       "F.mse_loss(student(x), y)", "criterion(student(x), y)"),
    "an evaluation of the model after the loop": (
        "    return student\n", "    acc = model(loader)\n    return student\n"),
}


@pytest.mark.parametrize("name", STILL)
def test_the_bug_in_other_spellings(name: str):
    assert findings(edit(*STILL[name])) == [("PG009", COPY_LINE)], name


def test_a_copy_made_in_an_outer_loop():
    src = BAD.replace("    student = copy.deepcopy(model)\n    student.train()\n"
                      "    for _ in range(epochs):\n",
                      "    for _ in range(epochs):\n        student = copy.deepcopy(model)\n"
                      "        student.train()\n")
    assert findings(src) == [("PG009", COPY_LINE + 1)]


HELPER = '''\
import copy

import torch
import torch.nn as nn


def train_one_epoch(net, optimizer, loader, criterion, scheduler=None):
    net.train()
    for x, y in loader:
        optimizer.zero_grad()
        criterion(net(x), y).backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()


def fit(model: nn.Module, loader):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    criterion = nn.CrossEntropyLoss()
    model_copy = copy.deepcopy(model)
    train_one_epoch(model_copy, optimizer, loader, criterion)
'''


def test_a_helper_of_the_file_given_the_copy_and_the_optimizer():
    result = engine.check_source(HELPER, "prog.py", engine.Options())
    assert [(f.code, f.line) for f in result.findings] == [("PG009", 20)]
    assert "trained by 'train_one_epoch(model_copy, optimizer, loader, criterion)' at line " \
           "21" in result.findings[0].message
    in_loop = HELPER.replace("    train_one_epoch(model_copy,",
                             "    for _ in range(3):\n        train_one_epoch(model_copy,")
    assert [f.line for f in engine.check_source(in_loop, "prog.py", engine.Options()).findings
            if "in the loop at line 21" in f.message] == [20]


HELPER_SILENT = {
    "its own optimizer": ("        optimizer.step()\n",
                          "        optimizer.step()\n        torch.optim.SGD(net.parameters())\n"),
    "the optimizer rebuilt there": ("    net.train()\n",
                                    "    optimizer = torch.optim.SGD(net.parameters())\n"),
    "a criterion of unknown origin": ("def fit(model: nn.Module, loader):",
                                      "def fit(model: nn.Module, loader, criterion):",
                                      "    criterion = nn.CrossEntropyLoss()\n", ""),
    "a global stepped there": ("            scheduler.step()", "            OTHER.step()"),
    "a scheduler of unknown origin": (
        "train_one_epoch(model_copy, optimizer, loader, criterion)",
        "train_one_epoch(model_copy, optimizer, loader, criterion, loader)"),
    "the model handed over too": ("train_one_epoch(model_copy, optimizer, loader, criterion)",
                                  "train_one_epoch(model_copy, optimizer, loader, model)"),
    "the copy given as two parameters": (
        "train_one_epoch(model_copy, optimizer, loader, criterion)",
        "train_one_epoch(model_copy, optimizer, loader, model_copy)"),
    "a decorated helper": ("def train_one_epoch(", "@torch.no_grad()\ndef train_one_epoch("),
}


@pytest.mark.parametrize("name", HELPER_SILENT)
def test_what_a_helper_must_not_do(name: str):
    assert findings(edit(*HELPER_SILENT[name], src=HELPER)) == [], name
