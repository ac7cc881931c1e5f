"""The server's datasets, keyed by id.

The registry holds immutable :class:`~regionscope.dataset.Dataset` objects with
what the viewer draws them with (:class:`~regionscope.app.view_data.ViewData`)
and, for each id, a :class:`Recipe` that rebuilds it. Browsers keep only the id (in a
``dcc.Store``); every callback looks its dataset up here.

Memory is bounded by a budget in bytes (``max_bytes``), whatever users upload:
prepared datasets beyond it are dropped, least recently used first, and rebuilt
from their recipe when asked for again. A recipe holds paths (an uploaded or
given file, or the id of the dataset whose image it reuses), never arrays, except
for :meth:`DatasetRegistry.open` of a caller's arrays (the Python API), which
keeps those arrays. Recipes are pruned too (``max_recipes``, and when the upload
folder is full): the files of a forgotten upload are deleted.

Work is done outside the lock: the lock only guards the dictionaries. A request
is keyed cheaply *before* preparing (file path, size and modification time, or
the content hash of arrays), so the same input is prepared once even when many
browsers ask for it at the same moment (the others wait for that one), while
different inputs are prepared side by side, at most ``max_parallel`` at a time
(so that peak memory stays bounded too).

With authentication each dataset has owners: :meth:`DatasetRegistry.get` with an
``owner`` refuses an id that user did not open (the same answer as an unknown id:
an id alone never grants access). Datasets opened with no owner (the server's
default) are public.
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from regionscope.app.view_data import view_data
from regionscope.dataset import dataset_id, prepare_dataset
from regionscope.errors import RegionscopeError

#: Owner of datasets that every user may read (the server's default dataset).
PUBLIC = None


class DatasetGoneError(RegionscopeError, KeyError):
    """A browser asked for a dataset id this server does not know (or does not let it see)."""

    def __str__(self):
        return (
            f"dataset {self.args[0]!r} is not on this server (it was restarted or the dataset expired); "
            "open the file again or reload the page"
        )


def default_budget():
    """Bytes of prepared datasets a server keeps: a quarter of the RAM, at most 2 GiB."""
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        ram = 8 * 2**30
    return int(min(2 * 2**30, ram // 4))


def dataset_nbytes(dataset, view=None):
    """Bytes a prepared dataset holds: image, labels, table, and the view's index raster and outlines."""
    total = 0
    for array in (dataset.image.data, dataset.labels):
        total += array.nbytes if isinstance(array, np.ndarray) else 0
    total += int(dataset.table.memory_usage(deep=True, index=True).sum())
    return total + (view.nbytes if view is not None else 0)


def _file_key(path):
    """A cheap identity of a file: resolved path, size and modification time (no reading)."""
    if path is None:
        return None
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        return (str(path),)  # the reader will say what is wrong with it
    return (str(path.resolve()), stat.st_size, stat.st_mtime_ns)


@dataclass(frozen=True)
class Recipe:
    """How to rebuild a dataset.

    Attributes
    ----------
    name : str
    segmentation : dict
    image_path, labels_path : Path or None
        Files to read.
    base : str or None
        Id of the dataset whose image is reused (a mask or a segmentation of it).
    build : callable or None
        Only for :meth:`DatasetRegistry.open` of in-memory arrays (it holds them).
    files : tuple of Path
        Uploaded files that belong to this dataset (deleted when it is forgotten).
    pixel_size : float, tuple of float or None
        Micrometres per pixel given by the user, overriding the file's.
    store_entry : Path or None
        A prepared store entry (:func:`regionscope.store.prepare`) to read instead of files.
    """

    name: str
    segmentation: dict = field(default_factory=dict)
    image_path: Path | None = None
    labels_path: Path | None = None
    base: str | None = None
    build: object = None
    files: tuple = ()
    pixel_size: object = None
    store_entry: Path | None = None


