"""What library calls mean to the dataflow: one declarative table.

The abstract interpreter (``interpreter.py``) knows Python only.  When it meets a call
it asks this table what the callee *means*, by the qualified name the file's imports
resolve it to, and runs the handler of that meaning (``dataflow.py`` has the handlers
for torch's meanings).  Adding a library's call is one line in ``TABLE``::

    ("torch.nn.utils.clip_grad_norm_", consumes()),

Patterns (the callee's qualified name; see ``FileContext.qualname``):

    "torch.nn.utils.clip_grad_norm_"   exactly this name
    "torch.optim.lr_scheduler.*"       any name under this prefix
    "*.clip_grad_norm_"                any name whose last part is this (a bare name too)
    "accelerate.**.DummyOptim"         this class anywhere in this package
    ".to"                              a method of this name, on any receiver

A meaning with ``imported=True`` holds only when the callee is reached through an
import of the file (a project's own ``fully_shard`` is not torch's).  Only meanings
verified against torch belong here: a call not in the table means nothing (unknown is
silent).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pglint.static.values import OptClass


@dataclass(frozen=True)
class Meaning:
    verb: str  # what the call does (the interpreter runs the handler of this verb)
    args: tuple = ()  # per verb: keywords that count as the iterable / lr arguments
    named: bool = False  # parameters: named_parameters() yields (name, parameter) pairs
    result: str | None = None  # consumes: "list" / "set" when the result is one
    pure: bool = False  # lazy: the wrapper runs no code of its own while iterated
    when: tuple = ()  # (keyword, literal) pairs that must be given for the meaning to hold
    unless: re.Pattern | None = None  # qualified names the pattern covers but that differ
    imported: bool = False  # only when the callee is reached through the file's imports
    max_args: int | None = None  # endless: only with at most this many arguments
    calls_back: bool = False  # runs a function it is given (``opt.step(closure)``)


# ------------------------------------------------------------------ verbs
def parameters(named: bool = False) -> Meaning:
    """A method yielding the module's parameters as a one-shot iterator."""
    return Meaning("parameters", named=named)


def consumes(*keywords: str, result: str | None = None, imported: bool = False) -> Meaning:
    """Iterates its positional arguments (and these keywords) to the end."""
    return Meaning("consumes", args=keywords or ("parameters", "params", "tensors"),
                   result=result, imported=imported)


def lazy(pure: bool = False) -> Meaning:
    """Wraps an iterable in a one-shot iterator that draws from it when iterated."""
    return Meaning("lazy", pure=pure)


def endless(max_args: int | None = None) -> Meaning:
    """An iterator that never runs dry."""
    return Meaning("endless", imported=True, max_args=max_args)


def scheduler(*lr_args: str) -> Meaning:
    """A scheduler that sets every group's lr from these scalar arguments (PG008),
    in positional order after the optimizer."""
    return Meaning("scheduler", args=lr_args)


def replaces_params(target: tuple = ("module",), imported: bool = True, **when) -> Meaning:
    """Replaces the Parameter objects of the module it is given (PG009): its first
    positional argument, or the keyword ``target`` names; ``when``: only with these
    keyword arguments (``load_state_dict(sd, assign=True)``)."""
    return Meaning("replaces_params", args=target, when=tuple(when.items()),
                   imported=imported)


def deepcopy() -> Meaning:
    """A deep copy: new Parameter objects (PG009 when bound back to the model's name)."""
    return Meaning("deepcopy", imported=True)


def loads_model(unless: re.Pattern | None = None) -> Meaning:
    """Returns a new model (new Parameter objects)."""
    return Meaning("loads_model", unless=unless, imported=True)


def optimizer() -> Meaning:
    """Constructs an optimizer over the parameters it is given."""
    return Meaning("optimizer")


def not_peer_optimizer() -> Meaning:
    """An optimizer-like class that updates nothing of its own: a wrapper built from
    another optimizer (it steps through it), or a placeholder (the real optimizer is
    built elsewhere).  Never a peer optimizer (PG003)."""
    return Meaning("not_peer_optimizer")


