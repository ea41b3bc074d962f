"""PG004: a group key the optimizer never reads."""

from __future__ import annotations

from pglint import hyperparams
from pglint.finding import Fix
from pglint.static.rules import Report, RuleContext

CODE = "PG004"


def check(facts, rc: RuleContext):
    seen = set()
    readable_always = hyperparams.always_readable() | rc.extra_keys
    for d, opt in facts.dicts_to_optimizer:
        keys = opt.cls.keys
        if keys is None:
            continue
        for key, entry in d.keys.items():
            # one report per written key: a helper's dict reaches optimizers once per call,
            # its keys from the caller's keywords (**overrides) differ between calls
            # a group returned by a helper of another module is reported at the call, one
            # report per key it writes
            once = (id(entry.key_node), entry.origin and key, opt.cls)
            if key in keys or key in readable_always or once in seen:
                continue
            seen.add(once)
            if "params" not in d.keys and hyperparams.did_you_mean(key, ["params"]):
                continue  # PG001 reports the missing 'params'
            guess = hyperparams.did_you_mean(key, keys)
            # the rename must not collide: with a key the dict has (a repeated keyword in
            # dict(...) does not compile; a repeated literal key changes the value), with
            # another key renamed the same way, or with keys pglint cannot see
            collides = guess is not None and (
                guess in d.keys or d.open
                or sum(hyperparams.did_you_mean(k, keys) == guess for k in d.keys
                       if k not in keys) > 1)
            written = f"group key '{key}'" + (f" (written at {entry.origin})" if entry.origin else "")
            if guess is not None:
                msg = f"{written} is never read by {opt.cls.name}; did you mean '{guess}'?"
                help_ = (f"rename it to '{guess}'" + (f" in {entry.origin}" if entry.origin else "")
                         + f": as written the optimizer's default {guess} applies to this group")
                fix = None if collides or entry.origin else Fix(  # the key is in another file
                    f"Rename '{key}' to '{guess}'",
                    (rc.edit(entry.key_node, rc.code(entry.key_node).replace(key, guess, 1)),),
                    safe=False)
            else:
                msg = f"{written} is never read by {opt.cls.name} nor by this project"
                help_ = (f"remove it, or if another package reads it, allow it: "
                         f"extra-keys = [\"{key}\"] under [tool.pglint]")
                fix = None
            yield Report(CODE, entry.key_node, msg, help=help_, fix=fix,
                         unless_read=(key, opt.cls.file_classes))
