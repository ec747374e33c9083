"""The `# why:` line: asked of every repaired or optimized kernel, read back as an item's rationale
(logic tier, fake target)."""

from __future__ import annotations

from hawk import targets
from hawk.agent.prompts import WHY_LINE, build_messages
from hawk.knowledge.synthesis import kernel_rationale
from hawk.targets.verdict import Status, Verdict
from hawk.tasks.task import task_from_file

from .conftest import EXP_TASK_FILE

TASK = task_from_file(EXP_TASK_FILE)


def test_repair_and_optimize_ask_for_a_why_line_and_generate_does_not():
    fake = targets.get("fake")
    verdict = Verdict(status=Status.PASS, task=TASK.id, target="fake", mode="sim")
    ask = {"candidate": "def kernel(x, out): ...", "verdict": verdict}
    assert WHY_LINE in build_messages("optimize", TASK, fake, "contract", **ask)[-1].content
    assert WHY_LINE in build_messages("repair", TASK, fake, "contract", **ask)[-1].content
    assert WHY_LINE not in build_messages("generate", TASK, fake, "contract")[-1].content


def test_a_why_line_is_read_once_and_a_copied_one_is_not_this_changes_reason():
    before = "# why: one pass over the rows.\nimport pypto\n"
    after = "import pypto\n#  WHY:  tiles of 8 rows   fit the UB.  \n# why: a second line is not read\n"
    assert kernel_rationale(after, before) == "tiles of 8 rows fit the UB."
    assert kernel_rationale(before, before) is None  # a refinement that kept the old line
    assert kernel_rationale("import pypto\n", before) is None
    assert kernel_rationale("# why:   \nimport pypto\n") is None
