"""Plain helpers of the callbacks: uploads and segmentation settings (data in), the small cache, notices."""

from __future__ import annotations

import base64
import hashlib
import threading

import numpy as np
import pytest

from regionscope.app.data_callbacks import decode_upload, segmentation_controls, segmentation_options, segmented_here
from regionscope.app.display import HIDDEN, SHOWN
from regionscope.app.notices import notice
from regionscope.app.view_cache import SmallCache
from regionscope.dataset import prepare_dataset
from regionscope.errors import RegionscopeError
from regionscope.io import ImageData
from regionscope.segmentation import DEFAULT_MIN_SIZE, DEFAULTS

PAYLOAD = b"\x89PNG\r\n\x1a\nnot really a png"


def _contents(payload, mime="image/png"):
    return f"data:{mime};base64,{base64.b64encode(payload).decode('ascii')}"


def _digest(payload):
    return hashlib.blake2b(payload, digest_size=8).hexdigest()


# --- decode_upload ------------------------------------------------------------


def test_decode_upload_writes_bytes(tmp_path):
    path = decode_upload(_contents(PAYLOAD), "cells.png", tmp_path)
    assert path.read_bytes() == PAYLOAD
    assert path.parent == tmp_path
    assert path.name == f"{_digest(PAYLOAD)}-cells.png"


def test_decode_upload_keeps_extension(tmp_path):
    assert decode_upload(_contents(PAYLOAD), "stack.ome.tif", tmp_path).name.endswith("-stack.ome.tif")


def test_decode_upload_creates_folder(tmp_path):
    folder = tmp_path / "uploads" / "nested"
    path = decode_upload(_contents(PAYLOAD), "a.png", folder)
    assert path.read_bytes() == PAYLOAD


def test_decode_upload_same_file_saved_once(tmp_path):
    first = decode_upload(_contents(PAYLOAD), "a.png", tmp_path)
    second = decode_upload(_contents(PAYLOAD), "a.png", tmp_path)
    assert first == second
    assert list(tmp_path.iterdir()) == [first]


def test_decode_upload_different_content_different_file(tmp_path):
    first = decode_upload(_contents(PAYLOAD), "a.png", tmp_path)
    second = decode_upload(_contents(PAYLOAD + b"!"), "a.png", tmp_path)
    assert first != second
    assert first.read_bytes() == PAYLOAD
    assert second.read_bytes() == PAYLOAD + b"!"


@pytest.mark.parametrize(
    "filename, expected",
    [
        ("../../evil.png", "evil.png"),
        ("/etc/passwd", "passwd"),
        ("..\\..\\evil.png", ".._.._evil.png"),
        ("my cells (1).png", "my_cells__1_.png"),
        ("C:\\Users\\me\\img.tif", "C__Users_me_img.tif"),
    ],
)
def test_decode_upload_sanitises_name(tmp_path, filename, expected):
    folder = tmp_path / "uploads"
    path = decode_upload(_contents(PAYLOAD), filename, folder)
    assert path.name == f"{_digest(PAYLOAD)}-{expected}"
    assert path.resolve().parent == folder.resolve()
    assert [p.name for p in tmp_path.iterdir()] == ["uploads"]


def test_decode_upload_long_name_is_shortened(tmp_path):
    path = decode_upload(_contents(PAYLOAD), "x" * 300 + ".png", tmp_path)
    assert path.name.endswith(".png")
    assert len(path.name) == 16 + 1 + 120


@pytest.mark.parametrize("contents", [None, "", "no comma here"])
def test_decode_upload_empty_contents(tmp_path, contents):
    with pytest.raises(RegionscopeError, match="cells.png"):
        decode_upload(contents, "cells.png", tmp_path)
    assert list(tmp_path.iterdir()) == []


# --- segmentation settings ----------------------------------------------------


def test_segmentation_options_defaults():
    assert segmentation_options(None, None, None, None) == {
        "method": "otsu",
        "objects": "bright",
        "min_size": DEFAULT_MIN_SIZE,
        "fill_holes": False,
        "split_touching": False,
        "channel": None,
    }


def test_segmentation_options_values():
    assert segmentation_options("li", "dark", 30, ["fill"], ["split"], 2) == {
        "method": "li",
        "objects": "dark",
        "min_size": 30,
        "fill_holes": True,
        "split_touching": True,
        "channel": 2,
    }


@pytest.mark.parametrize(
    "min_size, expected",
    [
        ("abc", DEFAULT_MIN_SIZE),
        (None, DEFAULT_MIN_SIZE),
        (-5, 0),
        ("12", 12),
        (7.9, 7),
        ([], DEFAULT_MIN_SIZE),
        ({}, DEFAULT_MIN_SIZE),
        ("", DEFAULT_MIN_SIZE),
        (0, 0),
    ],
)
def test_segmentation_options_bad_min_size(min_size, expected):
    assert segmentation_options("otsu", "bright", min_size, [])["min_size"] == expected


