"""Attributable effects: did a step's change do what an injected item's change does?

Before this, after an optimize step any faster kernel counted as help for every injected item, even
when the model's edit touched nothing an item describes, so effect counts (and the distillation that
demotes and prunes on them) rested on noise. A change is summarised as *change keys*: what it
touched and which way,

* "shrink:NAME" / "grow:NAME": a knob (a constant, a keyword or dict option) or a call's numeric
  arguments (a tile shape, by the product of its numbers) got smaller / larger; "reshape:NAME" when
  the numbers changed at an equal product;
* "add:OP" / "remove:OP": a call appears only on the added / removed lines (canonical op names);
* a role key beside a resize of a tile size, whatever it is called: "shrink:tile_size" for TILE,
  ROWS, BLOCK, BLOCK_SIZE or set_vec_tile_shapes, "grow:cube_tile" for KL1 or set_cube_tile_shapes.
  Shrinking a Triton kernel's BLOCK to fit the UB is the edit an item that shrank ROWS describes.

An injected item is *applied* by a step when the step's change keys share one with the item's (the
same call or knob, the same kind of edit). An item without keys (a change none of the rules read)
is applied when the changed lines share at least half their code tokens. A first attempt has no
earlier kernel: its change is read against the item's own before-code (did the new kernel make the
item's edit to where the item started?).
"""

from __future__ import annotations

import difflib
import math
import re

from hawk.knowledge.facts import CUBE_WORDS, calls_in, canonical_op
from hawk.knowledge.gating import changed_lines
from hawk.knowledge.item import KnowledgeItem
from hawk.knowledge.tokens import code_tokens

_KNOB = re.compile(r"""\b([A-Za-z_]\w*)['"]?\s*[=:]\s*(-?\d+)\b""")
_CALL_ARGS = re.compile(r"([A-Za-z_]\w*)\s*\(([^()]*)\)")
_NUM = re.compile(r"\d+")
MIN_TOKEN_OVERLAP = 0.5
# Calls every kernel makes around its real work: their appearing or vanishing is no lesson's edit.
_PLUMBING = {"range", "len", "int", "float", "print", "kernel", "min", "max", "str", "list", "tuple", "dict"}


def diff_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    diff = "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True), n=0))
    return changed_lines(diff)


def _knobs(lines: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in lines:
        for name, value in _KNOB.findall(line.split("#", 1)[0]):
            out[name] = int(value)
    return out


def _call_numbers(lines: list[str]) -> dict[str, tuple[int, ...]]:
    out: dict[str, tuple[int, ...]] = {}
    for line in lines:
        for name, args in _CALL_ARGS.findall(line.split("#", 1)[0]):
            nums = tuple(int(n) for n in _NUM.findall(args))
            if nums:
                out[name] = nums
    return out


# Names of tile-size knobs: launch constexprs (ROWS, BLOCK_M, TILE, BLOCK_SIZE, ...) and tile-shape calls.
_TILE_NAME = re.compile(r"^(rows?|cols?|block\w*|tile\w*|\w*_(size|tile|block|rows|cols)|b[mnk]|t[mnk]|kl1|\w*tile_shapes)$",
                        re.I)  # fmt: skip


def _role(name: str) -> str | None:
    if not _TILE_NAME.match(name):
        return None
    return "cube_tile" if CUBE_WORDS.search(name) else "tile_size"


def _direction(a: float, b: float) -> str:
    return "shrink" if b < a else "grow" if b > a else "reshape"


def change_keys(before: str, after: str) -> set[str]:
    """What the edit before -> after touched, and which way (see the module docstring)."""
    removed, added = diff_lines(before or "", after or "")
    keys: set[str] = set()
    old_k, new_k = _knobs(removed), _knobs(added)
    for name in old_k.keys() & new_k.keys():
        if old_k[name] != new_k[name]:
            keys.add(f"{_direction(old_k[name], new_k[name])}:{name}")
    old_c, new_c = _call_numbers(removed), _call_numbers(added)
    for name in old_c.keys() & new_c.keys():
        if old_c[name] != new_c[name]:
            a = math.prod(n for n in old_c[name] if n > 0)
            b = math.prod(n for n in new_c[name] if n > 0)
            keys.add(f"{_direction(a, b)}:{name}")
    for key in list(keys):
        kind, name = key.split(":", 1)
        role = _role(name)
        if role and kind != "reshape":
            keys.add(f"{kind}:{role}")
    # Comments are not code: the tuner's "# tuned (was 8)" mark is no call to `tuned`.
    rc = calls_in("\n".join(line.split("#", 1)[0] for line in removed))
    ac = calls_in("\n".join(line.split("#", 1)[0] for line in added))
    keys |= {f"add:{canonical_op(c)}" for c in ac - rc if c not in _PLUMBING}
    keys |= {f"remove:{canonical_op(c)}" for c in rc - ac if c not in _PLUMBING}
    return keys


def item_keys(item: KnowledgeItem) -> set[str]:
    return set(item.change) if item.change is not None else change_keys(item.before_code, item.after_code)


def _changed_tokens(before: str, after: str) -> set[str]:
    removed, added = diff_lines(before, after)
    return set(code_tokens("\n".join(removed + added)).split())


def applied(item: KnowledgeItem, base: str | None, new: str | None) -> bool:
    """Did the edit base -> new apply `item`? `base` None: a first attempt, read against the item's before-code."""
    if not new:
        return False
    start = base if base is not None else item.before_code
    mine = item_keys(item)
    if mine:
        return bool(mine & change_keys(start, new))
    a, b = _changed_tokens(item.before_code, item.after_code), _changed_tokens(start, new)
    return bool(a | b) and len(a & b) / len(a | b) >= MIN_TOKEN_OVERLAP


def template(before: str, after: str) -> list[str]:
    """The change as rule steps with the learned values: "shrink TILE (256 -> 16)", "add amax()"."""
    removed, added = diff_lines(before, after)
    old_k, new_k = _knobs(removed), _knobs(added)
    old_c, new_c = _call_numbers(removed), _call_numbers(added)
    steps = []
    for key in sorted(change_keys(before, after)):
        kind, name = key.split(":", 1)
        if name in ("tile_size", "cube_tile"):
            continue  # a role key repeats a named step
        if name in old_k and name in new_k:
            steps.append(f"{kind} {name} ({old_k[name]} -> {new_k[name]})")
        elif name in old_c and name in new_c:
            steps.append(f"{kind} {name}{old_c[name]} -> {name}{new_c[name]}")
        else:
            steps.append(f"{kind} {name}()")
    return steps
