"""The computing environment a stage ran in: CPU model, thread count, torch and its BLAS, NumPy's BLAS.

Embeddings differ in their last bits between CPUs and BLAS builds; the provenance page shows where a run's
vectors were computed, so a reader can tell why two machines' numbers differ.
"""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path
from typing import Any


def cpu_model(cpuinfo: str | None = None) -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one, else the platform's processor string)."""
    if cpuinfo is None:
        path = Path("/proc/cpuinfo")
        cpuinfo = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
    m = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    return m.group(1).strip() if m else (platform.processor() or platform.machine() or "unknown")


def torch_build() -> dict[str, Any]:
    """torch's version, intra-op threads and the BLAS/LAPACK lines of its build configuration (when installed)."""
    try:
        import torch
    except ImportError:
        return {}
    return {"torch": torch.__version__, "torch_threads": torch.get_num_threads(), **torch_config(torch.__config__.show())}


def torch_config(config: str) -> dict[str, str]:
    """BLAS, math library and CPU instruction set from torch's build configuration text."""
    out = {}
    for key, pattern in (("torch_blas", r"BLAS_INFO=([^,\s]+)"), ("torch_math_library", r"- (Intel\(R\) oneAPI Math Kernel "
                         r"Library Version [^\s]+|OpenBLAS[^\n]*)"), ("torch_cpu_capability", r"CPU capability usage: (\w+)")):
        m = re.search(pattern, config)
        if m:
            out[key] = m.group(1).strip()
    return out


def environment() -> dict[str, Any]:
    """CPU model, cores, Python, NumPy and its BLAS, torch and its BLAS and threads."""
    import numpy as np

    try:
        blas = np.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
        numpy_blas = f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except (TypeError, AttributeError):
        numpy_blas = "unknown"
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, "numpy_blas": numpy_blas, **torch_build()}
