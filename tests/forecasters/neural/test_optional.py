"""torch stays optional: ``import tsbench`` does not load it, and its absence gives an install hint."""

import subprocess
import sys
import textwrap


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)


def test_import_tsbench_and_registry_do_not_import_torch():
    result = _run(
        """
        import sys
        import tsbench, tsbench.forecasters.registry, tsbench.runner, tsbench.engine.cells, tsbench.forecasters.neural
        from tsbench.forecasters.neural import windows
        from tsbench.forecasters.registry import available_models
        assert {"lstm", "transformer"} <= set(available_models())
        print("torch" in sys.modules)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_torch_absent_gives_an_install_hint_not_a_trace():
    result = _run(
        """
        import sys

        class NoTorch:  # an import system on which torch is not installed
            def find_spec(self, name, path=None, target=None):
                if name == "torch" or name.startswith("torch."):
                    raise ModuleNotFoundError(f"No module named {name!r}", name=name)

        sys.meta_path.insert(0, NoTorch())
        sys.modules.pop("torch", None)
        from tsbench.errors import PluginError
        from tsbench.forecasters.registry import make_forecaster
        for model in ("lstm", "transformer"):
            try:
                make_forecaster("m", model)
            except PluginError as exc:
                print("PLUGIN", exc)
        try:
            import tsbench.forecasters.neural.lstm
        except ImportError as exc:
            print("IMPORT", exc.name, exc)
        """
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 3, result.stdout
    for line in lines[:2]:
        assert line.startswith("PLUGIN") and "pip install torch==2.13.0" in line
        assert line.count("pip install") == 1  # one hint, not repeated by the registry
    assert lines[2].startswith("IMPORT torch") and "pip install torch==2.13.0" in lines[2]
    assert "Traceback" not in result.stderr
