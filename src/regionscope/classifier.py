"""An object classifier trained on the classes users gave to regions, applied to every region.

Arrays and tables in, tables out, as in the rest of the core: :func:`train_classifier` takes a
region table and ``{label: class name}`` (or ``{(image, label): class name}`` for a table of many
images) and returns a :class:`Classifier`, whose :meth:`~Classifier.predict` gives every region a
``predicted_class`` and a ``predicted_probability``. The model is scikit-learn's random forest
behind a median imputer: it needs no scaling, copes with a few dozen examples per class, and its
trees give feature importances. Predictions are the model's only: a user's own class is kept in
the annotations and always wins where both exist (:func:`merged_classes`).

A trained classifier is saved with skops (:meth:`Classifier.save`, :func:`load_classifier`), never
as a pickle. skops refuses every type it does not know; the two it asks about for a random forest
are numpy's dtype and scikit-learn's tree storage, whose node indices scikit-learn follows without
bounds checks. They are allowed only after the file said it is a regionscope classifier, and every
tree's arrays are then checked here (:func:`_check_tree`) before anything predicts with them.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from regionscope._version import __version__
from regionscope.errors import RegionscopeError

__all__ = [
    "MIN_EXAMPLES_PER_CLASS",
    "Classifier",
    "ClassifierError",
    "Quality",
    "default_features",
    "feature_matrix",
    "load_classifier",
    "merged_classes",
    "train_classifier",
    "training_needs",
]

#: Examples each class needs before training (two per class: the forest's bootstrap and a
#: cross-validation split then see every class).
MIN_EXAMPLES_PER_CLASS = 2
#: The file format's name and version, written into every saved classifier.
FORMAT = "regionscope-classifier"
FORMAT_VERSION = 1
#: Types skops reports as untrusted in a random forest file and that we allow, after
#: checking the file's format and, for trees, their arrays (see the module docstring).
_REVIEWED_TYPES = ("numpy.dtype", "sklearn.tree._tree.Tree")
#: Saved classifiers larger than this are refused before reading (a forest of 200 trees on
#: a few thousand examples is a few MB).
MAX_MODEL_BYTES = 512 * 2**20
#: Columns that say where a region is or what it is called, not what it looks like.
_POSITION_PREFIXES = (
    "label",
    "image",
    "bbox",
    "centroid",
    "coords",
    "slice",
    "predicted_",
    "class",
    "embedding",
    "pca-",
    "umap-",
)
_SKLEARN_EXTRA = 'pip install "regionscope[classify]"'


class ClassifierError(RegionscopeError, ValueError):
    """Training or applying a classifier cannot be done as asked; the message says why and what to do."""


def _sklearn():
    try:
        import sklearn.ensemble
        import sklearn.impute
        import sklearn.pipeline
        import sklearn.tree
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] != "sklearn":
            raise
        raise ClassifierError(
            f"the classifier needs scikit-learn, which is not installed; install it with: {_SKLEARN_EXTRA}"
        ) from None
    return sklearn


def _skops_io():
    try:
        import skops.io
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] != "skops":
            raise
        raise ClassifierError(f"classifier files need skops, which is not installed; install it with: {_SKLEARN_EXTRA}") from None
    return skops.io


def default_features(table: pd.DataFrame) -> list[str]:
    """The columns a classifier learns from by default: numeric shape and intensity measurements.

    Position (``centroid``, ``bbox``), identity (``label``, ``image``) and earlier
    predictions or embeddings are left out: a class should not depend on where a region
    lies or what number it was given. Boolean columns (``touches_border``) are left out too.

    Parameters
    ----------
    table : pandas.DataFrame
        A region table.

    Returns
    -------
    list of str
        In table order.
    """
    chosen = []
    for column in table.columns:
        name = str(column)
        if name.startswith(_POSITION_PREFIXES) or "centroid" in name:
            continue
        if table[column].dtype.kind in "iuf":
            chosen.append(name)
    return chosen


def _class_series(table: pd.DataFrame, classes) -> pd.Series:
    """The user's class of every row of ``table`` (NaN where none), from labels or ``(image, label)`` keys."""
    if isinstance(classes, pd.Series):
        classes = classes.to_dict()
    classes = dict(classes or {})
    if "label" not in table.columns:
        raise ClassifierError("the table has no 'label' column: give a region table as measured by regionscope")
    keyed_by_image = any(isinstance(key, tuple) for key in classes)
    if keyed_by_image:
        if "image" not in table.columns:
            raise ClassifierError("the classes are keyed by (image, label) but the table has no 'image' column")
        keys = zip(table["image"].tolist(), table["label"].tolist(), strict=True)
    else:
        if classes and "image" in table.columns and table["image"].nunique() > 1:
            # Label 7 of one image is not label 7 of another: a class keyed by label alone would go to both.
            raise ClassifierError(
                "the table holds regions of several images (its 'image' column) but the classes are keyed by label "
                "alone; key them by (image, label)"
            )
        keys = table["label"].tolist()
    return pd.Series([classes.get(key) for key in keys], index=table.index, dtype=object)


