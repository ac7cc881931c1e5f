"""The server's datasets, keyed by id.

The registry holds immutable :class:`~regionscope.dataset.Dataset` objects and,
for each id, a recipe that rebuilds it. Browsers keep only the id (in a
``dcc.Store``); every callback looks its dataset up here. Prepared datasets are
kept in a small LRU cache; one that was evicted is rebuilt from its recipe
(uploads are saved as files, so their recipe re-reads them).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from regionscope.dataset import dataset_id, prepare_dataset
from regionscope.errors import RegionscopeError


class DatasetGoneError(RegionscopeError, KeyError):
    """A browser asked for a dataset id this server does not know."""

    def __str__(self):
        return (
            f"dataset {self.args[0]!r} is not on this server (it was restarted or the dataset expired); "
            "open the file again or reload the page"
        )


class DatasetRegistry:
    """Thread-safe store of prepared datasets.

    Parameters
    ----------
    max_prepared : int
        How many prepared datasets stay in memory.
    """

    def __init__(self, max_prepared=8):
        self.max_prepared = max_prepared
        self._lock = threading.Lock()
        self._prepared = OrderedDict()
        self._recipes = {}

    def __contains__(self, dataset_id_):
        with self._lock:
            return dataset_id_ in self._recipes

    def open(self, image, labels=None, *, name="image", segmentation=None):
        """Prepare (or find) the dataset of these inputs and return it.

        Parameters
        ----------
        image : ImageData
        labels : ndarray or None
        name : str
        segmentation : dict or None

        Returns
        -------
        Dataset
        """
        segmentation = dict(segmentation or {})
        key = dataset_id(image, labels, segmentation)
        with self._lock:
            if key in self._prepared:
                self._prepared.move_to_end(key)
                return self._prepared[key]

        def recipe():
            return prepare_dataset(image, labels, name=name, segmentation=segmentation)

        dataset = recipe()
        self._keep(dataset, recipe)
        return dataset

    def open_files(self, image_path, labels_path=None, *, name=None, segmentation=None, pixel_size=None):
        """Read files, prepare their dataset and remember how to read them again.

        The recipe holds only the paths, so an evicted dataset frees its memory.

        Parameters
        ----------
        image_path, labels_path : str or os.PathLike
        name : str or None
            Default: the image file's name.
        segmentation : dict or None
        pixel_size : float, sequence of float or None
            Micrometres per pixel, overriding the file's.

        Returns
        -------
        Dataset
        """
        from pathlib import Path

        from regionscope.io import load_image, load_labels_for

        segmentation = dict(segmentation or {})
        name = name or Path(image_path).name

        def recipe():
            image = load_image(image_path)
            if pixel_size is not None:
                image = image.with_pixel_size(pixel_size)
            labels = None if labels_path is None else load_labels_for(image, labels_path).data
            return prepare_dataset(image, labels, name=name, segmentation=segmentation)

        dataset = recipe()
        with self._lock:
            if dataset.id in self._prepared:
                return self._prepared[dataset.id]
        self._keep(dataset, recipe)
        return dataset

    def get(self, dataset_id_):
        """The dataset with this id, rebuilt from its recipe if it was evicted.

        Raises
        ------
        DatasetGoneError
            For an unknown id.
        """
        with self._lock:
            if dataset_id_ in self._prepared:
                self._prepared.move_to_end(dataset_id_)
                return self._prepared[dataset_id_]
            recipe = self._recipes.get(dataset_id_)
        if recipe is None:
            raise DatasetGoneError(dataset_id_)
        dataset = recipe()
        self._keep(dataset, recipe)
        return dataset

    def _keep(self, dataset, recipe):
        with self._lock:
            self._recipes[dataset.id] = recipe
            self._prepared[dataset.id] = dataset
            self._prepared.move_to_end(dataset.id)
            while len(self._prepared) > self.max_prepared:
                self._prepared.popitem(last=False)
