"""Callbacks that bring data in: uploads of an image or its label mask, segmentation again, the default dataset.

Registered by :class:`regionscope.app.explorer.Explorer` (the callback graph is
drawn there). Each opens a dataset in the registry and points the tab's
``rs-dataset`` at it; on a refusal the notice says why and the dataset stays.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from pathlib import Path

from dash import ALL, Input, Output, State, no_update

from regionscope.app.display import HIDDEN, SHOWN
from regionscope.app.notices import notice
from regionscope.app.security import current_user
from regionscope.errors import RegionscopeError
from regionscope.pipeline import regions_text
from regionscope.segmentation import AUTO_CHANNEL, DEFAULTS, segmented_channel_name, uses_luminance


def decode_upload(contents, filename, folder):
    """Save a ``dcc.Upload`` payload as a file and return its path.

    Parameters
    ----------
    contents : str
        ``data:<mime>;base64,<payload>``.
    filename : str
        The name the user's file had (its extension decides the reader).
    folder : UploadFolder or pathlib.Path
        The server's bounded upload folder (:class:`regionscope.app.uploads.UploadFolder`),
        or a plain folder.

    Returns
    -------
    pathlib.Path
        ``folder / <content hash>-<filename>``; the same file twice is saved once.
    """
    if not contents or "," not in contents:
        raise RegionscopeError(f"{filename}: the upload arrived empty; try again")
    try:
        payload = base64.b64decode(contents.split(",", 1)[1], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise RegionscopeError(f"{filename}: the upload arrived damaged ({exc}); try again") from exc
    if not payload:
        raise RegionscopeError(f"{filename}: the file is empty")
    if hasattr(folder, "save"):
        return folder.save(payload, filename)
    digest = hashlib.blake2b(payload, digest_size=8).hexdigest()
    safe_name = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in Path(filename).name)[-120:]
    path = folder / f"{digest}-{safe_name}"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        path.write_bytes(payload)
    return path


def upload_message(exc, path, filename):
    """The message of an error about an uploaded file, naming the user's file, never the server's copy.

    Parameters
    ----------
    exc : Exception
    path : pathlib.Path or None
        Where the upload was saved (None when it failed before).
    filename : str
        The name the file had on the user's machine.
    """
    message = str(exc)
    if path is not None:
        for server_name in (str(path), str(path.parent), path.name):
            message = message.replace(server_name, filename)
    return message


def segmentation_options(method, objects, min_size, fill_holes, split_touching=(), channel=AUTO_CHANNEL):
    """:func:`regionscope.segment` options from the Data panel's values.

    An empty or unreadable min size is the default (:data:`DEFAULTS`); a
    negative one is 0.
    """
    try:
        size = int(min_size)
    except (TypeError, ValueError):
        size = DEFAULTS["min_size"]
    return {
        "method": method or DEFAULTS["method"],
        "objects": objects or DEFAULTS["objects"],
        "min_size": max(size, 0),
        "fill_holes": bool(fill_holes),
        "split_touching": bool(split_touching),
        "channel": None if channel in (None, AUTO_CHANNEL) else channel,
    }


def segmentation_controls(dataset):
    """The Data panel's values for a dataset's segmentation (the inverse of the above).

    Returns
    -------
    tuple
        method, objects, min size, fill holes, split touching, the segment
        channel's options, value and row style (hidden without channels).
        A dataset with given labels shows the defaults.
    """
    options = dataset.segmentation or DEFAULTS
    return (
        options.get("method", DEFAULTS["method"]),
        options.get("objects", DEFAULTS["objects"]),
        options.get("min_size", DEFAULTS["min_size"]),
        ["fill"] if options.get("fill_holes") else [],
        ["split"] if options.get("split_touching") else [],
        *segment_channel_choice(dataset.image, options.get("channel")),
    )


def segment_channel_choice(image, channel):
    """Options, value and row style of the segment-channel dropdown.

    The first option is the default channel (``"auto"``): "luminance" for an
    RGB(A) image, the first channel's name otherwise.
    """
    if not image.has_channels:
        return [], AUTO_CHANNEL, HIDDEN
    names = list(image.channel_names)
    luminance = uses_luminance(image.data, multichannel=True)
    options = [{"label": "luminance" if luminance else names[0], "value": AUTO_CHANNEL}]
    options += [{"label": name, "value": index} for index, name in enumerate(names) if luminance or index > 0]
    return options, AUTO_CHANNEL if channel is None else channel, SHOWN


def segmented_here(dataset):
    """``"segmented here"``, with the channel for a multichannel image: ``"segmented here on blue"``."""
    image = dataset.image
    channel = segmented_channel_name(
        dataset.segmentation.get("channel"), image.channel_names, luminance=uses_luminance(image.data, image.has_channels)
    )
    return "segmented here" + (f" on {channel}" if channel else "")


def register(explorer):
    """Attach the data-in callbacks of ``explorer``."""
    ids, registry, upload_folder, dataset_of = explorer.ids, explorer.registry, explorer.upload_folder, explorer.dataset_of

    # Each upload callback also empties its dcc.Upload: a component whose
    # contents did not change fires no callback, so the same file chosen again
    # (after a refusal, say) would otherwise be ignored without a word.
    @explorer.callback(
        Output(ids.DATASET, "data", allow_duplicate=True),
        Output(ids.NOTICE, "children", allow_duplicate=True),
        Output(ids.UPLOAD_IMAGE, "contents"),
        Input(ids.UPLOAD_IMAGE, "contents"),
        State(ids.UPLOAD_IMAGE, "filename"),
        State(ids.METHOD, "value"),
        State(ids.OBJECTS, "value"),
        State(ids.MIN_SIZE, "value"),
        State(ids.FILL_HOLES, "value"),
        State(ids.SPLIT_TOUCHING, "value"),
        prevent_initial_call=True,
        running=[(Output(ids.UPLOAD_IMAGE, "className"), "rs-upload rs-busy", "rs-upload")],
    )
    def open_uploaded_image(contents, filename, method, objects, min_size, fill_holes, split_touching):
        if contents is None:
            return no_update, no_update, no_update  # emptied by this callback
        path = None
        # The panel's settings, except the channel: that choice was for the previous image.
        segmentation = segmentation_options(method, objects, min_size, fill_holes, split_touching)
        try:
            path = decode_upload(contents, filename, upload_folder)
            dataset = registry.open_files(path, name=filename, segmentation=segmentation, owner=current_user(), uploaded=[path])
        except RegionscopeError as exc:
            discard_upload(path)
            return no_update, notice(f"Could not open the image: {upload_message(exc, path, filename)}"), None
        except BaseException:
            discard_upload(path)
            raise
        return (
            {"id": dataset.id},
            notice(f"Opened {filename}: {regions_text(len(dataset.table))} found by segmentation.", error=False),
            None,
        )

    @explorer.callback(
        Output(ids.DATASET, "data", allow_duplicate=True),
        Output(ids.NOTICE, "children", allow_duplicate=True),
        Output(ids.UPLOAD_LABELS, "contents"),
        Input(ids.UPLOAD_LABELS, "contents"),
        State(ids.UPLOAD_LABELS, "filename"),
        State(ids.DATASET, "data"),
        prevent_initial_call=True,
        running=[(Output(ids.UPLOAD_LABELS, "className"), "rs-upload rs-busy", "rs-upload")],
    )
    def open_uploaded_labels(contents, filename, store):
        if contents is None:
            return no_update, no_update, no_update  # emptied by this callback
        current = dataset_of(store)
        path = None
        try:
            path = decode_upload(contents, filename, upload_folder)
            dataset = registry.open_derived(
                current.id, labels_path=path, name=current.name, owner=current_user(), uploaded=[path]
            )
        except RegionscopeError as exc:
            discard_upload(path)
            return no_update, notice(f"Could not use the label mask: {upload_message(exc, path, filename)}"), None
        except BaseException:
            discard_upload(path)
            raise
        return (
            {"id": dataset.id},
            notice(f"Opened {filename} as the labels of {current.name}: {regions_text(len(dataset.table))}.", error=False),
            None,
        )

    @explorer.callback(
        Output(ids.DATASET, "data", allow_duplicate=True),
        Output(ids.NOTICE, "children", allow_duplicate=True),
        Input(ids.SEGMENT, "n_clicks"),
        State(ids.DATASET, "data"),
        State(ids.METHOD, "value"),
        State(ids.OBJECTS, "value"),
        State(ids.MIN_SIZE, "value"),
        State(ids.FILL_HOLES, "value"),
        State(ids.SPLIT_TOUCHING, "value"),
        State(ids.SEGMENT_CHANNEL, "value"),
        prevent_initial_call=True,
        running=[(Output(ids.SEGMENT, "disabled"), True, False)],
    )
    def segment_again(_clicks, store, method, objects, min_size, fill_holes, split_touching, channel):
        current = dataset_of(store)
        segmentation = segmentation_options(method, objects, min_size, fill_holes, split_touching, channel)
        try:
            dataset = registry.open_derived(current.id, segmentation=segmentation, name=current.name, owner=current_user())
        except RegionscopeError as exc:
            return no_update, notice(f"Segmentation failed: {exc}")
        return {"id": dataset.id}, notice(
            f"Segmented with {method}: {regions_text(len(dataset.table))} ({segmented_here(dataset)}).", error=False
        )

    def discard_upload(path):
        # A failed upload is deleted at once (unless a dataset already reads that file).
        if path is not None and hasattr(upload_folder, "delete") and not registry.uses_file(path):
            upload_folder.delete(path)

    @explorer.callback(
        Output(ids.DATASET, "data", allow_duplicate=True),
        Output(ids.NOTICE, "children", allow_duplicate=True),
        Input({"type": ids.OPEN_DEFAULT, "index": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def open_default_dataset(clicks):
        # Only on the user's explicit request (the notice of a dataset that is gone).
        if not any(clicks or []):
            return no_update, no_update
        dataset = registry.get(explorer.default_dataset_id, current_user())
        return {"id": dataset.id}, notice(f"Opened {dataset.name}.", error=False)
