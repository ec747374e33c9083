"""Knowledge as a method sees it: what a prompt carries, what a step's outcome teaches, what a run
leaves behind. `NoKnowledge` is every baseline's; `StoreKnowledge` is method hawk's, and the MCP
server learns through the same object (`synthesize`, `learn`), so both ways of learning distill.

StoreKnowledge is handed `prove(code, task)`: the one way it runs a kernel (the proof of a new
item, the re-verification of a merge on this target), so the caller decides where evaluations run
(the MCP server's pool, the loop's target) and knowledge never looks a target up by name for them.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from hawk.agent.meter import LEARN, TokenMeter
from hawk.agent.strategy import Attempt
from hawk.knowledge.attribution import applied
from hawk.knowledge.distill import DistillReport, Recheck, distill, reverify
from hawk.knowledge.facts import Facts, query_text_of
from hawk.knowledge.inject import knowledge_text, record_outcome, step_helped
from hawk.knowledge.item import KnowledgeItem
from hawk.knowledge.retrieval import Hit, retrieve
from hawk.knowledge.store import KnowledgeStore
from hawk.knowledge.synthesis import synthesize_from_steps
from hawk.llm import LLM
from hawk.records.trajectory import Step
from hawk.targets.base import EvalOptions, Target
from hawk.targets.verdict import Verdict
from hawk.tasks.task import Task

Prove = Callable[[str, Task], Verdict]  # run `code` for `task` on the method's target, fully judged

KNOWLEDGE_K = 3  # items injected per prompt: enough for one cause and a neighbour, short enough to read
KNOWLEDGE_MIN_SCORE = 0.25  # fused score below which an item is not worth the prompt space
DISTILL_EVERY = 10  # finished `hawk` tasks between automatic distillations (0: never)


@dataclass
class Advice:
    """What a method adds to one prompt: an exemplar kernel, knowledge items (and those withheld)."""

    exemplar: str | None = None
    text: str | None = None
    hits: list[Hit] = field(default_factory=list)
    withheld: list[Hit] = field(default_factory=list)

    @property
    def items(self) -> list[str]:
        return [h.item.id for h in self.hits]


@dataclass
class LearnReport:
    """What one run (or one MCP lesson) taught the store; `knowledge.json` and summary.json hold it."""

    injected: list[str] = field(default_factory=list)
    store: str = ""
    applied: list[str] = field(default_factory=list)
    withheld: list[str] = field(default_factory=list)
    synthesized: list[dict[str, Any]] = field(default_factory=list)
    refused: str | None = None  # the run reproduced the expert kernel: nothing from it is stored
    distilled: DistillReport | None = None
    llm_calls: int = 0
    llm_tokens: int = 0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        return {k: v for k, v in d.items() if v is not None or k not in ("refused", "distilled")}


class Knowledge(Protocol):
    """What a method's knowledge does in the loop (after the run, method hawk calls `learn` itself)."""

    def advise(self, attempt: Attempt) -> Advice: ...

    def label(self, step: Step, attempt: Attempt, advice: Advice, best_us: float | None) -> None: ...

    def after_step(self, step: Step, best_us: float | None, task: Task) -> None: ...

    def close(self) -> None: ...


class NoKnowledge:
    """The baselines' knowledge: nothing in the prompt, nothing recorded, nothing learned."""

    def advise(self, attempt: Attempt) -> Advice:
        return Advice()

    def label(self, step: Step, attempt: Attempt, advice: Advice, best_us: float | None) -> None:
        pass

    def after_step(self, step: Step, best_us: float | None, task: Task) -> None:
        pass

    def close(self) -> None:
        pass