def training_needs(counts: Mapping[str, int]) -> str | None:
    """What is still missing before a classifier can be trained, or None when nothing is.

    Parameters
    ----------
    counts : mapping of str to int
        Number of regions the user gave each class (classes without regions may be absent).

    Returns
    -------
    str or None
        e.g. ``"give 1 more region the class 'dim' (each class needs 2 examples)"``.
    """
    ready = {name: n for name, n in counts.items() if n > 0}
    if len(ready) < 2:
        have = f" (now: {', '.join(f'{name!r}' for name in ready)})" if ready else ""
        return f"give regions at least two different classes{have}, {MIN_EXAMPLES_PER_CLASS} regions each, then train"
    short = {name: MIN_EXAMPLES_PER_CLASS - n for name, n in ready.items() if n < MIN_EXAMPLES_PER_CLASS}
    if short:
        parts = [f"{n} more region{'s' if n != 1 else ''} the class {name!r}" for name, n in short.items()]
        return f"give {' and '.join(parts)} (each class needs {MIN_EXAMPLES_PER_CLASS} examples)"
    return None


@dataclass(frozen=True)
class Quality:
    """How well a classifier does on the examples it was trained with.

    Attributes
    ----------
    accuracy : float or None
        Cross-validated accuracy (stratified folds; None when a class has too few examples to split).
    folds : int
        Number of folds (0 without cross-validation).
    confusion : pandas.DataFrame
        Cross-validated confusion matrix: rows are the user's classes, columns the predicted ones.
    importances : pandas.Series
        Mean decrease in impurity of each feature, summing to 1, largest first.
    """

    accuracy: float | None
    folds: int
    confusion: pd.DataFrame
    importances: pd.Series

    def to_dict(self) -> dict:
        """Plain JSON-able form (for skops files and the page)."""
        return {
            "accuracy": self.accuracy,
            "folds": self.folds,
            "classes": [str(c) for c in self.confusion.index],
            "confusion": self.confusion.to_numpy().astype(int).tolist(),
            "features": [str(f) for f in self.importances.index],
            "importances": [float(v) for v in self.importances.to_numpy()],
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> Quality:
        classes = list(data["classes"])
        return cls(
            accuracy=None if data["accuracy"] is None else float(data["accuracy"]),
            folds=int(data["folds"]),
            confusion=pd.DataFrame(
                np.asarray(data["confusion"], dtype=int).reshape(len(classes), len(classes)), index=classes, columns=classes
            ),
            importances=pd.Series(np.asarray(data["importances"], dtype=float), index=list(data["features"])),
        )


@dataclass(frozen=True)
class Classifier:
    """A trained region classifier: the model, the feature columns it reads, its classes and quality.

    Made by :func:`train_classifier` or :func:`load_classifier`; apply it with :meth:`predict`.
    """

    model: Any = field(repr=False)
    features: tuple[str, ...]
    classes: tuple[str, ...]
    examples: int
    quality: Quality | None = field(default=None, repr=False)
    method: str = "random_forest"
    version: str = __version__

    def check_features(self, table: pd.DataFrame, where: str = "the table") -> None:
        """Raise :class:`ClassifierError` naming the feature columns ``table`` lacks or holds as text."""
        missing = [name for name in self.features if name not in table.columns]
        if missing:
            shown = ", ".join(repr(name) for name in missing[:8]) + (", ..." if len(missing) > 8 else "")
            raise ClassifierError(
                f"{where} lacks {len(missing)} of the classifier's {len(self.features)} feature columns ({shown}); "
                "measure it with the same properties (and channels) as the table the classifier was trained on"
            )
        text = [name for name in self.features if table[name].dtype.kind not in "iufb"]
        if text:
            raise ClassifierError(f"{where}'s column {text[0]!r} is not numeric, but the classifier reads it as a number")

    def predict(self, table: pd.DataFrame, *, where: str = "the table") -> pd.DataFrame:
        """The predicted class of every region and the model's probability for it.

        Parameters
        ----------
        table : pandas.DataFrame, shape (n_regions, ...)
            Holds the classifier's :attr:`features` (more columns are fine).
        where : str
            How errors name the table (e.g. its file name).

        Returns
        -------
        pandas.DataFrame, shape (n_regions, 2 or 3 or 4)
            ``image`` (if the table has one), ``label``, ``predicted_class`` (str) and
            ``predicted_probability`` (float, the forest's share of votes), on the table's index.

        Raises
        ------
        ClassifierError
            When a feature column is missing or not numeric.
        """
        self.check_features(table, where)
        keys = [c for c in ("image", "label") if c in table.columns]
        result = table[keys].copy()
        if len(table) == 0:
            result["predicted_class"] = pd.Series([], dtype=object)
            result["predicted_probability"] = pd.Series([], dtype=float)
            return result
        values = feature_matrix(table, self.features)
        probabilities = self.model.predict_proba(values)
        best = probabilities.argmax(axis=1)
        names = np.asarray(self.model.classes_, dtype=object)
        result["predicted_class"] = names[best]
        result["predicted_probability"] = probabilities[np.arange(len(best)), best].astype(float)
        return result

    def to_bytes(self) -> bytes:
        """The classifier as a skops file's bytes (see :meth:`save`)."""
        buffer = io.BytesIO()
        _skops_io().dump(self._payload(), buffer)
        return buffer.getvalue()

    def save(self, path: str | os.PathLike) -> Path:
        """Write the classifier to a skops file (``.skops``): safe to load, unlike a pickle.

        The file records the feature columns, the classes, the quality and the regionscope version.
        """
        path = Path(path)
        data = self.to_bytes()
        try:
            path.write_bytes(data)
        except OSError as exc:
            raise ClassifierError(f"{path}: cannot write the classifier ({exc.strerror or exc})") from None
        return path

    def _payload(self) -> dict:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "regionscope": self.version,
            "method": self.method,
            "features": list(self.features),
            "classes": list(self.classes),
            "examples": int(self.examples),
            "quality": None if self.quality is None else self.quality.to_dict(),
            "model": self.model,
        }