class DatasetRegistry:
    """Thread-safe store of prepared datasets and of the recipes that rebuild them.

    Parameters
    ----------
    max_prepared : int
        How many prepared datasets stay in memory at most.
    max_bytes : int or None
        Memory budget of the prepared datasets (:func:`dataset_nbytes`); the
        most recently used one is kept even when it alone is larger.
        Default: :func:`default_budget`.
    max_recipes : int
        How many datasets the registry remembers (older ones are forgotten,
        with their uploaded files).
    max_parallel : int or None
        How many datasets are prepared at the same time (default: CPU count, at least 2).
    on_forget : callable or None
        ``on_forget(recipe)`` after a dataset is forgotten (deletes its uploads).
    """

    def __init__(self, max_prepared=8, *, max_bytes=None, max_recipes=256, max_parallel=None, on_forget=None):
        self.max_prepared = max_prepared
        self.max_bytes = default_budget() if max_bytes is None else int(max_bytes)
        self.max_recipes = max_recipes
        self.on_forget = on_forget
        self._lock = threading.Lock()
        self._prepared = OrderedDict()  # id -> (Dataset, nbytes)
        self._views = {}  # id -> ViewData of the prepared datasets
        self._recipes = OrderedDict()  # id -> Recipe, least recently used first
        self._owners = {}  # id -> set of owners, or PUBLIC
        self._keys = {}  # cheap key -> id
        self._inflight = {}  # cheap key or id -> Future
        self._slots = threading.BoundedSemaphore(max_parallel or max(2, os.cpu_count() or 2))
        #: Counters for tests and benchmarks: datasets prepared, requests answered from memory.
        self.stats = {"prepared": 0, "reused": 0, "forgotten": 0}

    # -- lookups ------------------------------------------------------------

    def __contains__(self, dataset_id_):
        with self._lock:
            return dataset_id_ in self._recipes

    def held_bytes(self):
        """Bytes of the prepared datasets kept in memory now."""
        with self._lock:
            return sum(size for _, size in self._prepared.values())

    def may_read(self, dataset_id_, owner):
        """Whether ``owner`` (None: no authentication) may use this id."""
        with self._lock:
            return self._allowed(dataset_id_, owner)

    def _allowed(self, dataset_id_, owner):
        if dataset_id_ not in self._recipes:
            return False
        owners = self._owners.get(dataset_id_, PUBLIC)
        return owner is None or owners is PUBLIC or owner in owners

    def recipe(self, dataset_id_):
        """The recipe of a known id (None otherwise)."""
        with self._lock:
            return self._recipes.get(dataset_id_)

    def uses_file(self, path):
        """Whether a remembered dataset reads this file."""
        path = Path(path)
        with self._lock:
            return any(
                path in recipe.files or path in (recipe.image_path, recipe.labels_path) for recipe in self._recipes.values()
            )

    def get(self, dataset_id_, owner=None):
        """The dataset with this id, rebuilt from its recipe if it was dropped from memory.

        Parameters
        ----------
        dataset_id_ : str
        owner : str or None
            The requesting user (None: no authentication, every id is readable).

        Raises
        ------
        DatasetGoneError
            For an unknown id, or one this owner did not open.
        """
        with self._lock:
            if not self._allowed(dataset_id_, owner):
                raise DatasetGoneError(dataset_id_)
            self._recipes.move_to_end(dataset_id_)
            if dataset_id_ in self._prepared:
                self._prepared.move_to_end(dataset_id_)
                self.stats["reused"] += 1
                return self._prepared[dataset_id_][0]
            recipe = self._recipes[dataset_id_]
        return self._once(("id", dataset_id_), lambda: self._build(recipe), owner=None, recipe=recipe)

    # -- opening ------------------------------------------------------------

    def view_of(self, dataset):
        """What the viewer draws ``dataset`` with (made again if the budget dropped it meanwhile).

        Parameters
        ----------
        dataset : Dataset
            A dataset this registry returned (access was checked then).

        Returns
        -------
        ViewData
        """
        with self._lock:
            view = self._views.get(dataset.id)
        return view if view is not None else view_data(dataset)

    def open(self, image, labels=None, *, name="image", segmentation=None, owner=PUBLIC):
        """Prepare (or find) the dataset of in-memory inputs and return it.

        The recipe keeps ``image`` and ``labels`` (they are the caller's) to
        rebuild the dataset after it was dropped from memory; servers open
        users' files with :meth:`open_files` and :meth:`open_derived` instead.

        Parameters
        ----------
        image : ImageData
        labels : ndarray or None
        name : str
        segmentation : dict or None
        owner : str or None

        Returns
        -------
        Dataset
        """
        segmentation = dict(segmentation or {})
        key = ("arrays", dataset_id(image, labels, segmentation))

        def build():
            return prepare_dataset(image, labels, name=name, segmentation=segmentation)

        return self._open(key, Recipe(name=name, segmentation=segmentation, build=build), owner)

    def open_files(
        self, image_path, labels_path=None, *, name=None, segmentation=None, owner=PUBLIC, uploaded=(), pixel_size=None
    ):
        """Read files, prepare their dataset and remember how to read them again.

        Parameters
        ----------
        image_path, labels_path : str or os.PathLike
        name : str or None
            Default: the image file's name.
        segmentation : dict or None
        owner : str or None
        uploaded : sequence of path
            Which of the files are uploads that belong to this dataset.
        pixel_size : float, sequence of float or None
            Micrometres per pixel, overriding the file's.

        Returns
        -------
        Dataset
        """
        segmentation = dict(segmentation or {})
        if pixel_size is not None and not isinstance(pixel_size, (int, float)):
            pixel_size = tuple(pixel_size)  # part of the cache key
        image_path = Path(image_path)
        labels_path = None if labels_path is None else Path(labels_path)
        recipe = Recipe(
            name=name or image_path.name,
            segmentation=segmentation if labels_path is None else {},
            image_path=image_path,
            labels_path=labels_path,
            files=tuple(Path(p) for p in uploaded),
            pixel_size=pixel_size,
        )
        key = (
            "files",
            _file_key(image_path),
            _file_key(labels_path),
            None if labels_path else tuple(sorted(segmentation.items())),
            pixel_size,
        )
        return self._open(key, recipe, owner)

    def open_prepared(self, entry, *, name=None, owner=PUBLIC):
        """The dataset of a prepared store entry (:func:`regionscope.store.prepare`): nothing measured again.

        Parameters
        ----------
        entry : PreparedImage
        name : str or None
        owner : str or None

        Returns
        -------
        Dataset
        """
        recipe = Recipe(name=name, store_entry=Path(entry.folder))
        # The manifest changes whenever the entry is rebuilt: the cheap key of this input.
        key = ("store", str(Path(entry.folder).resolve()), json.dumps(entry.manifest, sort_keys=True, default=str))
        return self._open(key, recipe, owner)

    def open_derived(self, base_id, *, labels_path=None, segmentation=None, name=None, owner=PUBLIC, uploaded=()):
        """The image of dataset ``base_id`` with a label file, or segmented with other options.

        Parameters
        ----------
        base_id : str
            A dataset this owner may read.
        labels_path : path-like or None
            A label image for it; None: segment the image with ``segmentation``.
        segmentation : dict or None
        name : str or None
            Default: the base dataset's name.
        owner : str or None
        uploaded : sequence of path

        Returns
        -------
        Dataset
        """
        base = self.get(base_id, owner)
        segmentation = dict(segmentation or {}) if labels_path is None else {}
        labels_path = None if labels_path is None else Path(labels_path)
        recipe = Recipe(
            name=name or base.name,
            segmentation=segmentation,
            labels_path=labels_path,
            base=base_id,
            files=tuple(Path(p) for p in uploaded),
        )
        key = ("derived", base_id, _file_key(labels_path), tuple(sorted(segmentation.items())))
        return self._open(key, recipe, owner)

    def forget(self, dataset_id_):
        """Drop a dataset and its recipe (and, through ``on_forget``, its uploads); also those built on it."""
        forgotten = []
        with self._lock:
            pending = [dataset_id_]
            while pending:
                current = pending.pop()
                recipe = self._recipes.pop(current, None)
                if recipe is None:
                    continue
                self._prepared.pop(current, None)
                self._views.pop(current, None)
                self._owners.pop(current, None)
                for key in [k for k, v in self._keys.items() if v == current]:
                    del self._keys[key]
                forgotten.append(recipe)
                pending.extend(i for i, r in self._recipes.items() if r.base == current)
            self.stats["forgotten"] += len(forgotten)
        for recipe in forgotten:
            if self.on_forget is not None:
                self.on_forget(recipe)
        return len(forgotten)

    def forget_oldest_upload(self, keep=()):
        """Forget the least recently used dataset that owns uploaded files; False when there is none."""
        with self._lock:
            victim = next((i for i, r in self._recipes.items() if r.files and i not in keep), None)
        if victim is None:
            return False
        self.forget(victim)
        return True

    # -- internals ----------------------------------------------------------

    def _build(self, recipe):
        from regionscope.io import load_image, load_labels_for

        if recipe.build is not None:
            return recipe.build()
        if recipe.store_entry is not None:
            from regionscope.dataset import dataset_from_store
            from regionscope.store import open_entry

            return dataset_from_store(open_entry(recipe.store_entry), name=recipe.name)
        if recipe.base is not None:
            image = self.get(recipe.base).image
        else:
            image = load_image(recipe.image_path)
            if recipe.pixel_size is not None:
                image = image.with_pixel_size(recipe.pixel_size)
        labels = None if recipe.labels_path is None else load_labels_for(image, recipe.labels_path).data
        return prepare_dataset(image, labels, name=recipe.name, segmentation=recipe.segmentation)

    def _open(self, key, recipe, owner):
        with self._lock:
            known = self._keys.get(key)
            if known is not None and known in self._recipes:
                self._add_owner(known, owner)
                self._recipes.move_to_end(known)
                if known in self._prepared:
                    self._prepared.move_to_end(known)
                    self.stats["reused"] += 1
                    return self._prepared[known][0]
                recipe = self._recipes[known]
                key = ("id", known)
        return self._once(key, lambda: self._build(recipe), owner=owner, recipe=recipe, cheap_key=key)

    def _once(self, key, build, *, owner, recipe, cheap_key=None):
        """Run ``build`` once per key at a time; concurrent callers wait for the same result."""
        with self._lock:
            future = self._inflight.get(key)
            leader = future is None
            if leader:
                future = self._inflight[key] = Future()
        if not leader:
            dataset = future.result()
            with self._lock:
                self._add_owner(dataset.id, owner)
            return dataset
        try:
            with self._slots:
                dataset = build()
                view = view_data(dataset)
        except BaseException as exc:
            with self._lock:
                del self._inflight[key]
            future.set_exception(exc)
            raise
        dataset = self._keep(dataset, view, recipe, owner, cheap_key)
        with self._lock:
            del self._inflight[key]
        future.set_result(dataset)
        return dataset

    def _add_owner(self, dataset_id_, owner):
        if owner is PUBLIC:
            if dataset_id_ not in self._owners:
                self._owners[dataset_id_] = PUBLIC
            return
        owners = self._owners.get(dataset_id_, set())
        if owners is not PUBLIC:
            owners.add(owner)
            self._owners[dataset_id_] = owners

    def _keep(self, dataset, view, recipe, owner, cheap_key):
        size = dataset_nbytes(dataset, view)
        forget = []
        with self._lock:
            if dataset.id in self._prepared:
                dataset = self._prepared[dataset.id][0]  # equal content opened another way
            else:
                self._prepared[dataset.id] = (dataset, size)
                self._views[dataset.id] = view
                self.stats["prepared"] += 1
            self._prepared.move_to_end(dataset.id)
            self._recipes.setdefault(dataset.id, recipe)
            self._recipes.move_to_end(dataset.id)
            if cheap_key is not None and cheap_key[0] != "id":
                self._keys[cheap_key] = dataset.id
            self._add_owner(dataset.id, owner)
            total = sum(s for _, s in self._prepared.values())
            while len(self._prepared) > 1 and (len(self._prepared) > self.max_prepared or total > self.max_bytes):
                dropped_id, (_, dropped) = self._prepared.popitem(last=False)
                self._views.pop(dropped_id, None)
                total -= dropped
            excess = len(self._recipes) - self.max_recipes
            forget = [i for i in list(self._recipes)[: max(excess, 0)] if i != dataset.id]
        for victim in forget:
            self.forget(victim)
        return dataset
