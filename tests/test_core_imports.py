"""The core (every module but ``regionscope.app`` and ``regionscope.cli``) never loads the web app.

The core modules are found, not listed (:func:`core_modules`), so a new module
or a module turned into a package is checked without editing this file or
pyproject.toml. Three checks: every import statement of every core module, lazy
ones in functions included (:func:`test_no_core_module_imports_the_view`);
everything the core imports at import time, followed through other modules
(:func:`test_the_core_works_without_the_app_extra`, with the app's packages
made unimportable); and the import-linter layers of pyproject.toml.
"""

from __future__ import annotations

import ast
import json
import pkgutil
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import regionscope

ROOT = Path(__file__).resolve().parents[1]
#: Top-level packages of the app extra (see regionscope.extras.APP_PACKAGES).
VIEW_PACKAGES = ("dash", "plotly", "dash_ag_grid")
#: Parts of regionscope above the core: they may import the view; the core may not import them.
UPPER_LAYERS = ("regionscope.app", "regionscope.cli")


def core_modules():
    """``{module name: source file}`` of every regionscope module outside :data:`UPPER_LAYERS`.

    Walks the package folders with :func:`pkgutil.iter_modules` (as
    ``pkgutil.walk_packages`` does) without importing anything, so that the
    walk itself never loads the app.
    """
    found = {}

    def walk(paths, prefix):
        for info in pkgutil.iter_modules(paths, prefix):
            if info.name in UPPER_LAYERS:
                continue
            spec = info.module_finder.find_spec(info.name)
            if spec is None or spec.origin is None:
                continue
            found[info.name] = Path(spec.origin)
            if info.ispkg:
                walk(spec.submodule_search_locations, info.name + ".")

    walk(regionscope.__path__, "regionscope.")
    return found


def _is_view(name):
    return name.split(".")[0] in VIEW_PACKAGES or any(name == up or name.startswith(up + ".") for up in UPPER_LAYERS)


def imported_names(source, module, is_package):
    """Every module name an import statement (or ``importlib.import_module("...")``) in ``source`` names.

    ``from a import b`` gives both ``a`` and ``a.b`` (``b`` may be a module);
    relative imports are resolved against ``module``.
    """
    package = module if is_package else module.rpartition(".")[0]
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(parent + ([base] if base else []))
            names.append(base)
            names += [f"{base}.{alias.name}" for alias in node.names]
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.append(node.args[0].value)
    return names


def test_core_modules_are_found_without_a_list():
    modules = core_modules()
    # The modules (or packages) the app and CLI rely on, and nothing of the upper layers.
    assert {
        "regionscope.io",
        "regionscope.query",
        "regionscope.measurement",
        "regionscope.store",
        "regionscope.extras",
        "regionscope.progress",
    } <= set(modules)
    assert not [name for name in modules if _is_view(name)]


def test_imported_names_resolve_relative_and_lazy_imports():
    source = textwrap.dedent(
        """
        from . import parser
        from ..app import server
        def later():
            import plotly.express
            importlib.import_module("dash_ag_grid")
        """
    )
    names = imported_names(source, "regionscope.query", is_package=True)
    assert "regionscope.query.parser" in names and "regionscope.app.server" in names
    assert "plotly.express" in names and "dash_ag_grid" in names
    assert [n for n in imported_names("from .errors import X", "regionscope.io", False) if n.endswith("X")] == [
        "regionscope.errors.X"
    ]


def test_no_core_module_imports_the_view():
    offences = []
    for module, path in core_modules().items():
        names = imported_names(path.read_text(encoding="utf-8"), module, path.name == "__init__.py")
        offences += [f"{module} imports {name}" for name in sorted(set(names)) if _is_view(name)]
    assert not offences, "the core must not import the app, the CLI, Dash or Plotly:\n" + "\n".join(offences)


