"""What the MCP server lets an agent touch and see: paths inside its working directory only, and
nothing secret or outside it in what comes back."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, ValidationError

from hawk.scrub import Scrubber, mask_secrets, secret_values

# An absolute path of at least two components, not glued to a word ("in/output" is prose, not a path).
_ABS_PATH = re.compile(r"(?<![\w.~:/-])/(?:[\w.+@-]+/)+[\w.+@-]+")  # not in URLs (hawk://docs/...)
# Kernel code is the agent's own text (or a proven fix): left verbatim, a rewrite could change what it computes.
CODE_KEYS = frozenset({"source", "after_code", "before_code", "reference"})
MAX_SOURCE_BYTES = 1 << 20  # a kernel or task file is a few KiB; more is a mistake or an attack on memory


def bad_argument(name: str, why: str) -> ToolError:
    """The tool error an agent reads: it starts with the argument to fix."""
    return ToolError(f"argument `{name}`: {why}")


@dataclass
class Workspace:
    """The server's working directory: the only place paths given by an agent may point into."""

    root: Path
    secrets: list[str] = field(default_factory=list)

    @classmethod
    def here(cls, root: Path | None = None) -> Workspace:
        # Values of secret-looking variables (API keys, tokens) are masked wherever they would appear.
        return cls((root or Path.cwd()).resolve(), secret_values())

    def resolve(self, arg: str, value: str) -> Path:
        """`value` (relative to the root, or absolute) as a file inside the root, or a tool error naming `arg`."""
        path = Path(value).expanduser()
        path = (path if path.is_absolute() else self.root / path).resolve()  # symlinks out of the root count as out
        if not path.is_relative_to(self.root):
            raise bad_argument(arg, f"{value!r} is outside the server's working directory {self.root}")
        if not path.is_file():
            raise bad_argument(arg, f"file not found: {value!r} (relative to {self.root})")
        return path

    def read(self, arg: str, value: str) -> str:
        path = self.resolve(arg, value)
        try:
            size = path.stat().st_size
            if size > MAX_SOURCE_BYTES:
                raise bad_argument(arg, f"{value!r} is {size} bytes; at most {MAX_SOURCE_BYTES} are read")
            return path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise bad_argument(arg, f"{value!r} is not UTF-8 text (byte {exc.start})") from None
        except OSError as exc:
            raise bad_argument(arg, f"cannot read {value!r}: {exc.strerror or exc}") from None

    def source(self, source: str | None, path: str | None, source_arg: str = "source", path_arg: str = "path") -> str:
        """Kernel text from exactly one of an inline source and a file path."""
        if source and path:
            raise bad_argument(source_arg, f"give `{source_arg}` or `{path_arg}`, not both")
        if path:
            return self.read(path_arg, path)
        if not source or not source.strip():
            raise bad_argument(
                source_arg, f"missing: give the kernel as `{source_arg}` (text) or `{path_arg}` (a file)"
            )
        if len(source) > MAX_SOURCE_BYTES:
            raise bad_argument(source_arg, f"is {len(source)} characters; a kernel is at most {MAX_SOURCE_BYTES}")
        return source

    def shown(self, path: str | Path) -> str:
        """A path as an agent may see it: relative inside the root, only its name outside."""
        p = Path(path)
        try:
            if p.is_absolute() and p.resolve().is_relative_to(self.root):
                return str(p.resolve().relative_to(self.root))
        except OSError:
            pass
        return f"<outside>/{p.name}"

    def clean(self, obj: Any, key: str | None = None) -> Any:
        """A JSON-ready copy of `obj` with secrets masked, and outside its code fields ANSI codes
        removed, scratch paths as `<scratch>` and other outside paths reduced to their names
        (hawk.scrub)."""
        if isinstance(obj, dict):
            return {str(k): self.clean(v, str(k)) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [self.clean(v, key) for v in obj]
        if isinstance(obj, str):
            text = mask_secrets(obj, self.secrets)
            if key not in CODE_KEYS:
                text = Scrubber(tuple(self.secrets), Scrubber.here().scratch_roots).text(text)
                text = _ABS_PATH.sub(lambda m: self.shown(m.group(0)), text)
            return text
        if isinstance(obj, float) and not math.isfinite(obj):
            return str(obj)  # "inf", "nan": JSON has no such numbers
        if obj is None or isinstance(obj, (bool, int, float)):
            return obj
        return self.clean(json.loads(json.dumps(obj, default=str)), key)


# pydantic error types -> what an agent should fix, in the words of `bad_argument`.
_WANTS = {
    "int": "an integer", "float": "a number", "bool": "true or false", "string": "a string",
    "dict": "an object", "list": "an array", "model": "an object",
}  # fmt: skip


def _why(error: Mapping[str, Any]) -> str:
    kind, ctx, given = str(error.get("type", "")), error.get("ctx") or {}, error.get("input")
    got = f", got {_shown_value(given)}" if "input" in error else ""
    if kind == "missing":
        return "missing (required)"
    for bound, words in (("ge", "at least"), ("gt", "more than"), ("le", "at most"), ("lt", "less than")):
        if bound in ctx:
            return f"must be {words} {ctx[bound]}{got}"
    wanted = _WANTS.get(kind.split("_")[0])
    if wanted:
        return f"must be {wanted}{got}"
    return f"{str(error.get('msg', 'invalid')).rstrip('.')}{got}"


def _shown_value(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def argument_errors(name: str, params: Mapping[str, Any], model: type[BaseModel], arguments: Any) -> ToolError | None:
    """The tool error for a call's arguments (unknown names, wrong types, out of range), naming each
    argument as `bad_argument` does, or None when the arguments fit. `params` is the tool's input schema."""
    if not isinstance(arguments, Mapping):
        return ToolError(f"Error executing tool {name}: arguments must be an object")
    known = sorted(params.get("properties", {}))
    unknown = sorted(str(k) for k in arguments if k not in known)
    if unknown:
        takes = ", ".join(known) or "no arguments"
        why = "; ".join(f"argument `{k}`: unknown argument (this tool takes: {takes})" for k in unknown)
        return ToolError(f"Error executing tool {name}: {why}")
    try:
        model.model_validate(dict(arguments))
    except ValidationError as exc:
        parts = [f"argument `{'.'.join(str(p) for p in e['loc']) or '?'}`: {_why(e)}" for e in exc.errors()]
        return ToolError(f"Error executing tool {name}: {'; '.join(parts)}")
    return None
