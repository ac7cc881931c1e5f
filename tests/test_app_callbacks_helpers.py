"""Plain helpers of the callbacks module: uploads, segmentation settings, the small cache."""

from __future__ import annotations

import base64
import hashlib
import threading

import pytest

from regionscope.app.callbacks import (
    SmallCache,
    decode_upload,
    notice,
    segmentation_controls,
    segmentation_options,
)
from regionscope.errors import RegionscopeError

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
        "min_size": 0,
        "fill_holes": False,
    }


def test_segmentation_options_values():
    assert segmentation_options("li", "dark", 30, ["fill"]) == {
        "method": "li",
        "objects": "dark",
        "min_size": 30,
        "fill_holes": True,
    }


@pytest.mark.parametrize("min_size, expected", [("abc", 0), (-5, 0), ("12", 12), (7.9, 7), ([], 0), ({}, 0), ("", 0)])
def test_segmentation_options_bad_min_size(min_size, expected):
    assert segmentation_options("otsu", "bright", min_size, [])["min_size"] == expected


def test_segmentation_controls_defaults():
    assert segmentation_controls({}) == ("otsu", "bright", 0, [])


@pytest.mark.parametrize(
    "controls",
    [("otsu", "bright", 0, []), ("li", "dark", 30, ["fill"]), ("local", "bright", 5, [])],
)
def test_segmentation_controls_round_trip(controls):
    options = segmentation_options(*controls)
    assert segmentation_controls(options) == controls
    assert segmentation_options(*segmentation_controls(options)) == options


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
