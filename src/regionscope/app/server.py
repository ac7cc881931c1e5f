"""Create and serve the explorer app.

One :class:`dash.Dash` app serves many browsers. Each browser tab keeps the id
of its dataset in a ``dcc.Store``; the app's :class:`DatasetRegistry` holds the
immutable datasets. Serve it with threads in one process (the registry lives
in that process's memory).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import dash

from regionscope.app.callbacks import register_callbacks
from regionscope.app.layout import build_layout
from regionscope.app.registry import DatasetRegistry
from regionscope.errors import RegionscopeError
from regionscope.io import ImageData

ASSETS = Path(__file__).parent / "assets"
#: How the coins sample is segmented: with the defaults, like any image
#: (``regionscope.segmentation.DEFAULTS``: Otsu, specks dropped; 24 coins).
SAMPLE_SEGMENTATION = {}


def create_app(default_dataset, registry, *, upload_folder=None, workspace=None, session=None, title="regionscope"):
    """The Dash app, opening ``default_dataset`` for new browsers.

    Parameters
    ----------
    default_dataset : Dataset
        Shown to a browser that has no dataset yet (already in ``registry``).
    registry : DatasetRegistry
    upload_folder : path-like or None
        Where uploads are saved (default: a new temporary folder).
    workspace : path-like or None
        Where exclusions and classes are saved (default:
        :func:`regionscope.annotations.default_workspace`).
    session : dict or None
        A session (:func:`regionscope.export.read_session`) to reopen: its
        exclusions and classes are saved for ``default_dataset`` and pages open
        with its filters, gates and view settings.
    title : str

    Returns
    -------
    dash.Dash
    """
    upload_folder = Path(upload_folder or tempfile.mkdtemp(prefix="regionscope-uploads-"))
    app = dash.Dash(
        __name__,
        title=title,
        assets_folder=str(ASSETS),
        update_title=None,
        suppress_callback_exceptions=False,
    )
    from regionscope.annotations import AnnotationStore

    annotations = AnnotationStore(workspace)
    if session:
        annotations.restore_snapshot(
            default_dataset.id,
            {key: session[key] for key in ("classes", "assignments", "excluded")},
        )
    app.layout = lambda: build_layout(default_dataset.id, session)
    register_callbacks(
        app,
        registry,
        default_dataset_id=default_dataset.id,
        upload_folder=upload_folder,
        annotations=annotations,
    )
    return app


def as_image_data(image, *, channel_names=None, name=None):
    """An ImageData from an array, a path or an ImageData."""
    from regionscope.io import default_channel_names, has_channel_axis, load_image

    if isinstance(image, ImageData):
        return image
    if isinstance(image, (str, Path)):
        return load_image(image)
    import numpy as np

    data = np.asarray(image)
    has_channels = has_channel_axis(data.shape) if channel_names is None else True
    if has_channels and channel_names is None:
        channel_names = default_channel_names(data.shape[-1], data.dtype)
    return ImageData(data=data, channel_names=tuple(channel_names) if has_channels else None, spacing=None, source=name)


def open_default(registry, image=None, labels=None, *, segmentation=None, channel_names=None, name=None, pixel_size=None):
    """Prepare the dataset a server starts with: the given data, or the coins sample.

    ``pixel_size`` (micrometres, one number or one per axis) overrides the file's.
    """
    from regionscope.io import load_labels_for
    from regionscope.samples import coins

    if image is None:
        if labels is not None:
            raise ValueError("labels were given without an image")
        return registry.open(
            as_image_data(coins(), name="coins"),
            None,
            name="coins (scikit-image sample)",
            segmentation=segmentation or SAMPLE_SEGMENTATION,
        )
    if isinstance(image, (str, Path)) and (labels is None or isinstance(labels, (str, Path))):
        return registry.open_files(image, labels, name=name, segmentation=segmentation, pixel_size=pixel_size)
    image_data = as_image_data(image, channel_names=channel_names, name=name)
    if pixel_size is not None:
        image_data = image_data.with_pixel_size(pixel_size)
    label_array = None
    if labels is not None:
        if isinstance(labels, (str, Path)):
            label_array = load_labels_for(image_data, labels).data
        else:
            import numpy as np

            label_array = np.asarray(labels)
    return registry.open(image_data, label_array, name=name or "array", segmentation=segmentation)


def serve_files(
    image_path=None,
    labels_path=None,
    *,
    segmentation=None,
    host="127.0.0.1",
    port=8050,
    debug=False,
    workspace=None,
    session_path=None,
    force_session=False,
    pixel_size=None,
):
    """Open files (or the coins sample) and serve the explorer until interrupted.

    A session saved for other data is refused (:class:`SessionMismatchError`)
    unless ``force_session``: its classes and exclusions would be written into
    the workspace of these labels.
    """
    from regionscope.export import read_session
    from regionscope.pipeline import labels_warning, regions_text
    from regionscope.progress import stages

    session = read_session(session_path) if session_path else None
    registry = DatasetRegistry()
    with stages("reading", 3 if labels_path is not None else 4):
        dataset = open_default(registry, image_path, labels_path, segmentation=segmentation, pixel_size=pixel_size)
    if labels_path is not None and (message := labels_warning(labels_path, dataset.labels)):
        print(f"regionscope: warning: {message}", file=sys.stderr, flush=True)
    if session and session["dataset_id"] != dataset.id:
        check_session_fits(session, session_path, dataset, force=force_session)
    app = create_app(dataset, registry, workspace=workspace, session=session)
    print(f"regionscope: {dataset.name}, {regions_text(len(dataset.table))}. Open http://{host}:{port}/ (Ctrl+C stops)", flush=True)
    app.run(host=host, port=port, debug=debug)


class SessionMismatchError(RegionscopeError):
    """A session file was saved for other data than the data being opened."""


def check_session_fits(session, session_path, dataset, *, force=False):
    """Refuse a session saved for other data, or (``force``) warn on stderr that it is applied anyway."""
    saved_for = session.get("dataset_name") or session.get("dataset_id")
    name = Path(session_path).name
    if not force:
        raise SessionMismatchError(
            f"{name} was saved for other data ({saved_for}), not for {dataset.name}; open the data it was saved for, "
            "or add --force-session to apply its classes and exclusions to these labels"
        )
    print(f"regionscope: warning: {name} was saved for other data ({saved_for}); its classes and exclusions are applied to {dataset.name}", file=sys.stderr, flush=True)


def explore(
    image=None,
    labels=None,
    *,
    host="127.0.0.1",
    port=8050,
    jupyter_mode=None,
    channel_names=None,
    name=None,
    segmentation=None,
    workspace=None,
    **run_options,
):
    """Serve the explorer on arrays or files; in Jupyter, show it in the notebook.

    Parameters
    ----------
    image, labels : ndarray, path or None
    host, port : where to serve.
    jupyter_mode : {"inline", "external", "tab", "jupyterlab"} or None
        ``None``: ``"inline"`` inside a notebook, a blocking server otherwise.
    channel_names : sequence of str or None
    name : str or None
    segmentation : dict or None
        :func:`regionscope.segment` options when ``labels`` is None.
    workspace : path-like or None
        Where exclusions and classes are saved.

    Returns
    -------
    str
        The app's URL.
    """
    registry = DatasetRegistry()
    dataset = open_default(registry, image, labels, segmentation=segmentation, channel_names=channel_names, name=name)
    app = create_app(dataset, registry, workspace=workspace)
    url = f"http://{host}:{port}/"
    if jupyter_mode is None and _in_notebook():
        jupyter_mode = "inline"
    if jupyter_mode is not None:
        app.run(host=host, port=port, jupyter_mode=jupyter_mode, jupyter_height=run_options.pop("jupyter_height", 800), **run_options)
    else:
        print(f"regionscope: serving {dataset.name} at {url} (Ctrl+C stops)", flush=True)
        app.run(host=host, port=port, **run_options)
    return url


def _in_notebook():
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell"


class BackgroundServer:
    """Serve a Dash app from a thread (tests, benchmarks, notebooks).

    Parameters
    ----------
    app : dash.Dash
    host : str
    port : int
        0 picks a free port.

    Examples
    --------
    >>> with BackgroundServer(app) as server:   # doctest: +SKIP
    ...     print(server.url)
    """

    def __init__(self, app, host="127.0.0.1", port=0):
        from werkzeug.serving import make_server

        self._server = make_server(host, port, app.server, threaded=True)
        self.url = f"http://{host}:{self._server.server_port}/"
        self._thread = None

    def start(self):
        import threading

        self._thread = threading.Thread(target=self._server.serve_forever, name="regionscope-server", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
