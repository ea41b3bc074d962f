"""``pglint.watch``: what the first optimizer steps actually did to each parameter.

The audit looks at objects once; some faults only show once training runs (the model's
parameters swapped by ``fully_shard`` after the optimizer was built, one gradient applied
by two optimizers, a parameter the loss never reaches, a frozen parameter moved by a
stale ``.grad``, per-group lrs flattened by lr code).  ``watch`` records them with torch's
own hooks for the first ``steps`` optimizer steps, then removes every hook:

* ``Optimizer.register_step_pre_hook`` / ``register_step_post_hook`` on each optimizer
  (the innermost one: accelerate's and Lightning's wrappers forward to it, and a step
  that ``GradScaler`` skips for inf/NaN never reaches it, so it is not a step);
* the parameters' in-place version counters (``p._version``) read before and after each
  step, to know which parameters a step moved.  torch's fused kernels write without
  bumping the counter, so for torch's own optimizer classes a step also counts as
  updating every parameter whose ``.grad`` is set (torch's rule); for other optimizers
  the counter is the only signal, and an optimizer whose steps move no counter while
  its parameters hold gradients (``p.data`` updates, raw kernels) is not judged;
* ``p.grad is not None`` and the gradient's identity and version counter, read in the
  pre-step hook.  No gradient hook is registered, so autograd, DDP's reducer and FSDP2's
  reduce-scatter run exactly as without the watch.

What an *iteration* is, for one parameter: the life of one gradient — from the moment
its ``.grad`` becomes a new tensor or is accumulated into (a backward pass; DDP's
all-reduce; FSDP2's reduce-scatter) until it changes again.  Two updates within one
gradient's life apply that gradient twice (PG003 when two optimizers did it, PG105 when
one optimizer stepped twice).  Gradient accumulation (several backward passes, one step)
and alternating optimizers with a backward pass each (GANs) are therefore healthy; a
``step(closure)`` recomputes gradients inside the step and is never judged twice.

Nothing here copies or writes a tensor: the watch keeps ints, bools, strings, weak
references and the hook handles.  A failure inside a hook disables the watch (its hooks
are removed) and never reaches the training loop.
"""

from __future__ import annotations

import sys
import warnings
import weakref
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import torch

from pglint import codes
from pglint.finding import Finding
from pglint.runtime import args
from pglint.runtime.audit import AuditError, _group_summaries, _optimizer_summaries
from pglint.runtime.checks import by_module, check_stale_parameters, quoted
from pglint.runtime.context import Context, Options
from pglint.runtime.report import AuditReport, fails, fmt_value
from pglint.runtime.unwrap import as_optimizer_list, unwrap_optimizer

__all__ = ["Watch", "WatchReport", "watch"]

#: an optimizer that is never stepped cannot hold the window open for long: the window
#: also ends once one optimizer has stepped this many times ``steps``
WINDOW_CAP = 10

#: report order
_ORDER = ("PG003", "PG008", "PG101", "PG102", "PG103", "PG105", "PG110")


def _compiling() -> bool:
    try:
        return bool(torch.compiler.is_compiling())
    except AttributeError:  # torch < 2.3
        try:
            return bool(torch._dynamo.is_compiling())
        except AttributeError:
            return False


def _eager(fn: Any) -> Any:
    """``fn`` run eagerly even inside a ``torch.compile``d step (a graph break).

    Only when torch.compile is already in use (``torch._dynamo`` imported): importing it
    costs seconds, and a step compiled later is caught by ``_compiling`` in the hook.
    """
    if "torch._dynamo" not in sys.modules:
        return fn
    disable = getattr(getattr(torch, "compiler", None), "disable", None)
    return disable(fn) if disable is not None else fn


def _version(t: Any) -> Any:
    """The in-place version of ``t``; a DTensor's local shard counts too."""
    v = t._version
    local = getattr(t, "_local_tensor", None)
    return v if local is None else (v, local._version)


def _lr(group: Any, key: str = "lr") -> float | None:
    """A group's lr as a float (a tensor lr is read once, as the audit's table does)."""
    if not isinstance(group, Mapping):
        return None
    try:
        return float(group.get(key, group.get("lr")))
    except (TypeError, ValueError, RuntimeError):
        return None


