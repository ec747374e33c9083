"""Which search a run uses (`Budget.search`), kept beside its trajectory so a rerun continues it.

A run directory holds `search.json` ({"search": ..., "population": ...}), written when a run starts
with no finished step. A rerun into it that finds finished steps continues with the recorded search even when the command line says otherwise (it
logs that it does): the trajectory was made by that strategy, and only that strategy replays it
into the same state. A trajectory from before this file existed was made by the chain.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

from hawk.agent.budget import Budget
from hawk.agent.population import Population
from hawk.agent.strategy import Chain, Strategy
from hawk.fileio import atomic_write_text

SEARCH_FILE = "search.json"


def make_strategy(budget: Budget) -> Strategy:
    if budget.search == "population":
        return Population(size=budget.population)
    return Chain()


def recorded_search(out_dir: Path, budget: Budget, resumed: bool, log: Callable[[str], None]) -> Budget:
    """The budget this run goes on with: its search as recorded in `out_dir` (recorded now if new)."""
    path = Path(out_dir) / SEARCH_FILE
    wanted = {"search": budget.search, "population": budget.population}
    if not resumed:  # no finished step: the command line decides
        atomic_write_text(path, json.dumps(wanted) + "\n")
        return budget
    if path.exists():
        recorded = json.loads(path.read_text())
    else:  # a trajectory made before the file existed: by the chain
        recorded = {"search": "chain", "population": budget.population}
        atomic_write_text(path, json.dumps(recorded) + "\n")
    population = recorded["search"] == "population"
    if recorded["search"] != wanted["search"] or (population and recorded["population"] != wanted["population"]):
        log(f"{out_dir}: continuing with search {recorded['search']} (population {recorded['population']}) as "
            f"recorded in {SEARCH_FILE}; asked for {wanted['search']} (population {wanted['population']})")  # fmt: skip
    return dataclasses.replace(budget, search=recorded["search"], population=int(recorded["population"]))