def module_class() -> Meaning:
    """A class that is a torch.nn.Module subclass."""
    return Meaning("module_class")


def same_module() -> Meaning:
    """A method of a module that returns the module itself."""
    return Meaning("same_module")


def steps() -> Meaning:
    """A method that steps the optimizer it is called on or given (``opt.step()``,
    ``scaler.step(opt)``)."""
    return Meaning("steps", calls_back=True)


def adds_group() -> Meaning:
    """``optimizer.add_param_group(group)``."""
    return Meaning("adds_group")


def never_steps() -> Meaning:
    """Takes an optimizer and never steps it: handing one over is no evidence (PG003)."""
    return Meaning("never_steps")


def inspects() -> Meaning:
    """Looks at an object without iterating it (PG002's "any later call")."""
    return Meaning("inspects")


def reads_only() -> Meaning:
    """Cannot change a model (PG002's fix may move code across it)."""
    return Meaning("reads_only")


# Hugging Face classes loaded with from_pretrained that are not models
_HF_NOT_MODEL = re.compile(r"(Tokenizer|Processor|Config|Extractor|Scheduler|Pipeline)"
                           r"[A-Za-z]*\.from_pretrained$")

_FSDP = ("torch.distributed.fsdp", "torch.distributed._composable.fsdp")