class _Slot:
    """What the watch knows about one tensor: plain values and a weak reference."""

    __slots__ = ("ref", "name", "in_model", "holders", "where", "grad_steps", "own_grad",
                 "trainable", "moved_by", "pre_v", "pre_grad", "pending", "last_opt",
                 "last_gref", "last_gv", "frozen_moved", "double", "dup_groups")

    def __init__(self, t: torch.Tensor, name: str, in_model: bool) -> None:
        self.ref = weakref.ref(t)
        self.name = name
        self.in_model = in_model
        self.holders = 0  # bitmask of optimizer indices whose groups hold it
        self.where = ""  # the first group that holds it ("group 0", "optimizer 1 group 2 ('head')")
        self.grad_steps = 0  # watched steps at which its .grad was set
        self.own_grad = False  # .grad set at a step of an optimizer holding it
        self.trainable = False  # requires_grad at some watched step
        self.moved_by = 0  # bitmask of optimizers that updated it
        self.pre_v: Any = None
        self.pre_grad = False
        self.pending = False  # this step sees the gradient the last update used
        self.last_opt = -1
        self.last_gref: Any = None  # weakref to the .grad right after its last update
        self.last_gv: Any = None
        self.frozen_moved: tuple[int, int] | None = None  # (optimizer, step)
        self.double: tuple[int, int, int] | None = None  # (first optimizer, second, step)
        self.dup_groups: list[str] = []  # groups that hold it more than once


class _Opt:
    """One watched optimizer."""

    def __init__(self, index: int, label: str, opt: Any) -> None:
        self.index = index
        self.label = label
        self.opt = opt
        self.cls = type(opt).__name__
        self.handles: list[Any] = []
        self.post_handle: Any = None
        self.steps = 0
        self.slots: list[_Slot] = []
        self.torch_step = False
        self.opaque = False
        self.compiled = False
        # the lrs the groups were built with: torch's schedulers keep them as 'initial_lr'
        self.lr0 = [_lr(g, "initial_lr") for g in opt.param_groups]
        self.flat: tuple[int, float] | None = None  # (step, lr) while groups share one lr
        self.schedulers: list[str] = []
        self.scheduler_attached = bool(getattr(vars(opt).get("step"), "_wrapped_by_lr_sched",
                                               False))

    @property
    def name(self) -> str:
        return f"{self.label} ({self.cls})" if self.label else self.cls


class WatchReport(AuditReport):
    """``AuditReport`` of a watch: the findings, and the groups as the last watched step saw them."""

    def __init__(self, findings: list[Finding], groups: list, optimizers: list,
                 steps: dict[str, int], window: int) -> None:
        super().__init__(findings, groups, optimizers)
        self.steps = dict(steps)  # optimizer label (or class) -> watched steps
        self.window = window

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d["watched_steps"] = dict(self.steps)
        d["window"] = self.window
        return d

    def _lines(self) -> list[str]:
        parts = [f"{n} {'step' if n == 1 else 'steps'} of {k}" if i == 0 else f"{n} of {k}"
                 for i, (k, n) in enumerate(self.steps.items())]
        return [f"pglint watch: {', '.join(parts)} (window {self.window})"] + super()._lines()


