"""Two axes that sum up many feature columns: PCA or UMAP of the region table, for the feature plot.

:func:`embed` takes a region table and returns two columns on its index, ``pca-1``, ``pca-2`` or
``umap-1``, ``umap-2``. The features (by default the classifier's,
:func:`regionscope.classifier.default_features`: shape and intensity, not position) are made
comparable first: missing values take the column's median and every column is standardized (zero
mean, unit variance), so that an area in pixels does not outweigh an eccentricity.

Above ``sample`` regions the imputer, the scaler and the embedding are fitted on a random sample
of that many regions and every region is then placed with the fitted model (UMAP's ``transform``):
UMAP's fit grows faster than linearly with the regions, its transform linearly. The sample, and
so the result, depends only on ``random_state``.

PCA is scikit-learn's (the ``classify`` extra); UMAP is umap-learn's (the ``embedding`` extra,
``pip install "regionscope[embedding]"``), imported only when asked for: it compiles its numba
functions on first use, about 20 s in a fresh process on this project's 2-core machine.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from regionscope.classifier import default_features, feature_matrix
from regionscope.errors import RegionscopeError
from regionscope.extras import MissingExtraError

__all__ = ["DEFAULT_SAMPLE", "EMBEDDING_EXTRA", "METHODS", "EmbeddingError", "embed", "embedding_columns"]

#: The embeddings :func:`embed` computes.
METHODS = ("pca", "umap")
#: Regions the embedding is fitted on at most; the others are placed with the fitted model.
DEFAULT_SAMPLE = 50_000
#: What to install for UMAP.
EMBEDDING_EXTRA = 'pip install "regionscope[embedding]"'
_CLASSIFY_EXTRA = 'pip install "regionscope[classify]"'
#: Regions placed per step after the fit (a progress step each).
_CHUNK = 100_000
#: Fewest regions each method can embed (UMAP's spectral start needs more points than dimensions + 1).
_MIN_REGIONS = {"pca": 2, "umap": 4}


class EmbeddingError(RegionscopeError, ValueError):
    """An embedding cannot be computed as asked; the message says why and what to do."""


def embedding_columns(method: str) -> list[str]:
    """The two column names of an embedding: ``["pca-1", "pca-2"]`` or ``["umap-1", "umap-2"]``."""
    return [f"{method}-1", f"{method}-2"]


def embed(
    table: pd.DataFrame,
    features: Sequence[str] | None = None,
    method: str = "pca",
    *,
    sample: int = DEFAULT_SAMPLE,
    random_state: int = 0,
    progress: Callable[[float, str], None] | None = None,
) -> pd.DataFrame:
    """Two embedding axes of every region's features.

    Parameters
    ----------
    table : pandas.DataFrame, shape (n_regions, ...)
        A region table.
    features : sequence of str, optional
        Numeric columns to embed, at least two. Default:
        :func:`regionscope.classifier.default_features` (shape and intensity columns).
    method : {"pca", "umap"}
        scikit-learn's PCA, or umap-learn's UMAP (15 neighbours, or fewer on a small table).
    sample : int
        Above this many regions, fit on a random sample of this many and place the others
        with the fitted model.
    random_state : int
        Seed of the sample and of UMAP: the same inputs give the same axes.
    progress : callable, optional
        Called as ``progress(fraction, message)`` with ``fraction`` from 0 to 1, e.g.
        ``(0.1, "fitting UMAP on 50,000 regions")``.

    Returns
    -------
    pandas.DataFrame, shape (n_regions, 2)
        Columns ``pca-1, pca-2`` or ``umap-1, umap-2`` (float64), on ``table``'s index.

    Raises
    ------
    EmbeddingError
        Unknown method, fewer than two feature columns, a column missing or not numeric, a
        sample smaller than the method needs, or too few regions (PCA 2, UMAP 4).
    regionscope.extras.MissingExtraError
        UMAP without umap-learn installed (or PCA without scikit-learn); names what to install.
    """
    if method not in METHODS:
        raise EmbeddingError(f"the embedding method must be one of {', '.join(METHODS)}, not {method!r}")
    report = progress or (lambda fraction, message: None)
    columns = embedding_columns(method)
    features = _checked_features(table, features)
    least = _MIN_REGIONS[method]
    if isinstance(sample, bool) or not isinstance(sample, int | np.integer) or sample < least:
        raise EmbeddingError(f"sample must be a whole number of regions, at least {least} for {method}, not {sample!r}")
    n = len(table)
    if n == 0:
        return pd.DataFrame({name: pd.Series([], dtype=np.float64) for name in columns}, index=table.index)
    if n < least:
        raise EmbeddingError(f"{method.upper()} needs at least {least} regions; the table has {n}")
    preprocessing, impute, decomposition = _sklearn()
    report(0.0, f"reading {len(features)} feature columns of {n:,} regions")
    values = feature_matrix(table, features)
    fitted = np.arange(n)
    if n > sample:
        fitted = np.sort(np.random.default_rng(random_state).choice(n, size=int(sample), replace=False))
    # Median and scale from the fitted regions, as the embedding itself.
    imputer = impute.SimpleImputer(strategy="median", keep_empty_features=True).fit(values[fitted])
    scaler = preprocessing.StandardScaler().fit(imputer.transform(values[fitted]))

    def prepared(rows):
        return scaler.transform(imputer.transform(values[rows]))

    result = np.empty((n, 2), dtype=np.float64)
    report(0.05, f"fitting {method.upper()} on {len(fitted):,} regions")
    if method == "pca":
        model = decomposition.PCA(n_components=2, random_state=random_state).fit(prepared(fitted))
        rest = np.arange(n)  # PCA places every region with the fitted axes, cheaply
    else:
        umap = _umap()
        model = umap.UMAP(n_components=2, n_neighbors=min(15, len(fitted) - 1), random_state=random_state, n_jobs=1)
        with warnings.catch_warnings():
            # umap-learn warns about its own settings (random_state disables parallel runs, as wanted here).
            warnings.simplefilter("ignore", UserWarning)
            result[fitted] = model.fit_transform(prepared(fitted))
        rest = np.setdiff1d(np.arange(n), fitted, assume_unique=True)
    start = 0.7 if method == "umap" else 0.3
    for begin in range(0, len(rest), _CHUNK):
        report(start + (1 - start) * begin / len(rest), f"placing regions {begin + 1:,} to {min(begin + _CHUNK, len(rest)):,}")
        rows = rest[begin : begin + _CHUNK]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            result[rows] = model.transform(prepared(rows))
    report(1.0, f"{method.upper()} of {n:,} regions done")
    return pd.DataFrame(result, index=table.index, columns=columns)


def _checked_features(table: pd.DataFrame, features: Sequence[str] | None) -> list[str]:
    if isinstance(features, str):
        features = [features]
    chosen = list(dict.fromkeys(default_features(table) if features is None else [str(f) for f in features]))
    missing = [name for name in chosen if name not in table.columns]
    if missing:
        shown = ", ".join(repr(name) for name in missing[:8]) + (", ..." if len(missing) > 8 else "")
        raise EmbeddingError(f"the table has no column {shown}; choose feature columns of the table")
    text = [name for name in chosen if table[name].dtype.kind not in "iufb"]
    if text:
        raise EmbeddingError(f"the table's column {text[0]!r} is not numeric; choose numeric feature columns")
    if len(chosen) < 2:
        raise EmbeddingError(f"an embedding needs at least two numeric feature columns, not {len(chosen)}")
    return chosen


def _sklearn():
    try:
        import sklearn.decomposition
        import sklearn.impute
        import sklearn.preprocessing
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] != "sklearn":
            raise
        raise MissingExtraError(
            f"embeddings need scikit-learn, which is not installed; install it with: {_CLASSIFY_EXTRA}"
        ) from None
    return sklearn.preprocessing, sklearn.impute, sklearn.decomposition


def _umap():
    try:
        with warnings.catch_warnings():
            # umap-learn says at import that ParametricUMAP needs TensorFlow; regionscope does not use it.
            warnings.simplefilter("ignore", ImportWarning)
            import umap
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in ("umap", "pynndescent", "numba"):
            raise
        raise MissingExtraError(f"UMAP needs umap-learn, which is not installed; install it with: {EMBEDDING_EXTRA}") from None
    return umap
