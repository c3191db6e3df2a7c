"""Resolve the TARGET of ``sodbench profile`` to an ``nn.Module``.

TARGET is one of ``package.module:callable`` (imported with the current folder first on
``sys.path``, as ``python -m`` does), ``path/to/file.py:Name`` (loaded from the file, its folder
on ``sys.path`` while it loads), or a built-in name that the caller maps to a model (the command
line maps ``minet`` to the reference MINet of ``minet_ref``, which profiling, standing beside
it, does not import). The named object may be a module instance, a class or a function; classes
and functions are called without arguments.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from torch import nn

from sodbench.errors import SodbenchError
from sodbench.profiling.guard import describe_error

__all__ = ["load_target"]


def _load_file(path: Path):
    if not path.is_file():
        raise SodbenchError(f"TARGET file {path} does not exist")
    module_name = f"_sodbench_target_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    # The file's folder goes on sys.path while it runs, so it can import its neighbours.
    sys.path.insert(0, str(path.resolve().parent))
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        raise SodbenchError(f"cannot load TARGET file {path}: {describe_error(error)}") from error
    finally:
        sys.path.remove(str(path.resolve().parent))
    return module


def _import(module_name: str):
    # As `python -m`: the current folder comes first on sys.path while the module imports, so
    # `sodbench profile mypkg.models:MyNet` run beside mypkg/ finds it without installing it.
    folder = os.getcwd()
    added = folder not in sys.path
    if added:
        sys.path.insert(0, folder)
    importlib.invalidate_caches()  # a module written a moment ago must be seen
    try:
        return importlib.import_module(module_name)
    except Exception as error:
        top = module_name.partition(".")[0]
        hint = ""
        if isinstance(error, ModuleNotFoundError) and error.name == top:
            hint = (f"; run from the folder that holds {top}, or install it, or give "
                    "path/to/file.py:Name")
        raise SodbenchError(
            f"cannot import TARGET module {module_name!r}: {describe_error(error)}{hint}"
        ) from error
    finally:
        if added:
            sys.path.remove(folder)


def _instantiate(obj, target: str) -> nn.Module:
    if isinstance(obj, nn.Module):
        return obj
    if not callable(obj):
        raise SodbenchError(f"TARGET {target} is neither an nn.Module nor callable")
    try:
        obj = obj()
    except Exception as error:
        raise SodbenchError(
            f"calling TARGET {target}() failed: {describe_error(error)}"
        ) from error
    if not isinstance(obj, nn.Module):
        raise SodbenchError(
            f"TARGET {target}() returned {type(obj).__name__}, not a torch.nn.Module"
        )
    return obj


def load_target(
    target: str, builtins: Mapping[str, Callable[[], nn.Module]] | None = None
) -> nn.Module:
    """The ``nn.Module`` that ``target`` names (see the module docstring for the forms).

    ``builtins`` maps built-in names to functions that build their model.
    """
    builtins = builtins or {}
    if target in builtins:
        return builtins[target]()
    source, sep, attribute = target.rpartition(":")
    if not sep or not source or not attribute:
        forms = ["`package.module:callable`", "`path/to/file.py:Name`"]
        if builtins:
            forms.append(f"a built-in name ({', '.join(builtins)})")
        raise SodbenchError(f"TARGET {target!r} is not {', '.join(forms[:-1])} or {forms[-1]}")
    if source.endswith(".py"):
        module = _load_file(Path(source))
    else:
        module = _import(source)
    obj = module
    for part in attribute.split("."):
        if not hasattr(obj, part):
            raise SodbenchError(f"TARGET {target}: {source} has no attribute {attribute!r}")
        obj = getattr(obj, part)
    return _instantiate(obj, target)