class Watch:
    """A running watch; see ``watch``.  ``report()`` ends it; ``close()`` removes its hooks."""

    def __init__(self, model: Any, optimizers: Any, steps: int, schedulers: Any,
                 options: Options, fail_on: str) -> None:
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise ValueError(f"steps must be a positive int, got {steps!r}")
        fails([], fail_on)  # validates fail_on
        Context(model, [], options)  # validates model now, not inside a hook
        self.steps = steps
        self.fail_on = fail_on
        self._model = model
        self._options = options
        self._args = as_optimizer_list(optimizers)
        self._opts: list[_Opt] = []
        for arg in self._args:
            opt, _chain = unwrap_optimizer(arg.obj)
            if any(o.opt is opt for o in self._opts):
                continue  # the same optimizer twice: watch it once
            self._opts.append(_Opt(len(self._opts), arg.label, opt))
        self._name_schedulers(schedulers)
        self._slots: list[_Slot] = []
        self._model_slots: list[_Slot] = []
        self._started = False
        self._done = False
        self._n = 0  # watched steps, all optimizers together
        self._stale: list[Finding] = []
        self._summary: tuple[list, list] | None = None
        self._report: WatchReport | None = None
        self.error: BaseException | None = None  # what disabled the watch, if anything
        for o in self._opts:
            if not hasattr(o.opt, "register_step_pre_hook"):
                warnings.warn(f"pglint.watch cannot watch {o.cls}: it has no step hooks "
                              "(not a torch.optim.Optimizer)", RuntimeWarning, stacklevel=3)
                continue
            o.handles.append(o.opt.register_step_pre_hook(_eager(self._hook(self._pre, o))))
            o.post_handle = o.opt.register_step_post_hook(_eager(self._hook(self._post, o)))
            o.handles.append(o.post_handle)

    # -- public --------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        """True once the window is over (or the watch was closed)."""
        return self._done

    def close(self) -> None:
        """Stop watching and remove every hook (idempotent)."""
        if not self._done:
            self._finish(None)
        for o in self._opts:
            for h in o.handles:
                h.remove()
            o.handles.clear()

    def report(self) -> WatchReport:
        """Close the watch and report what the watched steps did."""
        self.close()
        if self._report is None:
            groups, opts = self._summary or ([], [])
            self._report = WatchReport(
                [f for f in self._findings() if codes.selected(f.code, self._options.select,
                                                               self._options.ignore)],
                groups, opts, {o.label or o.cls: o.steps for o in self._opts}, self.steps)
        return self._report

    def __enter__(self) -> Watch:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None:
            self.close()
            return
        report = self.report()
        if fails(report.findings, self.fail_on):
            raise AuditError(report)

    def __repr__(self) -> str:
        state = "done" if self._done else "watching"
        return f"<pglint.Watch {state}: {self._n} of the first {self.steps} steps seen>"

    # -- hooks ---------------------------------------------------------------------------
    def _hook(self, fn: Any, o: _Opt) -> Any:
        def hook(optimizer: Any, args: Any, kwargs: Any) -> None:
            if self._done or o.compiled:
                return None
            try:
                fn(o, args, kwargs)
            except Exception as e:  # a watch must never break training
                self.error = e
                warnings.warn(f"pglint.watch stopped: {type(e).__name__}: {e}", RuntimeWarning,
                              stacklevel=2)
                self._finish(o, fn.__name__)
            return None

        return hook

    def _pre(self, o: _Opt, args: Any, kwargs: Any) -> None:
        if _compiling():  # traced by torch.compile despite the graph break: do not record
            o.compiled = True
            warnings.warn(f"pglint.watch cannot watch {o.name}: its step is compiled by "
                          "torch.compile; nothing is reported for it", RuntimeWarning,
                          stacklevel=2)
            return
        if not self._started:
            self._start(o)
        self._n += 1
        for s in self._model_slots:
            p = s.ref()
            if p is not None and p.grad is not None:
                s.grad_steps += 1
        closure = (len(args) > 1 and args[1] is not None) or kwargs.get("closure") is not None
        for s in o.slots:
            p = s.ref()
            if p is None:
                s.pre_v = None
                continue
            s.pre_v = _version(p)
            if p.requires_grad:
                s.trainable = True
            g = p.grad
            s.pre_grad = g is not None
            if g is not None:
                s.own_grad = True
            s.pending = (not closure and g is not None and s.last_gref is not None
                         and s.last_gref() is g and _version(g) == s.last_gv)

    def _post(self, o: _Opt, args: Any, kwargs: Any) -> None:
        o.steps += 1
        moved_any = grads_any = False
        bit = 1 << o.index
        for s in o.slots:
            p = s.ref()
            if p is None or s.pre_v is None:
                continue
            grads_any = grads_any or s.pre_grad
            if not (_version(p) != s.pre_v or (o.torch_step and s.pre_grad)):
                continue
            moved_any = True
            s.moved_by |= bit
            if not p.requires_grad and s.frozen_moved is None:
                s.frozen_moved = (o.index, o.steps)
            if s.pending and s.double is None:
                s.double = (s.last_opt, o.index, o.steps)
            s.last_opt = o.index
            g = p.grad
            s.last_gref = weakref.ref(g) if g is not None else None
            s.last_gv = _version(g) if g is not None else None
        if grads_any and not moved_any:
            o.opaque = True
        lrs = [_lr(g) for g in o.opt.param_groups]
        if (len(set(o.lr0)) > 1 and len(lrs) == len(o.lr0) and len(set(lrs)) == 1
                and lrs[0] is not None and lrs[0] != 0):
            if o.flat is None:
                o.flat = (o.steps, lrs[0])
        else:
            o.flat = None
        live = [x for x in self._opts if not x.compiled]
        if (all(x.steps >= self.steps for x in live)
                or any(x.steps >= WINDOW_CAP * self.steps for x in live)):
            self._finish(o, "_post")

    # -- bookkeeping ---------------------------------------------------------------------
    def _start(self, first: _Opt) -> None:
        """At the first step: index the model and the optimizers as they are now."""
        self._started = True
        ctx = Context(self._model, self._args, self._options)
        views = {id(v.opt): v for v in ctx.optimizers}
        slots: dict[int, _Slot] = {}
        for key, names in ctx.names.items():  # the model's order
            s = slots[key] = _Slot(ctx.params[key], names[0], True)
            self._model_slots.append(s)
        for o in self._opts:
            view = views[id(o.opt)]
            o.torch_step = view.torch_step
            for gv in view.groups:
                counts: dict[int, int] = {}
                for pos, t in enumerate(gv.params):
                    key = id(t)
                    counts[key] = counts.get(key, 0) + 1
                    s = slots.get(key)
                    if s is None:
                        s = slots[key] = _Slot(t, ctx.display(t, gv, pos), False)
                    if not s.holders & (1 << o.index):
                        s.holders |= 1 << o.index
                        o.slots.append(s)
                    if not s.where:
                        s.where = gv.label
                    if counts[key] == 2:
                        s.dup_groups.append(gv.label)
        self._slots = list(slots.values())
        if codes.selected("PG102", self._options.select, self._options.ignore):
            step = f"seen at step 1 of {first.name}" if len(self._opts) > 1 else "seen at step 1"
            self._stale = [replace(f, message=f"{f.message}; {step}")
                           for f in check_stale_parameters(ctx)]

    def _finish(self, current: _Opt | None, phase: str = "") -> None:
        """End the window: note the groups as they are, remove the hooks that may go now."""
        if self._done:
            return
        self._done = True
        if self._started and self.error is None:
            try:
                ctx = Context(self._model, self._args, self._options)
                self._summary = (_group_summaries(ctx), _optimizer_summaries(ctx))
            except Exception:  # the table is a courtesy; findings do not need it
                self._summary = None
        running = None
        if current is not None:  # the hook running now, inside torch's loop over its dict
            running = current.post_handle if phase == "_post" else current.handles[0]
        for o in self._opts:
            keep = []
            for h in o.handles:
                # a hook cannot leave the dict torch is iterating, unless it is the last
                # entry (the OrderedDict iterator has moved past it); close() removes it
                if h is running and not _is_last(o.opt, h, phase):
                    keep.append(h)
                else:
                    h.remove()
            o.handles = keep

    # -- findings ------------------------------------------------------------------------
    def _findings(self) -> list[Finding]:
        out: list[Finding] = list(self._stale)
        out += self._double_updates()
        out += self._unoptimized()
        out += self._frozen_moved()
        out += self._without_gradient()
        out += self._flattened()
        return sorted(out, key=lambda f: _ORDER.index(f.code) if f.code in _ORDER else 99)

    def _judged(self, s: _Slot) -> bool:
        return not any((s.holders >> o.index) & 1 and (o.opaque or o.compiled) for o in self._opts)

    def _double_updates(self) -> list[Finding]:
        out = []
        clusters: dict[tuple[int, int], list[tuple[str, int]]] = {}
        for s in self._slots:
            if s.double is not None and s.frozen_moved is None and self._judged(s):
                a, b, step = s.double
                clusters.setdefault((a, b), []).append((s.name, step))
        for (a, b), items in clusters.items():
            names = [n for n, _ in items]
            step = min(st for _, st in items)
            oa, ob = self._opts[a], self._opts[b]
            head = (f"parameter {names[0]!r} was" if len(names) == 1
                    else f"{len(names)} parameters were")
            tail = "" if len(names) == 1 else f": {by_module(names)}"
            if a != b:
                out.append(Finding(
                    "PG003",
                    f"{head} updated by both {oa.name} and {ob.name} from one gradient{tail}; "
                    f"seen at step {step} of {ob.name}",
                    help="give every parameter to exactly one optimizer",
                    subject=tuple(names)))
            else:
                out.append(Finding(
                    "PG105",
                    f"{head} updated twice by {oa.name} from one gradient: step() ran again "
                    f"before a new backward pass{tail}; seen at step {step}",
                    help="call step() once per backward pass (gradient accumulation: step "
                         "once after the last micro-batch)",
                    subject=tuple(names)))
        dups = [s for s in self._slots if s.dup_groups and s.moved_by and self._judged(s)]
        for where in dict.fromkeys(g for s in dups for g in s.dup_groups):
            names = [s.name for s in dups if where in s.dup_groups]
            head = (f"parameter {names[0]!r} appears" if len(names) == 1
                    else f"{len(names)} parameters appear")
            tail = "" if len(names) == 1 else f": {quoted(names)}"
            out.append(Finding(
                "PG105",
                f"{head} more than once in {where} and each step updated "
                f"{'it' if len(names) == 1 else 'them'} once per copy{tail}; seen at step 1",
                help="list each parameter once", subject=tuple(names)))
        return out

    def _unoptimized(self) -> list[Finding]:
        n = self._n
        if n == 0:
            return []
        hits = [s for s in self._model_slots
                if s.grad_steps == n and not s.moved_by and self._judged(s)
                and all(o.steps > 0 for o in self._opts if (s.holders >> o.index) & 1)]
        if not hits:
            return []
        names = [s.name for s in hits]
        last = max(o.steps for o in self._opts)
        if len(names) == 1:
            msg = f"parameter {names[0]!r} had a gradient at every watched step and no optimizer updated it"
        else:
            msg = (f"{len(names)} parameters had a gradient at every watched step and no "
                   f"optimizer updated them: {by_module(names)}")
        help_ = ("the optimizer holds replaced copies (PG102): build it after the model change"
                 if self._stale else
                 "add them to an optimizer group, or set requires_grad=False if they are meant "
                 "to stay frozen")
        seen = f"seen at steps 1-{last}" if last > 1 else "seen at step 1"
        return [Finding("PG101", f"{msg}; {seen}", help=help_, subject=tuple(names))]

    def _frozen_moved(self) -> list[Finding]:
        out = []
        by_opt: dict[int, list[tuple[str, int]]] = {}
        for s in self._slots:
            if s.frozen_moved is not None and self._judged(s):
                by_opt.setdefault(s.frozen_moved[0], []).append((s.name, s.frozen_moved[1]))
        for oi, items in by_opt.items():
            o = self._opts[oi]
            names = [n for n, _ in items]
            step = min(st for _, st in items)
            head = (f"frozen parameter {names[0]!r} (requires_grad=False) was" if len(names) == 1
                    else f"{len(names)} frozen parameters (requires_grad=False) were")
            tail = "" if len(names) == 1 else f": {quoted(names)}"
            out.append(Finding(
                "PG103",
                f"{head} updated by {o.name} from a stale .grad{tail}; seen at step {step}",
                severity="warning",
                help="clear their .grad (p.grad = None) or leave them out of the optimizer",
                subject=tuple(names)))
        return out

    def _without_gradient(self) -> list[Finding]:
        out = []
        clusters: dict[tuple[str, bool], list[str]] = {}
        for s in self._slots:
            if not s.in_model or s.own_grad or s.moved_by:
                continue
            steps = [o.steps for o in self._opts if (s.holders >> o.index) & 1]
            if not steps or max(steps) == 0:
                continue  # its optimizer never stepped: unknown
            clusters.setdefault((s.where, s.trainable), []).append(s.name)
        for (where, trainable), names in clusters.items():
            n = max(o.steps for o in self._opts)
            steps = "the watched step" if n == 1 else f"any of the {n} watched steps"
            if trainable:
                head = (f"parameter {names[0]!r} in {where} had" if len(names) == 1
                        else f"{len(names)} parameters in {where} had")
                tail = "" if len(names) == 1 else f": {by_module(names)}"
                out.append(Finding(
                    "PG110",
                    f"{head} no gradient at {steps}: the loss does not depend on "
                    f"{'it' if len(names) == 1 else 'them'}{tail}",
                    severity="warning",
                    help="use the branch in forward(), remove the detach() or no_grad() that "
                         "cuts it off, or leave it out of the optimizer",
                    subject=tuple(names)))
            else:
                head = (f"frozen parameter {names[0]!r} in {where} had" if len(names) == 1
                        else f"{len(names)} frozen parameters in {where} had")
                tail = "" if len(names) == 1 else f": {by_module(names)}"
                out.append(Finding(
                    "PG110",
                    f"{head} no gradient at {steps} (requires_grad=False){tail}",
                    severity="info",
                    help="leave frozen parameters out of the optimizer if they stay frozen",
                    subject=tuple(names)))
        return out

    def _flattened(self) -> list[Finding]:
        out = []
        for o in self._opts:
            if o.flat is None or o.opaque or o.compiled:
                continue
            step, lr = o.flat
            before = ", ".join(fmt_value(v) for v in o.lr0)
            if o.schedulers:
                by = f" ({' and '.join(o.schedulers)} is attached)"
            elif o.scheduler_attached:
                by = " (a scheduler is attached; pass schedulers= to name it)"
            else:
                by = ""
            where = f"{o.name}'s {len(o.lr0)} groups" if o.label else f"the {len(o.lr0)} groups"
            out.append(Finding(
                "PG008",
                f"{where} started with lrs {before} and all use lr {fmt_value(lr)} "
                f"from step {step} on{by}; seen at step {step}",
                help="give the scheduler one value per group (max_lr=[...]), or scale each "
                     "group's lr in your lr code",
                subject=tuple(f"group {i}" for i in range(len(o.lr0)))))
        return out

    def _name_schedulers(self, schedulers: Any) -> None:
        if schedulers is None:
            return
        if isinstance(schedulers, Mapping):
            items = list(schedulers.values())
        elif isinstance(schedulers, (list, tuple)):
            items = list(schedulers)
        else:
            items = [schedulers]
        for sched in items:
            target = getattr(sched, "optimizer", None)
            if target is None:
                raise TypeError(f"schedulers: {type(sched).__name__} has no .optimizer")
            try:
                inner, _ = unwrap_optimizer(target)
            except TypeError:
                continue
            for o in self._opts:
                if o.opt is inner and type(sched).__name__ not in o.schedulers:
                    o.schedulers.append(type(sched).__name__)


