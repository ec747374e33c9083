"""The two changes Hawk makes to pypto 0.2.0's SIM path. Imported only inside worker processes.

1. In SIM mode the jit wrapper copies inputs to fresh host buffers through a runtime stub that
   copies nothing, so the CPU calculator verifies the program on all-zero inputs. We hand the
   verifier the real host tensors instead.
2. pypto configures and builds its calculator library (cmake + g++, ~20 s) in a temporary folder
   in every process. We build it once per (pypto, torch) version into Hawk's cache and load it.

Both touch private pypto API, so they are pinned to the version they were tested with.
"""

from __future__ import annotations

import ctypes
import fcntl
from pathlib import Path

import pypto
from pypto import pypto_impl
from pypto._utils import BuildOnlineManager
from pypto.frontend.parser.entry import JitCallableWrapper, _pto_to_tensor_data
from pypto.runtime import _pto_verify_datas

TESTED_PYPTO = "0.2.0"


def _check_version() -> None:
    from importlib.metadata import version

    found = version("pypto")
    if found != TESTED_PYPTO:
        raise RuntimeError(f"Hawk's ascend-pypto adapter was tested with pypto {TESTED_PYPTO}, found {found}")


def calculator_library(cache_root: Path) -> Path:
    """Build (once, under a file lock so parallel workers don't race) and return the calculator .so."""
    import torch

    mgr = BuildOnlineManager()
    key = f"pypto-{TESTED_PYPTO}-torch-{torch.__version__}"
    root = Path(cache_root) / "pypto-calculator" / key
    lib = root / "install" / "lib" / "libtile_fwk_calculator.so"
    if lib.exists():
        return lib
    root.mkdir(parents=True, exist_ok=True)
    with open(root.parent / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if lib.exists():  # another worker built it while we waited
            return lib
        torch_ctx = mgr._TorchContext()
        cmake_ctx = mgr._CMakeContext()
        ctx = cmake_ctx.CompileContext(src_dir=Path(mgr.pkg_lib_dir, "calculator"), tmp_dir=root)
        ctx.cfg_cmd_ext = (
            f"-DPY3_MOD_TORCH_VERSION={torch_ctx.torch_version}"
            f" -DPY3_MOD_TORCH_ROOT_PATH={torch_ctx.torch_root_dir}"
            f" -DPY3_MOD_TORCH_C_GLIBCXX_USE_CXX11_ABI={torch_ctx.torch_c_use_cxx11_abi}"
        )
        cmake_ctx.compile(ctx)
    if not lib.exists():
        raise RuntimeError(f"building pypto's calculator did not produce {lib}")
    return lib


def install(cache_root: Path) -> None:
    _check_version()
    lib = calculator_library(cache_root)

    def load_calculator() -> None:
        mgr = BuildOnlineManager()
        if not mgr.calculator_loaded:
            ctypes.CDLL(str(lib), mode=ctypes.RTLD_GLOBAL)
            mgr.calculator_loaded = True

    def setup_verify_data(pto_tensors) -> None:
        if not pypto.get_verify_options().get("enable_pass_verify"):
            return
        load_calculator()
        pypto_impl.SetVerifyData(_pto_to_tensor_data(pto_tensors), [], _pto_verify_datas.get_data())

    load_calculator()
    JitCallableWrapper._setup_verify_data = staticmethod(setup_verify_data)