class StoreKnowledge:
    """Gated 2D retrieval into prompts, effects after each step, synthesis and distillation after a run."""

    def __init__(
        self, store: KnowledgeStore, target: Target, prove: Prove, *, llm: LLM | None = None,
        meter: TokenMeter | None = None, facts: Facts | None = None, ablation: random.Random | None = None,
        settings: LearnSettings | None = None,
    ) -> None:  # fmt: skip
        self.store, self.target, self.prove = store, target, prove
        self.meter = meter or TokenMeter()
        self.llm = self.meter.metered(llm, LEARN) if llm is not None else None
        self.facts, self.ablation = facts, ablation
        self.settings = settings or LearnSettings()

    # --- in the loop ------------------------------------------------------------------------------
    def advise(self, attempt: Attempt) -> Advice:
        hits, withheld = _withhold(self._retrieve(attempt), self.ablation)
        return Advice(text=knowledge_text(hits) if hits else None, hits=hits, withheld=withheld)

    def label(self, step: Step, attempt: Attempt, advice: Advice, best_us: float | None) -> None:
        """Before the step is written: which items its change applied, and whether it helped."""
        named = cited_items(step.candidate)
        step.knowledge_applied = [h.item.id for n, h in enumerate(advice.hits, 1)
                                  if n in named or applied(h.item, attempt.candidate, step.candidate)]  # fmt: skip
        kept = step.kept_verdict()
        if kept is not None and (step.knowledge or step.knowledge_withheld):
            step.knowledge_helped = step_helped(step.kind, kept, best_us)[0]

    def after_step(self, step: Step, best_us: float | None, task: Task) -> None:
        """After the step is written: a crash here loses one effect record, never a step."""
        record_outcome(self.store, step.knowledge, step.kind, step.kept_verdict(), best_us,
                       applied=step.knowledge_applied, withheld=step.knowledge_withheld, task=task.id)  # fmt: skip

    def close(self) -> None:
        self.store.close()

    # --- after a run, or a lesson of an MCP session ----------------------------------------------
    def synthesize(self, steps: list[Step], task: Task, run_id: str) -> list[KnowledgeItem]:
        """Prove and store the run's lessons; ValueError when a lesson's fix is the expert kernel."""
        return synthesize_from_steps(steps, task, self.target, self.store, self.llm, run_id=run_id,
                                     eval_options=self.settings.eval_options, prove=self.prove, facts=self.facts)  # fmt: skip

    def distill_if_due(self) -> DistillReport | None:
        """Count one finished task toward the next distillation (in the store, across processes); run it when due."""
        if not self.store.count_and_check("tasks_since_distill", self.settings.distill_every):
            return None
        return distill(self.store, self.llm, evaluate=self._recheck, log=self.settings.log)

    def learn(self, steps: list[Step], task: Task, run_id: str) -> LearnReport:
        """Synthesize, then distill when due; the model's calls for it are counted apart."""
        before = self.meter.tally(LEARN)
        report = LearnReport(store=str(self.store.path), **_step_items(steps))
        log = self.settings.log
        try:
            created = self.synthesize(steps, task, run_id)
            report.synthesized = [{"id": it.id, "status": it.status, "labels": it.labels} for it in created]
            log(
                f"[{task.id}] knowledge: {len(created)} new item(s) "
                + ", ".join(f"{it.id} ({it.status})" for it in created)
            )
        except ValueError as exc:  # the run reproduced the expert kernel: nothing from it is stored
            report.refused = str(exc)
            log(f"[{task.id}] knowledge: {exc}")
        report.distilled = self.distill_if_due()
        after = self.meter.tally(LEARN)
        report.llm_calls, report.llm_tokens = after.calls - before.calls, after.tokens - before.tokens
        return report

    def _recheck(self, item: KnowledgeItem) -> Recheck:
        """A merged item of this target is re-run through `prove`; another target's item on its own target."""
        if item.target != self.target.name:
            return reverify(item, self.settings.eval_options)
        return reverify(item, self.settings.eval_options, prove=self.prove)

    def _retrieve(self, attempt: Attempt) -> list[Hit]:
        """Gated 2D retrieval for one step. A failure wants fixes of failures; an optimization may use
        either kind (a UB fix tells how far tiles can grow); a first attempt is queried by the task
        itself. Weak matches are left out rather than padding the prompt."""
        common = {"k": KNOWLEDGE_K, "target": self.target.name, "min_score": KNOWLEDGE_MIN_SCORE, "facts": self.facts,
                  "gate": True, "one_per_error": True}  # fmt: skip
        if attempt.candidate is not None and attempt.verdict is not None:
            kind = "error" if attempt.kind == "repair" else None
            return retrieve(self.store, attempt.candidate, verdict=attempt.verdict.to_dict(), kind=kind, **common)
        facts = self.facts
        if attempt.kind != "generate" or facts is None or not facts.known:
            return []
        return upfront_retrieve(self.store, facts, self.target.name)


def upfront_retrieve(store: KnowledgeStore, facts: Facts, target: str, *, gate: bool = True,
                     record: bool = True) -> list[Hit]:  # fmt: skip
    """The first prompt's retrieval, before any kernel exists: traced ops and dtypes are the code
    query, the predicted bottleneck the profile, and data larger than the UB (it must be tiled) the
    UB labels; a matmul brings the cube-tile label. (`gate=False`: the retrieval before gating, for
    benchmarks/retrieval_precision.py.)"""
    big = facts.regimes & {"tensor_exceeds_ub", "row_exceeds_ub"}
    pressure = ["ub_capacity", "vector_tile_shape"] if big else []
    if "matmul" in facts.ops:
        pressure.append("cube_tile_shape")
    return retrieve(store, query_text_of(facts), verdict=None, extra_labels=pressure, k=KNOWLEDGE_K, target=target,
                    min_score=KNOWLEDGE_MIN_SCORE, facts=facts, gate=gate, record=record, one_per_error=True)  # fmt: skip


CITED = re.compile(r"#.*?knowledge item\s*#?\s*(\d+)", re.IGNORECASE)


def cited_items(source: str | None) -> set[int]:
    """The prompt's item numbers a kernel cites in its comments (`# knowledge item 2`): the model's
    own word that it built on an item, counted as applied beside the diff match (which misses an
    item whose idea was carried over to another structure)."""
    return {int(m) for m in CITED.findall(source or "")}


@dataclass(frozen=True)
class LearnSettings:
    eval_options: EvalOptions | None = None  # for proofs and re-verification
    distill_every: int = DISTILL_EVERY
    log: Callable[[str], None] = print


def _step_items(steps: list[Step]) -> dict[str, list[str]]:
    return {
        "injected": sorted({i for s in steps for i in s.knowledge}),
        "applied": sorted({i for s in steps for i in s.knowledge_applied}),
        "withheld": sorted({i for s in steps for i in s.knowledge_withheld}),
    }


def _withhold(hits: list[Hit], rng: random.Random | None) -> tuple[list[Hit], list[Hit]]:
    """(kept, withheld): a random half withheld under ablation (an odd count rounds either way)."""
    if rng is None or not hits:
        return hits, []
    n = len(hits) // 2 + (1 if len(hits) % 2 and rng.random() < 0.5 else 0)
    out = set(rng.sample(range(len(hits)), n))
    return [h for j, h in enumerate(hits) if j not in out], [h for j, h in enumerate(hits) if j in out]