def _rgb():
    rgb = np.zeros((20, 24, 3), np.uint8)
    rgb[2:12, 2:12, 2] = 250  # a blue square of 100 px
    rgb[8:18, 10:22, 0] = 200  # a red rectangle
    return ImageData(rgb, channel_names=("red", "green", "blue"))


def test_segmentation_controls_of_given_labels_are_the_defaults():
    dataset = prepare_dataset(ImageData(np.eye(8, dtype=np.uint8)), np.eye(8, dtype=np.int32))
    assert segmentation_controls(dataset) == ("otsu", "bright", DEFAULT_MIN_SIZE, [], [], [], "auto", HIDDEN)


def test_segment_channel_choices_of_an_rgb_image():
    dataset = prepare_dataset(_rgb(), segmentation={"channel": "blue", "min_size": 0})
    *_, options, value, style = segmentation_controls(dataset)
    assert options == [
        {"label": "luminance", "value": "auto"},
        {"label": "red", "value": 0},
        {"label": "green", "value": 1},
        {"label": "blue", "value": 2},
    ]
    assert value == 2 and style == SHOWN
    assert segmented_here(dataset) == "segmented here on blue"
    assert segmented_here(prepare_dataset(_rgb())) == "segmented here on luminance"


def test_segment_channel_choices_of_a_two_channel_image_start_with_the_first_channel():
    image = ImageData(np.zeros((10, 10, 2), np.uint16), channel_names=("DAPI", "GFP"))
    first, explicit = prepare_dataset(image, segmentation={"channel": "DAPI"}), prepare_dataset(image)
    assert first.id == explicit.id  # channel 0 is the default channel
    *_, options, value, _ = segmentation_controls(first)
    assert options == [{"label": "DAPI", "value": "auto"}, {"label": "GFP", "value": 1}]
    assert value == "auto"
    assert segmented_here(first) == "segmented here on DAPI"
    assert segmented_here(prepare_dataset(ImageData(np.zeros((5, 5), np.uint8)))) == "segmented here"


@pytest.mark.parametrize(
    "controls",
    [
        ("otsu", "bright", DEFAULT_MIN_SIZE, [], [], "auto"),
        ("li", "dark", 30, ["fill"], ["split"], 2),
        ("local", "bright", 5, [], ["split"], 0),
    ],
)
def test_segmentation_controls_round_trip(controls):
    dataset = prepare_dataset(_rgb(), segmentation=segmentation_options(*controls))
    method, objects, min_size, fill, split, _, channel, _ = segmentation_controls(dataset)
    assert (method, objects, min_size, fill, split, channel) == controls
    assert dataset.segmentation == {**DEFAULTS, **segmentation_options(*controls)}


# --- SmallCache ---------------------------------------------------------------


class Counter:
    def __init__(self):
        self.calls = []

    def __call__(self, key):
        def compute():
            self.calls.append(key)
            return f"value of {key}"

        return compute


def test_small_cache_computes_once_per_key():
    cache, counter = SmallCache(size=4), Counter()
    assert cache.get("a", counter("a")) == "value of a"
    assert cache.get("a", counter("a")) == "value of a"
    assert cache.get("b", counter("b")) == "value of b"
    assert counter.calls == ["a", "b"]


def test_small_cache_evicts_least_recently_used():
    cache, counter = SmallCache(size=2), Counter()
    cache.get("a", counter("a"))
    cache.get("b", counter("b"))
    cache.get("a", counter("a"))  # a is now more recent than b
    cache.get("c", counter("c"))  # evicts b
    cache.get("a", counter("a"))
    cache.get("c", counter("c"))
    assert counter.calls == ["a", "b", "c"]
    cache.get("b", counter("b"))
    assert counter.calls == ["a", "b", "c", "b"]


def test_small_cache_tuple_keys():
    cache, counter = SmallCache(), Counter()
    cache.get(("id", 0, "composite"), counter(1))
    cache.get(("id", 0, "composite"), counter(1))
    cache.get(("id", 1, "composite"), counter(2))
    assert counter.calls == [1, 2]


def test_small_cache_failed_compute_is_not_cached():
    cache = SmallCache()

    def fail():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        cache.get("k", fail)
    assert cache.get("k", lambda: 5) == 5


def test_small_cache_threads():
    cache = SmallCache(size=3)
    errors = []

    def work(seed):
        try:
            for step in range(50):
                key = (seed + step) % 5
                assert cache.get(key, lambda key=key: key * 10) == key * 10
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


# --- notice -------------------------------------------------------------------


def test_notice_error_and_info():
    error = notice("bad")
    assert error.children == "bad"
    assert error.className == "rs-error"
    assert notice("fine", error=False).className == "rs-info"


def test_decode_upload_empty_payload_is_an_error_naming_the_file(tmp_path):
    with pytest.raises(RegionscopeError, match="cells.png: the file is empty"):
        decode_upload("data:image/png;base64,", "cells.png", tmp_path)


def test_decode_upload_damaged_base64_is_an_error_naming_the_file(tmp_path):
    with pytest.raises(RegionscopeError, match="cells.png: the upload arrived damaged"):
        decode_upload("data:image/png;base64,@@not base64@@", "cells.png", tmp_path)
