"""Import torch, or fail with an install hint instead of a bare ImportError trace."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["INSTALL_HINT", "require_torch"]

#: The exact pin matters: an unpinned install pulls a CUDA build of several GB.
INSTALL_HINT = "pip install torch==2.13.0"


def require_torch() -> ModuleType:
    """Return the ``torch`` module.

    Raises
    ------
    ImportError
        With ``name='torch'`` and a message that says how to install it, when
        torch is not installed.
    """
    try:
        return importlib.import_module("torch")
    except ImportError as exc:
        raise ImportError(
            "the neural forecasters (lstm, transformer, dlinear, patchtst, ...) need PyTorch, which is not installed "
            f"({exc}); install the CPU build with: {INSTALL_HINT}",
            name="torch",
        ) from None
