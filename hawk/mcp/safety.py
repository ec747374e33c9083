"""What the MCP server lets an agent touch and see: paths inside its working directory only, and
nothing secret or outside it in what comes back."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError

from hawk.scrub import Scrubber, mask_secrets, secret_values

# An absolute path of at least two components, not glued to a word ("in/output" is prose, not a path).
_ABS_PATH = re.compile(r"(?<![\w.~:/-])/(?:[\w.+@-]+/)+[\w.+@-]+")  # not in URLs (hawk://docs/...)
# Kernel code is the agent's own text (or a proven fix): left verbatim, a rewrite could change what it computes.
CODE_KEYS = frozenset({"source", "after_code", "before_code", "reference"})


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
            return path.read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise bad_argument(arg, f"cannot read {value!r}: {exc}") from None

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
