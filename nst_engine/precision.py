"""Which precision VGG19's convolutions run in: the fastest one that keeps float32's figures.

bfloat16 has float32's range (no overflow in a Gram matrix) and a 7-bit mantissa; with the losses
kept in float32 it moved no quality figure by more than 0.01 (docs/engine.md). It is fast only
where the hardware has it: a CPU with AVX512-BF16 or AMX (oneDNN's bfloat16 kernels), or a GPU's
tensor cores. Elsewhere oneDNN emulates it, slower than float32, so those machines keep float32.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

# A Keras dtype policy name, or None for float32.
Policy = Literal["mixed_bfloat16", "mixed_float16"] | None
Choice = Literal["auto", "float32", "bfloat16", "float16"]
CHOICES: tuple[Choice, ...] = ("auto", "float32", "bfloat16", "float16")
PRECISION_ENV = "NST_PRECISION"
# CPU flags (as Linux names them in /proc/cpuinfo) that give oneDNN native bfloat16 kernels.
BF16_CPU_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The first processor's feature flags; empty where there is no /proc/cpuinfo (not Linux)."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.partition(":")[2].split())
    return frozenset()


def choose(choice: Choice, gpu: bool, flags: frozenset[str]) -> Policy:
    """The dtype policy for `choice`; "auto" picks bfloat16 on a GPU or a BF16-capable CPU.

    On a GPU bfloat16 rather than float16: the same format as the CPU figures were measured
    with, and float32's range, so no loss scaling is needed.
    """
    if choice not in CHOICES:
        raise ValueError(f"precision must be one of {', '.join(CHOICES)}, not {choice!r}")
    if choice == "auto":
        return "mixed_bfloat16" if gpu or flags & BF16_CPU_FLAGS else None
    return {"float32": None, "bfloat16": "mixed_bfloat16", "float16": "mixed_float16"}[choice]


def from_env(environ: Mapping[str, str] | None = None) -> Choice:
    """$NST_PRECISION, "auto" when unset; ValueError naming the variable when it is not a choice."""
    value = (os.environ if environ is None else environ).get(PRECISION_ENV, "auto") or "auto"
    if value not in CHOICES:
        raise ValueError(f"{PRECISION_ENV} must be one of {', '.join(CHOICES)}, not {value!r}")
    return value