# ------------------------------------------------------------------ the table
TABLE: list[tuple[str, Meaning]] = [
    # -- parameters and what yields them
    (".parameters", parameters()),
    (".named_parameters", parameters(named=True)),
    # -- consumers: iterate what they are given to the end
    *((name, consumes()) for name in ("any", "all", "sum", "min", "max", "dict",
                                      "collections.deque")),
    ("list", consumes(result="list")),
    ("tuple", consumes(result="list")),
    ("sorted", consumes(result="list")),
    ("set", consumes(result="set")),
    ("frozenset", consumes(result="set")),
    ("torch.nn.utils.clip_grad_norm_", consumes()),
    ("torch.nn.utils.clip_grad_value_", consumes()),
    ("torch.nn.utils.clip_grad.clip_grad_norm_", consumes()),
    ("torch.nn.utils.clip_grad.clip_grad_value_", consumes()),
    ("torch.nn.utils.parameters_to_vector", consumes()),
    ("torch.nn.utils.convert_parameters.parameters_to_vector", consumes()),
    ("torch.nn.utils.get_total_norm", consumes()),
    ("torch.nn.utils.clip_grads_with_norm_", consumes()),
    ("torch.nn.ParameterList", consumes()),
    ("torch.cat", consumes()),
    ("torch.stack", consumes()),
    ("torch._foreach_norm", consumes()),
    # any callee of these names (a re-export, a vendored copy) clips / flattens its input
    ("*.clip_grad_norm_", consumes()),
    ("*.clip_grad_value_", consumes()),
    ("*.parameters_to_vector", consumes()),
    # -- lazy wrappers: one-shot iterators over what they are given
    ("filter", lazy()),
    ("map", lazy()),
    ("zip", lazy(pure=True)),
    ("enumerate", lazy(pure=True)),
    ("iter", lazy(pure=True)),
    ("reversed", lazy(pure=True)),
    ("itertools.chain", lazy(pure=True)),
    ("itertools.chain.from_iterable", lazy()),
    ("itertools.islice", lazy(pure=True)),
    # -- iterators that never end (itertools.repeat only without ``times``)
    ("itertools.count", endless()),
    ("itertools.cycle", endless()),
    ("itertools.repeat", endless(max_args=1)),
    # -- schedulers whose scalar lr arguments flatten every group's lr (PG008)
    ("torch.**.OneCycleLR", scheduler("max_lr")),
    ("OneCycleLR", scheduler("max_lr")),
    ("torch.**.CyclicLR", scheduler("base_lr", "max_lr")),
    ("CyclicLR", scheduler("base_lr", "max_lr")),
    # -- what replaces a module's Parameter objects (PG009)
    *((f"{p}.fully_shard", replaces_params()) for p in _FSDP),
    *((f"{p}.fully_shard.fully_shard", replaces_params()) for p in _FSDP),
    ("torch.distributed.fsdp.FullyShardedDataParallel", replaces_params()),
    ("torch.distributed.fsdp.fully_sharded_data_parallel.FullyShardedDataParallel",
     replaces_params()),
    (".load_state_dict", replaces_params(imported=False, assign=True)),
    # verified with torch 2.13: weight_norm removes ``weight`` and registers new
    # ``weight_g`` / ``weight_v`` (``parametrizations.weight.original0/1``), and
    # remove_weight_norm a new ``weight``; fuse_modules(inplace=True) puts a new fused conv
    # in the model.  Not here, as they keep the Parameter objects an optimizer holds:
    # prune.* (``weight_orig``), parametrize.register_parametrization, spectral_norm,
    # fuse_modules_qat, prepare / prepare_qat, convert_sync_batchnorm, torch.compile
    ("torch.nn.utils.weight_norm", replaces_params()),
    ("torch.nn.utils.weight_norm.weight_norm", replaces_params()),
    ("torch.nn.utils.remove_weight_norm", replaces_params()),
    ("torch.nn.utils.weight_norm.remove_weight_norm", replaces_params()),
    ("torch.nn.utils.parametrizations.weight_norm", replaces_params()),
    *((f"{p}.fuse_modules", replaces_params(target=("model",), inplace=True))
      for p in ("torch.ao.quantization", "torch.ao.quantization.fuse_modules",
                "torch.quantization", "torch.quantization.fuse_modules")),
    ("copy.deepcopy", deepcopy()),
    ("transformers.**.from_pretrained", loads_model(unless=_HF_NOT_MODEL)),
    # -- methods of a module that return the module itself
    *((f".{m}", same_module()) for m in ("to", "cuda", "cpu", "half", "float", "double",
                                         "bfloat16", "train", "eval", "requires_grad_",
                                         "to_empty")),
    # -- optimizers
    (".step", steps()),
    (".add_param_group", adds_group()),
    ("torch.distributed.optim.ZeroRedundancyOptimizer", optimizer()),
    ("torch.distributed.optim.zero_redundancy_optimizer.ZeroRedundancyOptimizer", optimizer()),
    ("accelerate.**.DummyOptim", not_peer_optimizer()),  # the DeepSpeed config builds it
    ("accelerate.**.AcceleratedOptimizer", not_peer_optimizer()),  # wraps the prepared one
    ("apex.**.FP16_Optimizer", not_peer_optimizer()),  # wraps: optimizer=...
    ("deepspeed.**.FP16_Optimizer", not_peer_optimizer()),
    ("deepspeed.**.FP16_UnfusedOptimizer", not_peer_optimizer()),
    ("deepspeed.**.DeepSpeedZeroOptimizer", not_peer_optimizer()),  # wraps init_optimizer
    ("deepspeed.**.DeepSpeedZeroOptimizer_Stage3", not_peer_optimizer()),
    ("deepspeed.**.BF16_Optimizer", not_peer_optimizer()),
    ("megatron.**.Float16OptimizerWithFloat16Params", not_peer_optimizer()),
    ("megatron.**.FP32Optimizer", not_peer_optimizer()),
    ("megatron.**.ChainedOptimizer", not_peer_optimizer()),
    ("megatron.**.DistributedOptimizer", not_peer_optimizer()),
    ("horovod.**.DistributedOptimizer", not_peer_optimizer()),  # (optimizer, ...)
    ("lightning.**.LightningOptimizer", not_peer_optimizer()),
    ("pytorch_lightning.**.LightningOptimizer", not_peer_optimizer()),
    ("timm.**.Lookahead", not_peer_optimizer()),  # Lookahead(base_optimizer)
    ("torch_optimizer.**.Lookahead", not_peer_optimizer()),
    ("opacus.**.DPOptimizer", not_peer_optimizer()),  # DPOptimizer(optimizer=...)
    ("torchcontrib.**.SWA", not_peer_optimizer()),  # SWA(base_opt)
    # ScheduleFreeWrapper(base_optimizer); AdamWScheduleFree(params) itself is a peer
    ("schedulefree.**.ScheduleFreeWrapper", not_peer_optimizer()),
    ("colossalai.**.LowLevelZeroOptimizer", not_peer_optimizer()),
    # -- framework classes that are torch.nn.Module subclasses
    *((q, module_class()) for q in (
        "lightning.LightningModule", "lightning.pytorch.LightningModule",
        "lightning.pytorch.core.LightningModule", "pytorch_lightning.LightningModule",
        "pytorch_lightning.core.LightningModule", "pytorch_lightning.core.module.LightningModule",
        "transformers.PreTrainedModel", "transformers.modeling_utils.PreTrainedModel",
        "diffusers.ModelMixin", "diffusers.models.modeling_utils.ModelMixin")),
    # -- callees that take an optimizer and never step it (PG003)
    *((name, never_steps()) for name in ("print", "len", "id", "type", "repr", "str", "hash",
                                         "isinstance", "getattr", "hasattr", "setattr", "vars",
                                         "dir", "copy.copy", "copy.deepcopy")),
    *((f"{p}.*", never_steps()) for p in ("torch.optim.lr_scheduler", "torch.optim.swa_utils",
                                          "logging", "pytest", "unittest", "torch.testing")),
    # -- callees that look at an object without iterating it (PG002)
    *((name, inspects()) for name in ("print", "repr", "str", "id", "type", "isinstance",
                                      "issubclass", "hasattr", "getattr", "setattr", "delattr",
                                      "callable", "len", "hash", "vars", "dir", "format",
                                      "next", "bool", "iter")),
    # -- reading builtins: cannot change a model
    *((name, reads_only()) for name in ("print", "len", "int", "float", "str", "bool", "round",
                                        "abs", "isinstance", "format", "repr")),
]