def _is_last(opt: Any, handle: Any, phase: str) -> bool:
    attr = "_optimizer_step_post_hooks" if phase == "_post" else "_optimizer_step_pre_hooks"
    hooks = getattr(opt, attr, None)
    if type(hooks) is not OrderedDict:  # a plain dict raises even then
        return False
    return bool(hooks) and next(reversed(hooks)) == handle.id


def watch(model: Any, optimizers: Any, steps: int = 3, *, schedulers: Any = None,
          fail_on: str = "warning", select: Any = None, ignore: Any = None,
          extra_keys: Any = (), no_decay: bool = True) -> Watch:
    """Watch the first ``steps`` optimizer steps; returns a ``Watch``.

    ``optimizers``: one optimizer, a list or a dict name -> optimizer (as for ``audit``).
    The window ends when every optimizer has stepped ``steps`` times (or one has stepped
    ``10 * steps`` times); then every hook is gone.  ``watch.report()`` returns a
    ``WatchReport`` (an ``AuditReport``).  As a context manager, leaving the block closes
    the watch and raises ``pglint.AuditError`` on findings at or above ``fail_on``
    ("warning" by default, as ``assert_audit``; "never" only closes).  ``schedulers``
    (one, a list or a dict) name the lr schedulers in PG008 messages; ``select``,
    ``ignore``, ``extra_keys`` and ``no_decay`` as for ``audit``.
    """
    options = Options(**args.options(select=select, ignore=ignore, extra_keys=extra_keys,
                                     no_decay=no_decay))
    return Watch(model, optimizers, steps, schedulers, options, fail_on)
