"""What a full parameter name from ``named_parameters()`` can equal (PG011).

``model.named_parameters()`` yields dotted names: ``encoder.layer.0.LayerNorm.weight``.
A name without a dot belongs to a parameter set directly on the model (``self.scale =
nn.Parameter(...)``); every other name starts with the attribute that holds a sub-module.
So a string ``s`` can equal one of the model's names only if ``s.split(".")[0]`` is an
attribute the model holds.  pglint knows that set of attributes for:

- a Module subclass of the file (bases ``nn.Module`` or such classes of the file) whose
  code never hands ``self`` away and registers nothing under a computed name: every
  ``self.X`` the class reads or writes, plus every attribute stored anywhere in the file
  (a loop over ``self.modules()`` or an init function may store on the model itself);
- a Hugging Face model loaded with ``from_pretrained``: its parameters live on sub-modules
  (the base model, the head); ``bias``, ``weight`` and BERT's ``LayerNorm`` are never
  attributes of the model itself.

Anything else is unknown (``None``): PG011 stays silent.
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from pglint.static import walk
from pglint.static.classes import attr_owners
from pglint.static.context import FileContext

# bases that add no parameters of their own
_MODULE_BASES = frozenset({"torch.nn.Module", "torch.nn.modules.module.Module",
                           "lightning.LightningModule", "lightning.pytorch.LightningModule",
                           "pytorch_lightning.LightningModule",
                           "pytorch_lightning.core.LightningModule",
                           "lightning.pytorch.core.LightningModule"})
# never an attribute of a Hugging Face model itself (they name sub-modules' tensors)
_HF_NEVER_TOP = frozenset({"bias", "weight", "LayerNorm"})


def names_can_equal(ctx: FileContext, call: cst.Call) -> Callable[[str], bool] | None:
    """For the model built by ``call``: a test whether a string can equal one of its
    parameter names, or None when pglint cannot tell."""
    func = call.func
    q = ctx.qualname(func) if isinstance(func, (cst.Name, cst.Attribute)) else None
    if q is None:
        return None
    if q.startswith("transformers.") and q.endswith(".from_pretrained"):
        return lambda s: s.split(".")[0] not in _HF_NEVER_TOP
    if q.startswith("<local>."):
        return class_names_can_equal(ctx, q[len("<local>."):])
    return None


def class_names_can_equal(ctx: FileContext, cls: str | None) -> Callable[[str], bool] | None:
    """The same for an instance of the file's class ``cls`` (``self`` in its methods).

    Lazy: the class is read only when a name test asks (most models are never tested).
    """
    if cls is None or cls not in ctx.classes:
        return None

    def can_equal(s: str) -> bool:
        cache = ctx.__dict__.setdefault("_pg_class_names", {})
        if cls not in cache:
            attrs = _class_attrs(ctx, cls, ())
            stores = _file_stores(ctx)
            cache[cls] = None if attrs is None or stores is None else frozenset(attrs | stores)
        known = cache[cls]
        return known is None or s.split(".")[0] in known  # unknown: anything can equal

    return can_equal



def _file_stores(ctx: FileContext) -> frozenset | None:
    """Every attribute name stored anywhere in the file; None if one is computed."""
    owners = attr_owners(ctx)
    return None if owners is None else frozenset(owners)


def _class_attrs(ctx: FileContext, name: str, seen: tuple) -> set | None:
    cls = ctx.classes.get(name)
    if cls is None or name in seen or not cls.bases:
        return None
    attrs: set[str] = set()
    for b in cls.bases:
        if b.keyword is not None or b.star:
            return None
        q = ctx.qualname(b.value)
        if q in _MODULE_BASES:
            continue
        if q is not None and q.startswith("<local>."):
            sub = _class_attrs(ctx, q[len("<local>."):], seen + (name,))
            if sub is None:
                return None
            attrs |= sub
            continue
        return None
    ok: set[int] = set()  # ids of the ``self`` Names read where pglint follows them

    def enter(node) -> bool:
        return not isinstance(node, cst.ClassDef)  # a nested class has its own self

    for stmt in cls.body.body:
        for node in walk.walk(stmt, enter):
            kind = node.__class__
            if kind is cst.Param:
                ok.add(id(node.name))
            elif kind is cst.Attribute:
                if isinstance(node.value, cst.Name) and node.value.value == "self":
                    ok.add(id(node.value))
                    attrs.add(node.attr.value)
            elif kind is cst.Call:
                f = node.func
                if isinstance(f, cst.Name) and f.value == "super":
                    for a in node.args:
                        if isinstance(a.value, cst.Name):
                            ok.add(id(a.value))
                if (isinstance(f, cst.Attribute) and f.attr.value == "apply"
                        and node.args and ctx.is_imported(node.args[0].value)):
                    return None  # an init function from elsewhere, run on the model itself
            elif kind is cst.Name and node.value == "self" and id(node) not in ok:
                return None  # self handed to code pglint does not read
    return attrs
