"""Tests of regionscope.export: row selection, class column, table/label/session files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import tifffile

from regionscope.errors import FilterError, InputFileError, RegionscopeError
from regionscope.export import (
    SESSION_VERSION,
    export_labels,
    export_table,
    read_session,
    select_rows,
    session_dict,
    with_class_column,
    write_session,
)
from regionscope.io import read_labels
from regionscope.query import parse_filter


@pytest.fixture
def table():
    """Five regions with non-sequential, unsorted labels and an index that is not 0..n-1."""
    return pd.DataFrame(
        {
            "label": [7, 3, 12, 5, 40],
            "area": [50, 150, 300, 20, 1000],
            "touches_border": [False, True, False, False, True],
        },
        index=[100, 101, 102, 103, 104],
    )


CLASSES = {7: "good", "12": "debris", 40: "good"}  # keys as ints or as JSON text


def labels_of(frame):
    return frame["label"].tolist()


# --------------------------------------------------------------------------
# select_rows
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({}, [7, 3, 12, 5, 40]),
        ({"labels": [40, 3, 7]}, [7, 3, 40]),  # table order, not the order given
        ({"labels": np.array([12, 999])}, [12]),  # unknown labels ignored
        ({"labels": []}, []),
        ({"expression": "area > 100"}, [3, 12, 40]),
        ({"expression": parse_filter("{touches_border}")}, [3, 40]),
        ({"excluded": {3, 40}}, [7, 12, 5]),
        ({"expression": "area > 100", "excluded": [40]}, [3, 12]),
        ({"labels": [5, 12, 40], "expression": "area >= 20", "excluded": [12]}, [5, 40]),
        ({"classes": CLASSES, "class_name": "good"}, [7, 40]),
        ({"classes": CLASSES, "class_name": "debris"}, [12]),
        ({"classes": CLASSES, "class_name": "none of these"}, []),
        ({"class_name": "good"}, []),  # no classes: no row has one
        ({"classes": CLASSES, "class_name": "good", "excluded": [40]}, [7]),
        ({"classes": CLASSES, "class_name": "good", "expression": "area < 500"}, [7]),
        ({"classes": CLASSES, "expression": "class is nil"}, [3, 5]),
        ({"classes": CLASSES, "expression": 'class == "good" or area < 30'}, [7, 5, 40]),
    ],
)
def test_select_rows(table, kwargs, expected):
    result = select_rows(table, **kwargs)
    assert labels_of(result) == expected
    assert list(result.columns) == list(table.columns)  # no class column added
    # original index kept: rows are identified by label, not position
    assert result.index.tolist() == table.index[table["label"].isin(expected)].tolist()


def test_select_rows_does_not_depend_on_row_position(table):
    shuffled = table.iloc[[4, 2, 0, 3, 1]].reset_index(drop=True)
    result = select_rows(shuffled, labels=[3, 12], excluded=[12], classes={3: "A"}, class_name="A")
    assert labels_of(result) == [3]
    assert result.index.tolist() == [4]


def test_select_rows_errors(table):
    with pytest.raises(FilterError):
        select_rows(table, expression="volume > 3")
    with pytest.raises(FilterError):
        select_rows(table, expression="class == 'good'")  # no classes given: no class column
    with pytest.raises(RegionscopeError, match="'label'"):
        select_rows(table.drop(columns="label"), labels=[3])
    with pytest.raises(TypeError, match="integer labels"):
        select_rows(table, excluded=[3.5])


# --------------------------------------------------------------------------
# with_class_column
# --------------------------------------------------------------------------


def test_class_column_after_label_with_missing_values(table):
    table = table[["area", "label", "touches_border"]]  # label not first
    result = with_class_column(table, CLASSES)
    assert list(result.columns) == ["area", "label", "class", "touches_border"]
    assert result["class"].dtype == pd.StringDtype()
    assert result["class"].tolist() == ["good", pd.NA, "debris", pd.NA, "good"]
    assert result.index.tolist() == table.index.tolist()
    assert "class" not in table.columns  # the input is not modified


def test_class_column_replaces_an_existing_one(table):
    table = table.assign(**{"class": ["old"] * 5})
    result = with_class_column(table, {5: "new", 99: "absent"})
    assert list(result.columns) == ["label", "class", "area", "touches_border"]
    assert result["class"].tolist() == [pd.NA, pd.NA, pd.NA, "new", pd.NA]
    assert with_class_column(table, {})["class"].isna().all()


def test_class_keys_follow_the_one_label_rule(table):
    """Decimal ASCII text or integers, as the store and the session files take them; uint64 exactly."""
    big = pd.DataFrame({"label": np.array([3, 2**63, 2**64 - 1], dtype=np.uint64)})
    result = with_class_column(big, {" 3 ": "a", str(2**64 - 1): "b", np.uint64(2**63): "c"})
    assert result["class"].tolist() == ["a", "c", "b"]
    assert labels_of(select_rows(big, classes={str(2**64 - 1): "b"}, class_name="b")) == [2**64 - 1]
    for key in ("\u0663", "+3", "3.0", "0x3", True):  # ARABIC-INDIC DIGIT THREE is not a label
        with pytest.raises(TypeError, match="integer labels"):
            with_class_column(table, {key: "a"})


# --------------------------------------------------------------------------
# export_table
# --------------------------------------------------------------------------


READERS = {
    ".csv": lambda path: pd.read_csv(path),
    ".tsv": lambda path: pd.read_csv(path, sep="\t"),
    ".parquet": lambda path: pd.read_parquet(path),
}


@pytest.mark.parametrize("suffix", list(READERS))
def test_export_table_round_trip(tmp_path, table, suffix):
    rows = select_rows(table, excluded=[5])
    path = tmp_path / f"regions{suffix}"
    export_table(rows, path, classes=CLASSES)
    back = READERS[suffix](path)
    assert list(back.columns) == ["label", "class", "area", "touches_border"]
    assert back["label"].tolist() == [7, 3, 12, 40]
    assert back["area"].tolist() == [50, 150, 300, 1000]
    assert back["touches_border"].tolist() == [False, True, False, True]
    classes = back["class"].tolist()
    assert classes[0] == "good" and classes[2] == "debris" and classes[3] == "good"
    assert pd.isna(classes[1])  # no class: empty cell / null


def test_export_table_without_classes_upper_case_extension(tmp_path, table):
    path = tmp_path / "REGIONS.CSV"
    export_table(table, path)
    pd.testing.assert_frame_equal(pd.read_csv(path), table.reset_index(drop=True))


def test_export_table_errors_name_the_path(tmp_path, table):
    with pytest.raises(RegionscopeError, match="regions.xlsx"):
        export_table(table, tmp_path / "regions.xlsx")
    missing_dir = tmp_path / "no_such_dir" / "regions.csv"
    with pytest.raises(RegionscopeError, match="no_such_dir"):
        export_table(table, missing_dir)


# --------------------------------------------------------------------------
# export_labels
# --------------------------------------------------------------------------


def test_export_labels_2d_round_trip(tmp_path):
    labels = np.zeros((6, 7), dtype=np.int32)
    labels[0:2, 0:2] = 3
    labels[3:5, 1:4] = 300
    labels[5, 6] = 17
    labels[2, 5] = 42
    path = tmp_path / "kept.tif"
    export_labels(labels, path, keep=[300, 17, 999, 0, -4])
    back = read_labels(path)
    expected = np.where(np.isin(labels, [300, 17]), labels, 0)
    assert back.dtype == np.uint16  # 300 needs 16 bits
    np.testing.assert_array_equal(back, expected)
    assert set(np.unique(back)) == {0, 17, 300}
    with tifffile.TiffFile(path) as tif:
        assert tif.pages.first.compression == tifffile.COMPRESSION.ADOBE_DEFLATE


def test_export_labels_3d_round_trip_smallest_dtype(tmp_path):
    labels = np.zeros((3, 5, 4), dtype=np.uint32)
    labels[0, 0, 0] = 70_000
    labels[1, 1:3, 1:3] = 9
    labels[2, 4, 3] = 250
    labels[2, 0, 0] = 9
    path = tmp_path / "kept.tiff"
    export_labels(labels, path, keep=pd.Series([9, 250]))
    back = read_labels(path)
    assert back.shape == (3, 5, 4)
    assert back.dtype == np.uint8  # 70 000 is not kept: 250 fits 8 bits
    np.testing.assert_array_equal(back, np.where(np.isin(labels, [9, 250]), labels, 0))

    export_labels(labels, path, keep=range(1, 100_000))  # everything, replacing the file
    back = read_labels(path)
    assert back.dtype == np.uint32
    np.testing.assert_array_equal(back, labels)


def test_export_labels_empty_keep_is_all_zero(tmp_path):
    labels = np.arange(12, dtype=np.uint16).reshape(3, 4)
    path = tmp_path / "none.tif"
    export_labels(labels, path, keep=[])
    back = read_labels(path)
    assert back.dtype == np.uint8 and back.shape == (3, 4)
    assert not back.any()


def test_export_labels_errors(tmp_path):
    labels = np.ones((4, 4), dtype=np.uint8)
    with pytest.raises(RegionscopeError, match="kept.png"):
        export_labels(labels, tmp_path / "kept.png", keep=[1])
    with pytest.raises(RegionscopeError, match="no_such_dir"):
        export_labels(labels, tmp_path / "no_such_dir" / "kept.tif", keep=[1])
    with pytest.raises(ValueError, match="integer"):
        export_labels(labels.astype(float), tmp_path / "kept.tif", keep=[1])
    with pytest.raises(TypeError, match="integer labels"):
        export_labels(labels, tmp_path / "kept.tif", keep=["one"])


# --------------------------------------------------------------------------
# Sessions
# --------------------------------------------------------------------------


def full_session():
    return session_dict(
        dataset_id="d41d8cd9",
        dataset_name="cells.tif",
        filters={
            "query": "area > 100",
            "filter_model": {"area": {"filterType": "number", "type": "greaterThan", "filter": 100}},
            "gates": [
                {"x": "area", "y": "perimeter", "x_range": [500, 10], "y_range": [0.5, 2]},
                {"x": "area", "y": "eccentricity", "lasso": [[0, 0], [1, 0], [1, 1]]},
            ],
        },
        excluded=[40, 3, 40],
        classes=[{"name": "good", "color": "#2ca02c"}, {"name": "debris", "color": "#d62728"}],
        assignments={12: "debris", "7": "good", np.int64(40): "good"},
        view={"color_by": "area", "colormap": "Viridis", "overlay_mode": "outline", "opacity": 0.8, "hover_columns": ["area"]},
    )


def test_session_dict_is_normalized_and_json_ready():
    session = full_session()
    assert session["regionscope_session"] == SESSION_VERSION == 1
    assert session["excluded"] == [3, 40]
    assert session["assignments"] == {"7": "good", "12": "debris", "40": "good"}
    assert session["filters"]["gates"][0]["x_range"] == [10.0, 500.0]
    assert "lasso" not in session["filters"]["gates"][0]
    assert json.loads(json.dumps(session)) == session
    # the assignments work as classes as they are
    table = pd.DataFrame({"label": [7, 12, 3]})
    assert with_class_column(table, session["assignments"])["class"].tolist() == ["good", "debris", pd.NA]


def test_session_round_trip_and_defaults(tmp_path):
    path = tmp_path / "session.json"
    write_session(path, full_session())
    assert read_session(path) == full_session()

    minimal = {"regionscope_session": 1, "dataset_id": "abc", "future_key": {"anything": [1, 2]}}
    path.write_text(json.dumps(minimal), encoding="utf-8")
    assert read_session(path) == {
        "regionscope_session": 1,
        "dataset_id": "abc",
        "dataset_name": "",
        "filters": {"query": "", "filter_model": {}, "gates": []},
        "excluded": [],
        "classes": [],
        "assignments": {},
        "view": {"color_by": None, "colormap": None, "overlay_mode": None, "opacity": None, "hover_columns": []},
    }


def _with(**changes):
    session = json.loads(json.dumps(full_session()))
    for dotted, value in changes.items():
        target, *path = dotted.split("__")
        node = session
        keys = [target, *path]
        for key in keys[:-1]:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[keys[-1]] = value
    return json.dumps(session)


@pytest.mark.parametrize(
    "text, named",
    [
        ("{not json", "not valid JSON"),
        ("", "empty"),
        ("[1, 2]", "not a regionscope session"),
        ('{"dataset_id": "abc"}', "'regionscope_session'"),
        (_with(regionscope_session=2), "newer regionscope"),
        (_with(regionscope_session="1"), "'regionscope_session'"),
        (_with(dataset_id=5), "'dataset_id'"),
        (_with(excluded=[1, "2"]), "'excluded' must be a list of integer labels"),
        (_with(excluded=[1.5]), "'excluded' must be a list of integer labels"),
        (_with(excluded={"1": True}), "'excluded' must be a list of integer labels"),
        (_with(classes={"name": "a"}), "'classes'"),
        (_with(classes__0__name=""), "'classes[0].name'"),
        (_with(classes__1__name="good"), "named 'good'"),
        (_with(classes__0__color=None), "'classes[0].color'"),
        (_with(assignments=[[7, "good"]]), "'assignments'"),
        (_with(assignments={"seven": "good"}), "'assignments' keys"),
        (_with(assignments={"7": "unknown"}), "not in 'classes'"),
        (_with(filters=[]), "'filters'"),
        (_with(filters__query=3), "'filters.query'"),
        (_with(filters__filter_model="area > 3"), "'filters.filter_model'"),
        (_with(filters__gates__0__x_range=[1]), "'filters.gates[0].x_range'"),
        (_with(filters__gates__1__lasso=[[0, 0], [1, 1]]), "'filters.gates[1].lasso'"),
        (_with(filters__gates__1__lasso=[[0, 0], [1, "a"], [2, 2]]), "'filters.gates[1].lasso'"),
        (_with(filters__gates__1__x=None), "'filters.gates[1].x'"),
        (_with(filters__gates=[{"x": "a", "y": "b"}]), "'filters.gates[0]' needs"),
        (_with(view__opacity=1.5), "'view.opacity'"),
        (_with(view__hover_columns="area"), "'view.hover_columns'"),
        (_with(view__colormap=["Viridis"]), "'view.colormap'"),
    ],
)
def test_malformed_sessions_name_the_file_and_field(tmp_path, text, named):
    path = tmp_path / "session.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError) as info:
        read_session(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert named in message


def test_session_file_problems(tmp_path):
    with pytest.raises(InputFileError, match="file not found"):
        read_session(tmp_path / "missing.json")
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(InputFileError, match="binary.json"):
        read_session(binary)
    with pytest.raises(RegionscopeError, match="session: 'excluded'"):
        session_dict(dataset_id="abc", excluded=[0])
    with pytest.raises(RegionscopeError, match="out.json.*'view.opacity'"):
        write_session(tmp_path / "out.json", {**full_session(), "view": {"opacity": -1}})
    assert not (tmp_path / "out.json").exists()