# a keyword argument that hands over an optimizer: optimizer=, base_optimizer=, optim=
OPTIMIZER_KEYWORD = re.compile(r"(^|_)optim(izer)?s?$", re.IGNORECASE)
# classes that hold settings or state, never parameters (PG009's "any class" rule)
NOT_MODULE_CLASS = re.compile(r"(Config|Args|Arguments|Settings|Options|Params|Hparams|State|"
                              r"Dict|List|Tuple|Set|Counter|Meter|Logger|Writer|Timer|Path|"
                              r"Tensor)$")
# torch.nn modules that hold no parameters: one built into a slot replaces none (PG009)
NN_WITHOUT_PARAMETERS = frozenset({
    "ReLU", "ReLU6", "GELU", "SiLU", "Mish", "Tanh", "Sigmoid", "LeakyReLU", "ELU", "SELU",
    "CELU", "GLU", "Hardtanh", "Hardswish", "Hardsigmoid", "Hardshrink", "Softshrink",
    "Softplus", "Softsign", "Tanhshrink", "Threshold", "LogSigmoid", "Softmax", "Softmin",
    "LogSoftmax", "Softmax2d", "Identity", "Flatten", "Unflatten", "Dropout", "Dropout1d",
    "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout", "MaxPool1d", "MaxPool2d",
    "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d", "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
    "AdaptiveMaxPool3d", "LPPool1d", "LPPool2d", "Upsample", "UpsamplingNearest2d",
    "UpsamplingBilinear2d", "PixelShuffle", "PixelUnshuffle", "ChannelShuffle",
    "CosineSimilarity", "PairwiseDistance",
})


def holds_no_parameters(q: str) -> bool:
    """``q`` names a torch.nn module class that holds no parameters."""
    parts = q.split(".")
    return parts[:2] == ["torch", "nn"] and parts[-1] in NN_WITHOUT_PARAMETERS


