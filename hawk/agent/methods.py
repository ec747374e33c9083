"""The methods the loop runs, behind one protocol: what goes into a prompt, what happens after a
step, what happens after the run. The loop (hawk.agent.loop) keeps only the order.

- `oneshot`: one attempt, no feedback.
- `feedback`: repair on the target's structured error, then optimize on its profile.
- `transplant`: feedback, with the most similar kernel of a corpus in the first prompt.
- `hawk`: feedback with knowledge (hawk.agent.knowledge.StoreKnowledge): retrieved items in every
  prompt, their effects after every step, synthesis and distillation after the run.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from hawk.agent.knowledge import DISTILL_EVERY, Advice, Knowledge, LearnSettings, NoKnowledge, Prove, StoreKnowledge
from hawk.agent.meter import TokenMeter
from hawk.agent.strategy import Attempt
from hawk.agent.transplant import retrieve as most_similar_kernel
from hawk.knowledge.facts import task_facts
from hawk.knowledge.store import KnowledgeStore
from hawk.llm import LLM
from hawk.records.trajectory import Step
from hawk.targets.base import EvalOptions, Target
from hawk.tasks.task import Task

METHODS = ("oneshot", "feedback", "transplant", "hawk")


class Method(Protocol):
    name: str
    exemplar_name: str | None  # the transplanted kernel, for the run's summary

    def iterations(self, budgeted: int) -> int:
        """Steps this method takes when the budget allows `budgeted`."""

    def advise(self, attempt: Attempt) -> Advice:
        """What the method adds to this attempt's prompt."""

    def label(self, step: Step, attempt: Attempt, advice: Advice, best_us: float | None) -> None:
        """After the step ran, before it is written: anything the method records on it."""

    def after_step(self, step: Step, best_us: float | None, task: Task) -> None:
        """After the step is written."""

    def after_run(self, steps: list[Step], task: Task, stop: str) -> dict[str, Any]:
        """After the last step; what it returns is the summary's `knowledge`."""

    def close(self) -> None: ...


@dataclass
class Feedback:
    """Repair on failure, optimize once correct; no knowledge."""

    name: str = "feedback"
    exemplar_name: str | None = None
    knowledge: Knowledge = field(default_factory=NoKnowledge)

    def iterations(self, budgeted: int) -> int:
        return budgeted

    def advise(self, attempt: Attempt) -> Advice:
        return self.knowledge.advise(attempt)

    def label(self, step: Step, attempt: Attempt, advice: Advice, best_us: float | None) -> None:
        self.knowledge.label(step, attempt, advice, best_us)

    def after_step(self, step: Step, best_us: float | None, task: Task) -> None:
        self.knowledge.after_step(step, best_us, task)

    def after_run(self, steps: list[Step], task: Task, stop: str) -> dict[str, Any]:
        return {}

    def close(self) -> None:
        self.knowledge.close()


@dataclass
class OneShot(Feedback):
    """One attempt: the baseline without feedback."""

    name: str = "oneshot"

    def iterations(self, budgeted: int) -> int:
        return 1


@dataclass
class Transplant(Feedback):
    """Feedback, with the corpus's most similar kernel shown in the first prompt."""

    name: str = "transplant"
    exemplar: str | None = None

    @classmethod
    def from_corpus(cls, corpus: Path | None, task: Task) -> Transplant:
        if corpus is None:
            raise ValueError("method 'transplant' needs a corpus of kernels (--corpus DIR)")
        hit = most_similar_kernel(corpus, task.source, exclude=task.id)
        if hit is None:
            return cls()
        return cls(exemplar=hit[0].read_text(), exemplar_name=f"{hit[0].name} (similarity {hit[1]:.2f})")

    def advise(self, attempt: Attempt) -> Advice:
        return Advice(exemplar=self.exemplar if attempt.index == 0 else None)


@dataclass
class Hawk(Feedback):
    """Feedback with knowledge. A run learns once: a marker file in its directory makes a resumed,
    finished run neither re-prove its lessons nor count the task twice toward the next distillation."""

    name: str = "hawk"
    out_dir: Path = Path(".")

    def after_run(self, steps: list[Step], task: Task, stop: str) -> dict[str, Any]:
        if stop.startswith("llm error"):  # an interrupted run learns once it is resumed and finished
            return {}
        marker = self.out_dir / "knowledge.json"
        if marker.exists():
            return json.loads(marker.read_text())
        assert isinstance(self.knowledge, StoreKnowledge)
        info = self.knowledge.learn(steps, task, run_id=str(self.out_dir)).to_dict()
        marker.write_text(json.dumps(info, indent=1))
        return info


@dataclass(frozen=True)
class MethodOptions:
    """What a method needs beyond the run itself (each option is one method's)."""

    corpus: Path | None = None  # transplant: kernels to transplant from
    knowledge_path: Path | None = None  # hawk: the store (None: the user's store)
    distill_every: int = DISTILL_EVERY  # hawk: finished tasks between distillations (0: never)
    ablate_knowledge: bool = False  # hawk: withhold a random half of each step's retrieved items
    base_kb: bool = True  # hawk: the base layer shipped with Hawk lies beneath the store (hawk.knowledge.base_layer)


@dataclass(frozen=True)
class RunParts:
    """The run a method serves: its task, target, directory, model (metered) and proof function."""

    task: Task
    target: Target
    out_dir: Path
    llm: LLM
    meter: TokenMeter
    prove: Prove
    eval_options: EvalOptions | None
    log: Callable[[str], None]


def make_method(name: str, run: RunParts, options: MethodOptions) -> Method:
    if name not in METHODS:
        raise ValueError(f"unknown method '{name}' (known: {', '.join(METHODS)})")
    if name == "oneshot":
        return OneShot()
    if name == "transplant":
        return Transplant.from_corpus(options.corpus, run.task)
    if name == "feedback":
        return Feedback()
    store = KnowledgeStore(options.knowledge_path, base=options.base_kb)
    ablation = random.Random(f"{run.out_dir}") if options.ablate_knowledge else None
    knowledge = StoreKnowledge(store, run.target, run.prove, llm=run.llm, meter=run.meter,
                               facts=task_facts(run.task, run.target.spec()), ablation=ablation,
                               settings=LearnSettings(run.eval_options, options.distill_every, run.log))  # fmt: skip
    return Hawk(knowledge=knowledge, out_dir=run.out_dir)