def feature_matrix(table: pd.DataFrame, features: Sequence[str]) -> np.ndarray:
    """The feature columns as float64: booleans and integers as numbers, NaN where a value is missing.

    What the classifier and :func:`regionscope.embedding.embed` read; the columns must exist and
    be numeric (see :meth:`Classifier.check_features`). Infinite values (the intensity of an image
    with infinite pixels) count as missing too, and finite values beyond float32 are clipped to its
    range: scikit-learn's trees compare in float32 and refuse infinity, which would fail the whole
    table over one region.

    Parameters
    ----------
    table : pandas.DataFrame
    features : sequence of str

    Returns
    -------
    ndarray of float64, shape (len(table), len(features))
    """
    values = table.loc[:, list(features)].to_numpy(dtype=np.float64, na_value=np.nan)
    if not values.flags.writeable:  # a view of the table's own block
        values = values.copy()
    values[np.isinf(values)] = np.nan
    largest = float(np.finfo(np.float32).max)
    return np.clip(values, -largest, largest, out=values)


def train_classifier(
    table: pd.DataFrame,
    classes: Mapping | pd.Series,
    features: Sequence[str] | None = None,
    *,
    trees: int = 200,
    random_state: int = 0,
    cross_validate: bool = True,
) -> Classifier:
    """Train a random-forest classifier on the regions the user gave classes.

    Parameters
    ----------
    table : pandas.DataFrame, shape (n_regions, ...)
        Region table with a ``label`` column (and ``image`` for many images).
    classes : mapping or pandas.Series
        ``{label: class name}``, or ``{(image, label): class name}`` for a table with an
        ``image`` column (the annotations). Regions not in ``table`` are ignored.
    features : sequence of str, optional
        Columns to learn from. Default: :func:`default_features`.
    trees : int
        Trees in the forest.
    random_state : int
        Seed: the same inputs give the same classifier.
    cross_validate : bool
        Measure :class:`Quality` with stratified folds (up to 5, fewer when a class has fewer
        examples; skipped when one has fewer than 2).

    Returns
    -------
    Classifier

    Raises
    ------
    ClassifierError
        Fewer than two classes with :data:`MIN_EXAMPLES_PER_CLASS` examples each (the message
        says how many are missing), or a feature column that is missing or not numeric.
    """
    sklearn = _sklearn()
    if isinstance(features, str):  # one column, not its letters
        features = [features]
    # Each column once, in the order given.
    features = tuple(dict.fromkeys(str(f) for f in (default_features(table) if features is None else features)))
    if not features:
        raise ClassifierError("choose at least one feature column to train on")
    given = _class_series(table, classes)
    examples = given.notna()
    counts = given[examples].value_counts().to_dict()
    need = training_needs(counts)
    if need:
        raise ClassifierError(f"not enough examples to train: {need}")
    probe = Classifier(model=None, features=features, classes=(), examples=0)
    probe.check_features(table)
    values = feature_matrix(table.loc[examples], features)
    targets = given[examples].astype(str).to_numpy()

    def forest():
        return sklearn.pipeline.make_pipeline(
            # keep_empty_features: a column that is NaN for every example still counts as a
            # column, so that prediction reads the same number of columns.
            sklearn.impute.SimpleImputer(strategy="median", keep_empty_features=True),
            sklearn.ensemble.RandomForestClassifier(
                n_estimators=trees, class_weight="balanced", random_state=random_state, n_jobs=-1
            ),
        )

    model = forest().fit(values, targets)
    names = tuple(str(c) for c in model.classes_)
    quality = _quality(sklearn, forest, model, values, targets, names, features) if cross_validate else None
    return Classifier(model=model, features=features, classes=names, examples=int(examples.sum()), quality=quality)


