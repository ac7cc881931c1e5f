"""The rules for what users decide about regions: class names, colours, labels, snapshots.

One rule, one place. The store checks every write with these functions;
:func:`normalize_snapshot` checks the classes, assignments and exclusions of a
snapshot, and both :meth:`AnnotationStore.restore_snapshot
<regionscope.annotations.AnnotationStore.restore_snapshot>` and the session
files of :mod:`regionscope.export` use it, so that a session that reads is a
session that restores. :func:`label_value` -- what counts as a label given by a
caller -- is also the rule :mod:`regionscope.export` applies to labels.

Standard library only.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from regionscope.annotations.errors import AnnotationError

if TYPE_CHECKING:
    from regionscope.dataset import Dataset

__all__ = [
    "LABEL_RANGE",
    "MAX_CLASS_NAME",
    "MAX_LABEL",
    "check_color",
    "check_known_labels",
    "check_label",
    "check_labels",
    "check_name",
    "dataset_key",
    "label_value",
    "lookup_name",
    "normalize_snapshot",
]

#: Longest class name, in characters (after stripping surrounding blanks).
MAX_CLASS_NAME = 40

#: Largest label the store accepts: label images may be uint64.
MAX_LABEL = 2**64 - 1

#: The labels a region can have, as messages say it.
LABEL_RANGE = "1 to 2**64 - 1"

_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


# --- labels --------------------------------------------------------------------


def label_value(value: object, *, text: bool = False) -> int | None:
    """The integer a label given by a caller stands for, or None if it is not one.

    Parameters
    ----------
    value : object
        A Python or NumPy integer (anything with ``__index__``, e.g. a 0-d
        integer array), not a boolean. With ``text=True`` also decimal ASCII
        text with surrounding blanks, e.g. ``" 12 "``: JSON object keys -- the
        browser's and the session files' assignments -- hold labels as text.
    text : bool
        Whether decimal text is accepted.

    Returns
    -------
    int or None
        The value as a Python int (any size, any sign: the range is the
        caller's rule), or None.
    """
    if text and isinstance(value, str):
        stripped = value.strip()
        # ASCII digits only: str.isdecimal() and int() also take other scripts'
        # digits ("٣" is 3), and no label file or browser writes those.
        if not (stripped.isascii() and stripped.isdigit()):
            return None
        return int(stripped)
    if isinstance(value, bool):
        return None
    try:
        # operator.index refuses floats (2.5 is not rounded to 2) and NumPy booleans.
        return operator.index(value)
    except TypeError:
        return None


def _is_region_label(label: int) -> bool:
    return 1 <= label <= MAX_LABEL


def check_label(value: object, where: str = "") -> int:
    """A valid region label; ``where`` prefixes the message (e.g. a snapshot field).

    Raises
    ------
    AnnotationError
        If ``value`` is not an integer from 1 to 2**64 - 1.
    """
    label = label_value(value)
    if label is None:
        raise AnnotationError(f"{where}label {value!r} is not a region label (an integer)")
    if not _is_region_label(label):
        raise AnnotationError(
            f"{where}label {label} is not a region label; labels are integers from {LABEL_RANGE} (0 is background)"
        )
    return label


def check_labels(labels: int | Iterable[int], where: str = "") -> list[int]:
    """Distinct valid labels, in first-seen order; one label is accepted too."""
    if isinstance(labels, (str, bytes)) or not isinstance(labels, Iterable):
        try:
            return [check_label(labels, where)]
        except AnnotationError:
            raise AnnotationError(f"{where}labels must be an iterable of region labels (integers), got {labels!r}") from None
    try:
        return list(dict.fromkeys(check_label(value, where) for value in labels))
    except TypeError:  # e.g. a 0-d numpy array claims to be iterable
        return [check_label(labels, where)]


def check_known_labels(labels: list[int], known_labels: Collection[int] | None) -> None:
    """Refuse labels that are not among ``known_labels`` (None: no check)."""
    if known_labels is None:
        return
    values = known_labels.tolist() if hasattr(known_labels, "tolist") else list(known_labels)
    known = set(values)
    unknown = sorted(label for label in labels if label not in known)
    if not unknown:
        return
    if not known:
        regions = "this dataset has no regions"
    else:
        regions = f"{len(known)} region{'s' if len(known) != 1 else ''}, labels {min(known)} to {max(known)}"
    if len(unknown) == 1:
        what = f"label {unknown[0]} is not a region of this dataset"
    elif len(unknown) <= 5:
        what = f"labels {', '.join(map(str, unknown))} are not regions of this dataset"
    else:
        what = f"{len(unknown)} labels ({unknown[0]}, {unknown[1]}, ..., {unknown[-1]}) are not regions of this dataset"
    if known:
        what += f" ({regions})"
    else:
        what += f": {regions}"
    raise AnnotationError(f"{what}; nothing was changed. Select regions in the table or the image.")


# --- names, colours, datasets --------------------------------------------------


def dataset_key(dataset: str | Dataset) -> str:
    """The dataset id: a non-empty string, or the ``id`` of a Dataset."""
    key = dataset if isinstance(dataset, str) else getattr(dataset, "id", None)
    if not isinstance(key, str) or not key.strip():
        raise AnnotationError(f"dataset must be a dataset id (a non-empty string) or a Dataset, got {dataset!r}")
    return key


def check_name(name: object, what: str = "class name") -> str:
    """A valid class name, stripped of surrounding blanks."""
    if not isinstance(name, str):
        raise AnnotationError(f"{what} must be text, got {type(name).__name__} {name!r}")
    stripped = name.strip()
    if not stripped:
        raise AnnotationError(f"{what} is empty; give the class a name")
    if len(stripped) > MAX_CLASS_NAME:
        raise AnnotationError(
            f"{what} {stripped[:MAX_CLASS_NAME]!r}... is {len(stripped)} characters long; use at most {MAX_CLASS_NAME}"
        )
    for char in stripped:
        if unicodedata.category(char) == "Cc":
            raise AnnotationError(
                f"{what} {stripped!r} contains the control character U+{ord(char):04X}; use printable characters only"
            )
    return stripped


def lookup_name(name: object, what: str = "class name") -> str:
    """A name used to look up an existing class (stripped, not length-checked)."""
    if not isinstance(name, str):
        raise AnnotationError(f"{what} must be text, got {type(name).__name__} {name!r}")
    return name.strip()


def check_color(color: object, what: str = "colour") -> str:
    """A valid ``#rrggbb`` colour, lower-cased."""
    if not isinstance(color, str) or not _COLOR.fullmatch(color.strip()):
        raise AnnotationError(f"{what} {color!r} is not a colour of the form '#rrggbb' (e.g. '#1f77b4')")
    return color.strip().lower()


# --- snapshots -----------------------------------------------------------------


def normalize_snapshot(snapshot: Mapping[str, Any]) -> dict:
    """Validate the annotations of a session and return them in normal form.

    The one validator of classes, assignments and exclusions: used by
    :meth:`AnnotationStore.restore_snapshot
    <regionscope.annotations.AnnotationStore.restore_snapshot>` and by the
    session files of :mod:`regionscope.export`, so that every session
    ``read_session`` accepts can be restored.

    Parameters
    ----------
    snapshot : mapping
        ``{"classes": [{"name", "color"}, ...], "assignments": {label: class
        name}, "excluded": [label, ...]}``; labels are integers from 1 to
        2**64 - 1 (assignment keys may be decimal text, as in JSON). Other
        keys are ignored.

    Returns
    -------
    dict
        The same three fields, JSON-ready: class names stripped, colours
        lower-case ``#rrggbb``, assignment keys decimal text sorted by label,
        ``excluded`` sorted without repeats. What :meth:`AnnotationStore.snapshot`
        returns is already in this form.

    Raises
    ------
    AnnotationError
        Naming the field, e.g. ``'classes[0].color': colour 'red' is not a
        colour of the form '#rrggbb'``.
    """
    if not isinstance(snapshot, Mapping):
        raise AnnotationError(
            f"the annotation snapshot must be a mapping with 'classes', 'assignments' "
            f"and 'excluded', got {type(snapshot).__name__}"
        )
    for field in ("classes", "assignments", "excluded"):
        if field not in snapshot:
            raise AnnotationError(f"the annotation snapshot has no field {field!r}")

    raw_classes = snapshot["classes"]
    if isinstance(raw_classes, (str, bytes, Mapping)) or not isinstance(raw_classes, Iterable):
        raise AnnotationError(f"'classes' must be a list of classes ({{name, color}}), not {raw_classes!r}")
    classes: list[dict] = []
    seen: set[str] = set()
    for i, entry in enumerate(raw_classes):
        if not isinstance(entry, Mapping):
            raise AnnotationError(f"'classes[{i}]' must be an object with 'name' and 'color', not {entry!r}")
        name = check_name(entry.get("name"), f"'classes[{i}].name': class name")
        color = check_color(entry.get("color"), f"'classes[{i}].color': colour")
        if name in seen:
            raise AnnotationError(f"'classes[{i}].name': a class named {name!r} is defined twice; class names must be unique")
        seen.add(name)
        classes.append({"name": name, "color": color})

    raw_assignments = snapshot["assignments"]
    if not isinstance(raw_assignments, Mapping):
        raise AnnotationError(f"'assignments' must be an object mapping labels to class names, not {raw_assignments!r}")
    assignments: dict[int, str] = {}
    for key, name in raw_assignments.items():
        label = label_value(key, text=True)
        if label is None or not _is_region_label(label):
            raise AnnotationError(f"'assignments' keys must be integer labels ({LABEL_RANGE}), not {key!r}")
        if not isinstance(name, str):
            raise AnnotationError(f"'assignments' must map labels to class names; label {label} has {name!r}")
        if name.strip() not in seen:
            raise AnnotationError(f"'assignments': label {label} is assigned to {name!r}, which is not in 'classes'")
        if label in assignments:
            raise AnnotationError(f"'assignments' gives label {label} twice")
        assignments[label] = name.strip()

    raw_excluded = snapshot["excluded"]
    if isinstance(raw_excluded, (str, bytes, Mapping)) or not isinstance(raw_excluded, Iterable):
        raise AnnotationError(f"'excluded' must be a list of integer labels ({LABEL_RANGE}), not {raw_excluded!r}")
    excluded = set()
    for i, value in enumerate(raw_excluded):
        label = label_value(value)
        if label is None or not _is_region_label(label):
            raise AnnotationError(f"'excluded' must be a list of integer labels ({LABEL_RANGE}); item {i} is {value!r}")
        excluded.add(label)
    return {
        "classes": classes,
        "assignments": {str(label): assignments[label] for label in sorted(assignments)},
        "excluded": sorted(excluded),
    }
