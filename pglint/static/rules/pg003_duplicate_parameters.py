"""PG003: the same parameters in two groups of one optimizer, or in two optimizers."""

from __future__ import annotations

from pglint.static.overlap import _prefix, atoms_overlap, describe
from pglint.static.rules import Report, RuleContext, optimizer_label, short

CODE = "PG003"
HELP = ("give each parameter to exactly one group of one optimizer; split with "
        "complementary filters (cond / not cond) or sibling modules")


def _why(a, b, ga, gb, rc: RuleContext) -> str:
    if a.list_id is not None:
        return f"'{short(rc.code(gb.node))}' is the same list"
    sa = describe(a)
    ta, tb = short(rc.code(ga.node), 50), short(rc.code(gb.node), 50)
    if len(a.path) == len(b.path):
        return f"'{tb}' selects parameters of '{sa}' that '{ta}' holds too"
    inner, outer = (tb, ta) if len(b.path) > len(a.path) else (ta, tb)
    return f"'{inner}' is part of '{outer}'"


def _index(g, fallback: int) -> int:
    return g.index if g.index is not None else fallback


_ANY_TIME = float("inf")


def _use_sites(opt, facts) -> dict:
    """Where ``opt`` is stepped or handed on (see OptimizerValue.uses) -> when last; a use
    through ``self.opt`` / a global in another scope counts at any time."""
    sites = dict(opt.uses)
    for h in opt.handles:
        for site in facts.used_handles.get(h, ()):
            sites[site] = _ANY_TIME
    return sites


def _update_together(opt, mine: dict, peer, facts) -> bool:
    """Evidence that ``peer`` (built first) and ``opt`` update in the same training step:
    both are stepped in one loop of a scope (or both outside its loops), or handed on
    together by one statement (``prepare(model, a, b)``, ``return [a, b]``), and ``peer``'s
    use there comes after ``opt`` was built.  An optimizer built and never used updates
    nothing; two used one after the other (a test comparing settings, a test class's
    ``setUp`` building one for each test, a trainer's two phases, each handed to its own
    call) never update the same step.  ``mine``: ``opt``'s use sites."""
    return any(site in mine and when > opt.id
               for site, when in _use_sites(peer, facts).items())


def _fresh(facts) -> dict:
    """opt id -> module paths given new parameters after the optimizer was built
    (``model.extra = nn.Linear(...)``): a group added later under such a path holds the
    new parameters, none of the old groups' (``add_param_group``, the way to grow)."""
    out: dict = {}
    for c in facts.model_changes:
        for opt in c.alive:
            out.setdefault(opt.id, []).append(c.target)
    return out


def _overlap(x, y, fresh=(), plain=frozenset()):
    """The first pair of atoms that provably share parameters, or None; an atom of ``y``
    at or under a ``fresh`` path shares none, nor does a tensor the file stores as a
    plain tensor (``self.coef = torch.tensor(...)``: no module registers it)."""
    if not x.known or not y.known:
        return None
    ys = [b for b in y.atoms
          if not any(t.root == b.root and _prefix(t.path, b.path) for t in fresh)]
    for a in x.atoms:
        for b in ys:
            if atoms_overlap(a, b) and not any(
                    t.leaf and t.path and t.path[-1] in plain for t in (a, b)):
                return a, b
    return None


def check(facts, rc: RuleContext):
    added = {id(ag.group): ag for ag in facts.add_groups}
    fresh = _fresh(facts) if facts.model_changes else {}
    for opt in facts.optimizers:
        label = optimizer_label(opt, rc)
        reported = False
        new = fresh.get(opt.id, ())
        for j, gj in enumerate(opt.groups):
            for i in range(j):
                gi = opt.groups[i]
                hit = _overlap(gi.params, gj.params, new, facts.plain_tensor_attrs)
                if hit is None:
                    continue
                via = (f"the group added at line {rc.line(added[id(gj)].call)}"
                       if id(gj) in added else f"group {_index(gj, j)}")
                yield Report(
                    CODE, gj.node,
                    f"{via} of {label} repeats parameters of group {_index(gi, i)} "
                    f"(line {rc.line(gi.node)}): "
                    f"{_why(*hit, gi, gj, rc)}",
                    help=HELP,
                )
                reported = True
                break
        if reported:
            continue
        mine = _use_sites(opt, facts)
        if not mine:
            continue  # never used: no peer can double its updates
        for peer in facts.peers.get(opt.id, ()):
            if not _update_together(opt, mine, peer, facts):
                continue
            hit = None
            for gi in peer.groups:
                for gj in opt.groups:
                    hit = _overlap(gi.params, gj.params, plain=facts.plain_tensor_attrs)
                    if hit is not None:
                        break
                if hit is not None:
                    break
            if hit is None:
                continue
            yield Report(
                CODE, gj.node,
                f"{label} optimizes parameters that {optimizer_label(peer, rc)} already "
                f"optimizes (line {rc.line(peer.node)}): {_why(*hit, gi, gj, rc)}; "
                f"they are updated twice per step",
                help=HELP,
            )
            break
