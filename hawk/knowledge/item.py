"""KnowledgeItem: one hardware-proven fix in executable form (trigger, semantics, before/after + proof).

The trigger says when the item applies, the labels and rationale say why in hardware terms, and the
code pair with its passing verdict says what to do. An item with no passing proof is only a
candidate: it is never injected as if it were true.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from hawk.scrub import scrub

# candidate: not (yet) proven; active: proven and retrieved; demoted: proven but its injections went
# with failures, so it is retrieved at a penalty until it helps again or is pruned; merged/pruned:
# kept with the reason, never retrieved.
ItemStatus = Literal["candidate", "active", "demoted", "merged", "pruned"]
STATUSES: tuple[str, ...] = ("candidate", "active", "demoted", "merged", "pruned")
PROVEN_STATUSES: tuple[str, ...] = ("active", "demoted")

# Order matters: wider patterns (paths, hex) go before bare numbers eat their digits.
_NORMALIZERS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?:/[\w.+-]+){2,}"), "<PATH>"),
    (re.compile(r"\b0x[0-9a-fA-F]+\b"), "<HEX>"),
    (re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F-]{27,}\b"), "<UUID>"),
    (re.compile(r"(['\"`])[^'\"`\s]{1,80}\1"), "<NAME>"),
    (re.compile(r"\bOP [A-Za-z_]\w*"), "OP <OP>"),
    (re.compile(r"\b(tensor|Tensor|TENSOR)\s+(?!\[)[A-Za-z_]\w*"), r"\1 <NAME>"),
    (re.compile(r"\b[A-Za-z_]+_?\d+\w*\b"), "<ID>"),  # t12, x_ub_3, tensor_7: generated names
    (re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"), "<N>"),
    (re.compile(r"\s+"), " "),
]


def normalize_error(text: str) -> str:
    """Error text with the run-specific parts (numbers, hex, ids, names, paths, op) abstracted.

    Two failures of the same hardware cause in different ops or shapes then share one signature,
    which is what de-duplication and retrieval key on.
    """
    out = text
    for pattern, repl in _NORMALIZERS:
        out = pattern.sub(repl, out)
    return out.strip()


# An ANSI code after normalize_error (its digits are <N> by then): "\x1b[<N>;<N>m".
_NORMALIZED_ANSI = re.compile(r"\x1b\[(?:<N>|[\d;?])*[A-Za-z]?")


def scrub_trigger(trigger: Trigger) -> bool:
    """Clean a stored trigger of ANSI codes, scratch paths and secrets (hawk.scrub); True if it
    changed. Only what the scrubber changes is rewritten (the signature then derived again), so a
    clean item keeps its dedup key."""
    before = (trigger.signature, trigger.hardware_reason)
    if trigger.hardware_reason and (reason := scrub(trigger.hardware_reason)) != trigger.hardware_reason:
        trigger.hardware_reason = reason
        trigger.signature = normalize_error(reason or "")
    if trigger.signature and (sig := scrub(_NORMALIZED_ANSI.sub("", trigger.signature))) != trigger.signature:
        trigger.signature = normalize_error(sig or "")
    return (trigger.signature, trigger.hardware_reason) != before


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def code_hash(code: str) -> str:
    """Hash of code with whitespace runs collapsed, so reformatting does not make a new item."""
    return hashlib.sha256(re.sub(r"\s+", " ", code).strip().encode()).hexdigest()[:16]


@dataclass
class Trigger:
    """When the item applies: an error signature, or for performance items the profile symptom."""

    signature: str = ""  # normalize_error() of the error text
    hardware_reason: str | None = None
    op: str | None = None
    code_pattern: str | None = None  # a regex or snippet the before_code shows
    bottleneck: str | None = None  # target.bottleneck() label, for perf items
    pipes: dict[str, float] = field(default_factory=dict)


@dataclass
class Preconditions:
    """What a query must show for the item to be worth injecting (checked at retrieval, veto on a miss).

    Derived at synthesis from the item's diff and before-code (hawk.knowledge.gating): `ops` are op
    classes or calls the query must make (a cube-tiling item needs a "matmul"); `dtypes`: one of
    them must occur (only when the change itself is about a dtype); `reduction`: the query reduces
    along an axis; `regimes`: shape regimes such as "row_exceeds_ub" (one row is larger than the UB).
    `kernel_class`: a speed-up learned on a vector-only kernel (a norm) needs a vector-only kernel, one
    learned on a kernel with a matmul needs a matmul. Empty lists mean no condition on that axis."""

    ops: list[str] = field(default_factory=list)
    dtypes: list[str] = field(default_factory=list)
    reduction: bool = False
    regimes: list[str] = field(default_factory=list)
    kernel_class: str | None = None  # perf items: "cube" or "vector", the kind of kernel the speed-up was on

    def describe(self) -> list[str]:
        out = [f"uses {op}" for op in self.ops] + ([f"dtype in {self.dtypes}"] if self.dtypes else [])
        out += ["has a reduction"] if self.reduction else []
        out += [f"shape regime {r}" for r in self.regimes]
        return out + ([f"a {self.kernel_class} kernel"] if self.kernel_class else [])

    @property
    def structural(self) -> bool:
        """Does it say anything about the kernel's structure (ops, reduction, regime, kind)? A dtype
        alone does not: nearly every task is fp16 or fp32."""
        return bool(self.ops or self.reduction or self.regimes or self.kernel_class)


@dataclass
class Effect:
    """What happened when the item was used: the evidence pruning and ranking will rest on.

    `injected`, `passes_after`, `regressions` and `speedups` count only injections the step's change
    *applied* (it touched what the item's change touched, hawk.knowledge.attribution): the evidence
    distillation and the retrieval prior use. Injections the step ignored are counted apart
    (`not_applied`, and how many of them passed anyway), and so are the A/B ablation's withheld
    retrievals (`withheld`, `withheld_passes`: the outcome without the item). Stores written before
    attribution existed credited every injection, so their counts read as applied."""

    retrieved: int = 0
    injected: int = 0
    passes_after: int = 0
    regressions: int = 0
    speedups: list[float] = field(default_factory=list)
    not_applied: int = 0
    not_applied_passes: int = 0
    withheld: int = 0
    withheld_passes: int = 0


@dataclass
class KnowledgeItem:
    trigger: Trigger
    labels: list[str]
    rationale: str
    before_code: str
    after_code: str
    proof_verdict: dict[str, Any] | None = None  # Verdict.to_dict() of the run that proved the fix
    target: str = "ascend-pypto"
    sku: str | None = None
    provenance: dict[str, Any] = field(default_factory=dict)  # task, run_id, tool versions, source
    effect: Effect = field(default_factory=Effect)
    status: ItemStatus = "candidate"
    status_reason: str = ""
    merged_into: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    # Relevance and transfer (hawk.knowledge.gating / attribution); None on items of older stores
    # until the store's migration derives them.
    preconditions: Preconditions | None = None
    change: list[str] | None = None  # change keys of the fix: "shrink:TILE", "add:amax", ...
    rule: dict[str, Any] = field(default_factory=dict)  # trigger, rationale and template: the rule, not the diff
    proven_tasks: list[str] = field(default_factory=list)  # tasks where the change passed (learned + applied)
    general: bool = False  # its change passed on a second task
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    created: str = field(default_factory=now)
    updated: str = field(default_factory=now)

    @property
    def proof_passed(self) -> bool:
        return bool(self.proof_verdict) and self.proof_verdict.get("status") == "pass"

    def dedup_key(self) -> str:
        """Same signature, same labels, same fix: the same knowledge, wherever it was learned. An item may
        set its own key (a tuner item: one per knob family, hawk.knowledge.tuner_lessons)."""
        if self.provenance.get("dedup_key"):
            return str(self.provenance["dedup_key"])
        sig = self.trigger.signature or f"perf:{self.trigger.bottleneck}"
        return f"{sig}|{','.join(sorted(self.labels))}|{code_hash(self.after_code)}"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> KnowledgeItem:
        data = dict(data)
        data["trigger"] = Trigger(**data.get("trigger", {}))
        data["effect"] = Effect(**data.get("effect", {}))
        if isinstance(data.get("preconditions"), dict):
            data["preconditions"] = Preconditions(**data["preconditions"])
        return cls(**data)