def _quality(sklearn, forest, model, values, targets, names, features) -> Quality:
    import sklearn.metrics
    import sklearn.model_selection

    folds = min(5, int(pd.Series(targets).value_counts().min()))
    importances = pd.Series(model[-1].feature_importances_, index=list(features)).sort_values(ascending=False)
    if folds < 2:
        empty = pd.DataFrame(np.zeros((len(names), len(names)), dtype=int), index=list(names), columns=list(names))
        return Quality(accuracy=None, folds=0, confusion=empty, importances=importances)
    splitter = sklearn.model_selection.StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    predicted = sklearn.model_selection.cross_val_predict(forest(), values, targets, cv=splitter)
    confusion = sklearn.metrics.confusion_matrix(targets, predicted, labels=list(names))
    return Quality(
        accuracy=float((predicted == targets).mean()),
        folds=folds,
        confusion=pd.DataFrame(confusion, index=list(names), columns=list(names)),
        importances=importances,
    )


def load_classifier(source: str | os.PathLike | bytes, *, name: str | None = None) -> Classifier:
    """Read a classifier saved by :meth:`Classifier.save`, refusing anything else.

    Parameters
    ----------
    source : path or bytes
        A ``.skops`` file, or its bytes (an upload).
    name : str, optional
        How errors name the file (default: the path's name).

    Returns
    -------
    Classifier

    Raises
    ------
    ClassifierError
        The file is missing, too large, not a skops file, not a regionscope classifier, holds
        types other than a scikit-learn random forest's, or a tree whose arrays do not hold together.
    """
    skops_io = _skops_io()
    if isinstance(source, bytes | bytearray):
        data, name = bytes(source), name or "the classifier file"
    else:
        path = Path(source)
        name = name or path.name
        try:
            size = path.stat().st_size
            if size > MAX_MODEL_BYTES:
                raise ClassifierError(
                    f"{name} is {size / 2**20:.0f} MB, more than a classifier ({MAX_MODEL_BYTES // 2**20} MB at most)"
                )
            data = path.read_bytes()
        except FileNotFoundError:
            raise ClassifierError(f"{name}: no such file") from None
        except IsADirectoryError:
            raise ClassifierError(f"{name} is a folder, not a classifier file (.skops)") from None
        except OSError as exc:
            raise ClassifierError(f"{name}: cannot read the classifier file ({exc.strerror or exc})") from None
    if len(data) > MAX_MODEL_BYTES:
        raise ClassifierError(f"{name} is more than {MAX_MODEL_BYTES // 2**20} MB, more than a classifier")
    not_ours = f"{name} is not a regionscope classifier (a .skops file saved by regionscope)"
    _check_unpacked_size(data, name, not_ours)
    try:
        untrusted = skops_io.get_untrusted_types(data=data)
        # Types of a regionscope classifier's model that skops's defaults do not trust.
        unknown = sorted(set(untrusted) - set(_REVIEWED_TYPES) - _SKLEARN_FOREST_TYPES)
        if unknown:
            raise ClassifierError(f"{not_ours}: it holds {', '.join(unknown[:3])}, which regionscope does not load")
        payload = skops_io.loads(data, trusted=list(untrusted))
    except ClassifierError:
        raise
    except Exception:  # skops raises many kinds (zip, json, its own) on a file that is not its own
        raise ClassifierError(not_ours) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ClassifierError(not_ours)
    damaged = f"{name} is a damaged regionscope classifier file; train the classifier again"
    try:
        format_version = int(payload.get("format_version", 0))
    except (TypeError, ValueError):
        raise ClassifierError(damaged) from None
    if format_version > FORMAT_VERSION:
        raise ClassifierError(
            f"{name} was saved by a newer regionscope ({payload.get('regionscope')}); update regionscope to load it"
        )
    try:
        features = tuple(str(f) for f in payload["features"])
        classes = tuple(str(c) for c in payload["classes"])
        quality = payload.get("quality")
        classifier = Classifier(
            model=payload.get("model"),
            features=features,
            classes=classes,
            examples=int(payload.get("examples", 0)),
            quality=None if quality is None else Quality.from_dict(quality),
            method=str(payload.get("method", "random_forest")),
            version=str(payload.get("regionscope", "")),
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        raise ClassifierError(damaged) from None
    _check_model(classifier, name)
    return classifier


def _check_unpacked_size(data: bytes, name: str, not_ours: str) -> None:
    """Refuse a zip whose members unpack to more than :data:`MAX_MODEL_BYTES` (a zip bomb) before skops unpacks it."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise ClassifierError(not_ours) from None
    if unpacked > MAX_MODEL_BYTES:
        raise ClassifierError(f"{name} unpacks to more than {MAX_MODEL_BYTES // 2**20} MB, more than a classifier")


#: scikit-learn types a regionscope classifier holds that skops may report (by version).
_SKLEARN_FOREST_TYPES = frozenset(
    {
        "sklearn.pipeline.Pipeline",
        "sklearn.impute._base.SimpleImputer",
        "sklearn.ensemble._forest.RandomForestClassifier",
        "sklearn.tree._classes.DecisionTreeClassifier",
        "numpy.ndarray",
        "numpy.float64",
        "numpy.int64",
        "builtins.dict",
        "builtins.list",
        "builtins.str",
    }
)


def _check_model(classifier: Classifier, name: str) -> None:
    """Refuse a model that is not our pipeline, or a tree whose node arrays point outside themselves.

    Then one prediction on a row of zeros: any other inconsistency of a file (an imputer's statistics
    of the wrong kind, ...) fails here, as a :class:`ClassifierError`, and not on the user's table.
    """
    sklearn = _sklearn()
    model, n_features = classifier.model, len(classifier.features)
    bad = ClassifierError(f"{name} holds a damaged or foreign model; train the classifier again")
    if not isinstance(model, sklearn.pipeline.Pipeline) or len(model.steps) != 2:
        raise bad
    imputer, forest = model.steps[0][1], model.steps[1][1]
    if not isinstance(imputer, sklearn.impute.SimpleImputer) or not isinstance(forest, sklearn.ensemble.RandomForestClassifier):
        raise bad
    if getattr(imputer, "add_indicator", False) or getattr(forest, "n_outputs_", None) != 1:
        raise bad  # more columns out of the imputer than the forest reads; several outputs
    if getattr(forest, "n_features_in_", None) != n_features or len(getattr(imputer, "statistics_", ())) != n_features:
        raise bad
    names = [str(c) for c in getattr(forest, "classes_", ())]
    if len(names) < 2 or names != list(classifier.classes):
        raise bad
    estimators = getattr(forest, "estimators_", None)
    if not isinstance(estimators, list) or not estimators:
        raise bad
    for estimator in estimators:
        if not isinstance(estimator, sklearn.tree.DecisionTreeClassifier):
            raise bad
        tree = getattr(estimator, "tree_", None)
        if not isinstance(tree, sklearn.tree._tree.Tree) or getattr(estimator, "n_classes_", None) != len(names):
            raise bad
        if tree.n_outputs != 1 or not _check_tree(tree, n_features, len(names)):
            raise bad
    # How a file says to run is not the file's business: one thread per core, silent, one task per tree.
    forest.set_params(n_jobs=-1, verbose=0, n_estimators=len(estimators))
    try:
        probabilities = model.predict_proba(np.zeros((1, n_features)))
    except Exception:  # whatever scikit-learn raises on an inconsistent estimator
        raise bad from None
    if np.shape(probabilities) != (1, len(names)):
        raise bad


def _check_tree(tree, n_features: int, n_classes: int) -> bool:
    """Whether a fitted tree's arrays hold together, so that predicting never indexes out of bounds.

    Every internal node's children come after it (scikit-learn builds depth first; no cycles)
    and lie inside the tree; a leaf has neither child; features name existing columns.
    """
    n = int(tree.node_count)
    if n > int(tree.capacity):  # scikit-learn clips node_count to the nodes it holds; never read past them
        return False
    left, right, feature = np.asarray(tree.children_left), np.asarray(tree.children_right), np.asarray(tree.feature)
    if n < 1 or not (len(left) == len(right) == len(feature) == n) or tree.value.shape[0] != n:
        return False
    if tree.n_features != n_features or tree.value.shape[-1] != n_classes:
        return False
    leaf = left == -1
    if not np.array_equal(leaf, right == -1):
        return False
    nodes = np.arange(n)
    inner = ~leaf
    if np.any((left[inner] <= nodes[inner]) | (left[inner] >= n) | (right[inner] <= nodes[inner]) | (right[inner] >= n)):
        return False
    return bool(np.all((feature[inner] >= 0) & (feature[inner] < n_features)))


def merged_classes(predictions: pd.DataFrame, classes: Mapping | pd.Series) -> pd.Series:
    """Each region's class as shown: the user's own where given (it always wins), else the prediction.

    Parameters
    ----------
    predictions : pandas.DataFrame
        From :meth:`Classifier.predict` (``label``, ``predicted_class``, maybe ``image``).
    classes : mapping or pandas.Series
        The user's classes, keyed as for :func:`train_classifier`.

    Returns
    -------
    pandas.Series of str, on ``predictions``'s index
    """
    given = _class_series(predictions, classes)
    return given.where(given.notna(), predictions["predicted_class"])
