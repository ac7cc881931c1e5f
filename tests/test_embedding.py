"""Tests of regionscope.embedding: PCA and UMAP axes of the feature columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regionscope.embedding import EmbeddingError, embed, embedding_columns
from regionscope.extras import MissingExtraError

pytest.importorskip("sklearn")


def two_populations(n=60, seed=0, offset=8.0):
    """``n`` regions in two far-apart groups (first half, second half) over four features, labels 1..n."""
    rng = np.random.default_rng(seed)
    group = np.arange(n) >= n // 2
    values = rng.normal(0, 1, (n, 4)) + offset * group[:, None]
    table = pd.DataFrame(values, columns=["area", "perimeter", "intensity_mean", "solidity"])
    table.insert(0, "label", np.arange(1, n + 1))
    table["centroid-0"] = rng.uniform(0, 1000, n)  # position: not a default feature
    return table, group


def reference_pca(values):
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    return PCA(n_components=2, random_state=0).fit_transform(StandardScaler().fit_transform(values))


def test_pca_is_scikit_learns_pca_of_the_standardized_features():
    table, _ = two_populations()
    axes = embed(table)
    expected = reference_pca(table[["area", "perimeter", "intensity_mean", "solidity"]].to_numpy())
    np.testing.assert_allclose(axes.to_numpy(), expected, rtol=1e-10, atol=1e-10)


def test_columns_and_index_are_the_tables():
    table, _ = two_populations(10)
    table.index = np.arange(100, 110)
    axes = embed(table)
    assert list(axes.columns) == ["pca-1", "pca-2"] == embedding_columns("pca")
    assert axes.shape == (10, 2)
    assert axes.index.equals(table.index)
    assert (axes.dtypes == np.float64).all()
    assert embedding_columns("umap") == ["umap-1", "umap-2"]


def test_chosen_features_only():
    table, _ = two_populations(20)
    axes = embed(table, ["area", "perimeter"])
    np.testing.assert_allclose(axes.to_numpy(), reference_pca(table[["area", "perimeter"]].to_numpy()), atol=1e-10)


def test_missing_values_take_the_median():
    table, _ = two_populations(20)
    table.loc[3, "area"] = np.nan
    table.loc[4, "perimeter"] = np.inf
    filled = table.copy()
    filled.loc[3, "area"] = table["area"].median()
    filled.loc[4, "perimeter"] = table["perimeter"].replace(np.inf, np.nan).median()
    np.testing.assert_allclose(embed(table).to_numpy(), embed(filled).to_numpy(), atol=1e-12)


def test_a_constant_column_does_no_harm():
    table, _ = two_populations(20)
    table["euler_number"] = 1
    assert np.isfinite(embed(table).to_numpy()).all()


def test_above_the_sample_the_fit_is_on_a_sample():
    table, _ = two_populations(200)
    seen = []
    axes = embed(table, sample=50, random_state=1, progress=lambda fraction, message: seen.append((fraction, message)))
    # The reference: imputer, scaler and PCA fitted on the same 50 regions, every region placed with them.
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    values = table[["area", "perimeter", "intensity_mean", "solidity"]].to_numpy()
    rows = np.sort(np.random.default_rng(1).choice(200, size=50, replace=False))
    scaler = StandardScaler().fit(values[rows])
    expected = PCA(n_components=2, random_state=1).fit(scaler.transform(values[rows])).transform(scaler.transform(values))
    np.testing.assert_allclose(axes.to_numpy(), expected, atol=1e-10)
    assert not np.allclose(axes.to_numpy(), embed(table).to_numpy())  # not the fit on all 200
    assert "fitting PCA on 50 regions" in [message for _, message in seen]
    assert seen[0][0] == 0.0 and seen[-1] == (1.0, "PCA of 200 regions done")
    assert [fraction for fraction, _ in seen] == sorted(fraction for fraction, _ in seen)


def test_the_same_seed_gives_the_same_axes():
    table, _ = two_populations(200)
    pd.testing.assert_frame_equal(embed(table, sample=50, random_state=4), embed(table, sample=50, random_state=4))


def test_no_rows_give_no_rows():
    table, _ = two_populations(10)
    axes = embed(table.iloc[:0], method="umap")  # nothing to fit: umap-learn is not even needed
    assert list(axes.columns) == ["umap-1", "umap-2"] and len(axes) == 0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda t: embed(t, method="tsne"), r"^the embedding method must be one of pca, umap, not 'tsne'$"),
        (lambda t: embed(t, ["area"]), r"^an embedding needs at least two numeric feature columns, not 1$"),
        (lambda t: embed(t, ["area", "nope"]), r"^the table has no column 'nope'; choose feature columns of the table$"),
        (lambda t: embed(t.assign(name="x"), ["area", "name"]), r"^the table's column 'name' is not numeric"),
        (lambda t: embed(t, sample=1), r"^sample must be a whole number of regions, at least 2 for pca, not 1$"),
        (lambda t: embed(t.iloc[:1]), r"^PCA needs at least 2 regions; the table has 1$"),
        (lambda t: embed(t.iloc[:3], method="umap"), r"^UMAP needs at least 4 regions; the table has 3$"),
    ],
)
def test_errors_say_what_to_do(call, message):
    table, _ = two_populations(10)
    with pytest.raises(EmbeddingError, match=message):
        call(table)


def test_umap_without_umap_learn_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "umap", None)  # as if not installed: import raises ModuleNotFoundError
    table, _ = two_populations(10)
    with pytest.raises(MissingExtraError, match=r'pip install "regionscope\[embedding\]"'):
        embed(table, method="umap")


def test_umap_separates_two_populations_and_places_the_rest():
    # The one UMAP test: umap-learn compiles its numba functions on first use (about 20 s here).
    pytest.importorskip("umap")
    table, group = two_populations(120)
    axes = embed(table, method="umap", sample=80, random_state=0)
    assert list(axes.columns) == ["umap-1", "umap-2"] and axes.shape == (120, 2)
    points = axes.to_numpy()
    assert np.isfinite(points).all()
    # Every region, fitted or placed, is nearer its own group's centre than the other's.
    centres = np.array([points[~group].mean(axis=0), points[group].mean(axis=0)])
    nearest = np.linalg.norm(points[:, None, :] - centres[None], axis=2).argmin(axis=1)
    assert (nearest == group).all()
    spread = max(points[~group].std(axis=0).max(), points[group].std(axis=0).max())
    assert np.linalg.norm(centres[0] - centres[1]) > 3 * spread
    pd.testing.assert_frame_equal(embed(table, method="umap", sample=80, random_state=0), axes)