CORE_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    from PIL import Image

    import regionscope
    from regionscope import (
        filter_table, load_image, load_labels, measure, parse_filter, region_contours, segment,
    )
    from regionscope.cli import build_parser, main
    from regionscope.pipeline import measure_files

    image = np.zeros((24, 32), dtype=np.uint8)
    image[3:9, 4:12] = 200
    image[14:20, 18:28] = 150
    Image.fromarray(image).save(sys.argv[1] + "/image.png")
    np.save(sys.argv[1] + "/labels.npy", regionscope.segment(image, min_size=0))

    labels = segment(image, min_size=2, fill_holes=True)
    table = measure(image, labels)
    assert len(table) == 2, table
    assert len(filter_table(table, parse_filter("{area} > 50"))) == 1
    assert len(region_contours(labels)) == 2
    assert load_image(sys.argv[1] + "/image.png").data.shape == (24, 32)
    assert load_labels(sys.argv[1] + "/labels.npy").data.max() == 2
    assert len(measure_files(sys.argv[1] + "/image.png", sys.argv[1] + "/labels.npy")) == 2
    build_parser().format_help()
    assert main(["measure", sys.argv[1] + "/image.png", "-o", sys.argv[1] + "/out.csv"]) == 0

    loaded = sorted(
        name for name in sys.modules
        if name.split(".")[0] in {"dash", "plotly", "dash_ag_grid"} or name.startswith("regionscope.app")
    )
    print("LOADED:" + ",".join(loaded))
    """
)


def test_core_does_not_import_the_view(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", CORE_SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("LOADED:")]
    assert line == "LOADED:", f"the core imported view modules: {line.removeprefix('LOADED:')}"
    assert (tmp_path / "out.csv").exists()


def test_import_linter_contract():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    if not lint_imports.exists():
        found = shutil.which("lint-imports")
        if found is None:
            pytest.skip("lint-imports (import-linter) is not installed; pip install import-linter to run this check")
        lint_imports = Path(found)
    result = subprocess.run(
        [str(lint_imports), "--no-cache", "--no-logo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, (
        f"lint-imports failed with the [tool.importlinter] of pyproject.toml:\n{result.stdout}{result.stderr}"
    )
    assert "Layers: cli above app above the core KEPT" in result.stdout


# ------------------------------------------------ without the app extra

#: Makes the app extra's packages unimportable, as on `pip install regionscope` without [app]:
#: a meta-path finder ahead of the others raising what Python raises for a missing package.
WITHOUT_APP = textwrap.dedent(
    """
    import importlib.abc
    import sys

    class _NotInstalled(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {"dash", "dash_ag_grid", "plotly", "waitress", "flask_compress", "flask"}:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, _NotInstalled())
    """
)
RUN_CLI = WITHOUT_APP + "from regionscope.cli import main\nsys.exit(main(sys.argv[1:]))\n"
APP_MESSAGE = (
    "needs the explorer app's packages, which are not installed (dash is missing); "
    'install them with: pip install "regionscope[app]"'
)


def run_without_app(code, *args, cwd):
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, timeout=120, cwd=cwd)


@pytest.fixture
def two_squares(tmp_path):
    import numpy as np
    import tifffile

    image = np.zeros((24, 32), dtype=np.uint8)
    image[3:9, 4:12] = 200
    image[14:20, 18:28] = 150
    labels = np.zeros(image.shape, dtype=np.uint16)
    labels[3:9, 4:12] = 1
    labels[14:20, 18:28] = 2
    tifffile.imwrite(tmp_path / "image.tif", image)
    tifffile.imwrite(tmp_path / "labels.tif", labels)
    return tmp_path


def test_the_core_works_without_the_app_extra(two_squares):
    """Every core module imports, and `regionscope measure` runs, with Dash & co. not installed."""
    code = WITHOUT_APP + textwrap.dedent(
        """
        import importlib, json
        for name in json.loads(sys.argv[1]):
            importlib.import_module(name)
        import regionscope
        from regionscope.cli import main
        assert main(["measure", "image.tif", "--labels", "labels.tif", "--properties", "label,area,intensity_mean",
                     "-o", "out.csv"]) == 0
        print("LOADED:" + ",".join(sorted(n for n in sys.modules if n.startswith("regionscope.app"))))
        """
    )
    result = run_without_app(code, json.dumps(sorted(core_modules())), cwd=two_squares)
    assert result.returncode == 0, result.stderr
    assert "LOADED:\n" in result.stdout
    assert (two_squares / "out.csv").read_text().splitlines() == [
        "label,area,intensity_mean",
        "1,48,200.0",
        "2,60,150.0",
    ]


@pytest.mark.parametrize(
    "command", [["view", "image.tif", "--labels", "labels.tif", "--port", "0"], ["hash-password", "ana", "--stdin"]]
)
def test_app_commands_without_the_app_extra_say_what_to_install(two_squares, command):
    result = run_without_app(RUN_CLI, *command, cwd=two_squares)
    assert result.returncode == 1
    assert result.stderr == f"regionscope: error: regionscope {command[0]} {APP_MESSAGE}\n"
    assert result.stdout == ""


def test_explore_without_the_app_extra_raises_an_import_error_that_says_what_to_install(two_squares):
    code = WITHOUT_APP + textwrap.dedent(
        """
        import regionscope
        try:
            regionscope.explore("image.tif", "labels.tif")
        except ImportError as exc:
            assert isinstance(exc, regionscope.RegionscopeError)
            assert exc.__cause__ is None and exc.__suppress_context__
            print(exc)
        """
    )
    result = run_without_app(code, cwd=two_squares)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"regionscope.explore {APP_MESSAGE}\n"


def test_a_broken_app_import_is_not_taken_for_a_missing_extra():
    """Only the extra's packages count: any other missing module is a bug and is raised as it is."""
    from regionscope.extras import MissingExtraError, app_extra_required

    with pytest.raises(ModuleNotFoundError) as info, app_extra_required("regionscope view"):
        import regionscope_no_such_module  # noqa: F401
    assert not isinstance(info.value, MissingExtraError)
    with pytest.raises(MissingExtraError, match=r'pip install "regionscope\[app\]"'), app_extra_required("x"):
        raise ModuleNotFoundError("No module named 'plotly'", name="plotly")