# calls that make a plain tensor, never a Parameter (a module does not register it)
TENSOR_FACTORIES = frozenset({
    "torch.tensor", "torch.as_tensor", "torch.from_numpy", "torch.zeros", "torch.ones",
    "torch.empty", "torch.full", "torch.rand", "torch.randn", "torch.randint", "torch.arange",
    "torch.linspace", "torch.zeros_like", "torch.ones_like", "torch.empty_like",
    "torch.full_like", "torch.rand_like", "torch.randn_like",
})
# attributes of a tensor: storing them changes no module (``p.data = ...``)
TENSOR_ATTRIBUTES = frozenset({"data", "grad"})
# an optimizer pglint did not see built (``add_param_group`` on a parameter, self.opt)
SOME_OPTIMIZER = OptClass("optimizer", "third", None)


# ------------------------------------------------------------------ lookup
_EXACT: dict[str, dict] = {}
_PREFIX: list[tuple[str, str, Meaning]] = []
_LAST: dict[str, dict] = {}
_PACKAGE_LAST: dict[tuple[str, str], dict] = {}
_METHOD: dict[str, dict] = {}


def _compile() -> None:
    """Index ``TABLE`` for lookup (again after a change to it)."""
    for table in (_EXACT, _PREFIX, _LAST, _PACKAGE_LAST, _METHOD):
        table.clear()
    meanings.cache_clear()
    for pattern, m in TABLE:
        if pattern.startswith("."):
            _METHOD.setdefault(pattern[1:], {})[m.verb] = m
        elif pattern.startswith("*."):
            _LAST.setdefault(pattern[2:], {})[m.verb] = m
        elif ".**." in pattern:
            pkg, _, last = pattern.partition(".**.")
            _PACKAGE_LAST.setdefault((pkg, last), {})[m.verb] = m
        elif pattern.endswith(".*"):
            _PREFIX.append((pattern[:-1], m.verb, m))
        else:
            _EXACT.setdefault(pattern, {})[m.verb] = m

_NONE: dict = {}


@lru_cache(maxsize=8192)
def meanings(q: str | None) -> dict:
    """verb -> Meaning for a callee's qualified name (shared: do not mutate)."""
    if q is None:
        return _NONE
    parts = q.rsplit(".", 1)
    last = parts[-1]
    out: dict = {}
    for table_hit in (_LAST.get(last),
                      _PACKAGE_LAST.get((q.split(".", 1)[0], last)) if len(parts) > 1 else None,
                      _EXACT.get(q)):
        if table_hit:
            out.update(table_hit)
    for prefix, verb, m in _PREFIX:
        if q.startswith(prefix):
            out[verb] = m
    for verb, m in list(out.items()):
        if m.unless is not None and m.unless.search(q):
            del out[verb]
    return out or _NONE


_compile()


def method(name: str) -> dict:
    """verb -> Meaning for a method called by this name, on any receiver."""
    return _METHOD.get(name, _NONE)


def means(q: str | None, verb: str) -> Meaning | None:
    return meanings(q).get(verb)


def never_steps_q(q: str | None) -> bool:
    """Handing an optimizer to ``q`` is no evidence that it is stepped (PG003): the table,
    and names that say so (asserts, schedulers)."""
    if q is None:
        return False
    last = q.split(".")[-1]
    return ("never_steps" in meanings(q)
            or last.startswith("assert")  # self.assertIs(opt, ...), assert_close(...)
            or "schedule" in last.lower()  # get_linear_schedule_with_warmup, a scheduler
            or last.endswith("LR") and last[:1].isupper())  # LambdaLR, StepLR, ...


def _qualnames(verb: str) -> frozenset:
    return frozenset(p for p, m in TABLE if m.verb == verb and "*" not in p
                     and not p.startswith("."))


# the sets other modules read (context.py: optimizer classes, Module classes, endless)
NOT_PEER_OPTIMIZERS = frozenset(tuple(p.split(".**.")) for p, m in TABLE
                                if m.verb == "not_peer_optimizer")
TORCH_DISTRIBUTED_OPTIMIZERS = _qualnames("optimizer")
KNOWN_MODULE_CLASSES = _qualnames("module_class")
ENDLESS_ITERATORS = _qualnames("endless")
CONSUMERS = _qualnames("consumes")
