"""How to install the optional PyTorch, said once for every message that needs it."""

from __future__ import annotations

#: how to install PyTorch in a clone of polyapprox: the CPU build first (an unpinned torch is a CUDA
#: build of several GB), then the local extra
TORCH_INSTALL = 'pip install torch==2.13.0, then pip install -e ".[torch]" in the clone'
MISSING_TORCH = f"this needs PyTorch: {TORCH_INSTALL}"
