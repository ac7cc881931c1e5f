"""Create and serve the explorer app.

One :class:`dash.Dash` app serves many browsers. Each browser tab keeps the id
of its dataset in a ``dcc.Store``; the app's :class:`DatasetRegistry` holds the
immutable datasets. Serve it with threads in one process (the registry lives
in that process's memory).
"""

from __future__ import annotations

import logging
import math
import os
import sys
import uuid
from pathlib import Path

import dash

from regionscope.app.explorer import Explorer
from regionscope.app.layout import MAX_UPLOAD_BYTES
from regionscope.app.registry import DatasetRegistry
from regionscope.app.security import Access, UserAnnotations, access_for, annotation_key, install
from regionscope.app.uploads import DEFAULT_MAX_BYTES, UploadFolder
from regionscope.errors import RegionscopeError
from regionscope.io import ImageData

log = logging.getLogger("regionscope.server")

ASSETS = Path(__file__).parent / "assets"
#: How the coins sample is segmented: with the defaults, like any image
#: (``regionscope.segmentation.DEFAULTS``: Otsu, specks dropped; 24 coins).
SAMPLE_SEGMENTATION = {}
#: Room in a request for what travels with an upload (the callback's other inputs).
REQUEST_MARGIN_BYTES = 2**20
#: Worker threads of the production server (waitress).
# Two per core, at least 4: the work is Python under one GIL, so more threads than that only
# make each request wait its turn longer (20 users back to back on 2 cores: page load p95 0.7-0.85 s
# with 4 threads against 1.0 s with 8; filter p95 51-60 against 63-76 ms). Upload bodies are read by
# waitress's own I/O thread before a worker thread sees them.
SERVER_THREADS = min(16, max(4, 2 * (os.cpu_count() or 2)))


def max_request_bytes(max_upload_bytes=MAX_UPLOAD_BYTES):
    """Largest request body the server reads: the page's upload cap in base64, plus a margin."""
    return 4 * math.ceil(max_upload_bytes / 3) + REQUEST_MARGIN_BYTES


def create_app(
    default_dataset,
    registry,
    *,
    upload_folder=None,
    workspace=None,
    session=None,
    title="regionscope",
    access=None,
    upload_space_bytes=DEFAULT_MAX_BYTES,
    project=None,
):
    """The Dash app, opening ``default_dataset`` for new browsers.

    Parameters
    ----------
    default_dataset : Dataset
        Shown to a browser that has no dataset yet (already in ``registry``).
    registry : DatasetRegistry
    upload_folder : path-like, UploadFolder or None
        Where uploads are saved (default: a new temporary folder, deleted when
        the server stops or the process exits).
    workspace : path-like or None
        Where exclusions and classes are saved (default:
        :func:`regionscope.annotations.default_workspace`).
    session : dict or None
        A session (:func:`regionscope.export.read_session`) to reopen: its
        exclusions and classes are saved for ``default_dataset`` (for every
        user with authentication) and pages open with its filters, gates and
        view settings.
    title : str
    access : Access or None
        Who may use the app (default: no authentication, loopback only).
    upload_space_bytes : int
        Size of the upload folder.
    project : Project or None
        Serve this project: its gallery and summary above the views; exclusions and classes go to
        the project's own annotation store, keyed by image (``workspace`` is not used for them).

    Returns
    -------
    dash.Dash
        :func:`close_app` deletes its uploads (:class:`BackgroundServer` and
        ``regionscope view`` do so when they stop).
    """
    from regionscope.annotations import AnnotationStore

    access = access or Access()
    if access.max_request_bytes is None:
        access.max_request_bytes = max_request_bytes()
    uploads = (
        upload_folder if isinstance(upload_folder, UploadFolder) else UploadFolder(upload_folder, max_bytes=upload_space_bytes)
    )
    uploads.make_room = registry.forget_oldest_upload
    previous_forget = registry.on_forget

    def forget_uploads(recipe):
        for path in recipe.files:
            uploads.delete(path)
        if previous_forget is not None:
            previous_forget(recipe)

    registry.on_forget = forget_uploads
    app = dash.Dash(
        __name__,
        title=title,
        assets_folder=str(ASSETS),
        update_title=None,
        suppress_callback_exceptions=False,
        compress=True,
    )
    # gzip level 1: on a 2048² / 10,000-region first view it is 3x faster than
    # level 6 (42 against 125 ms for the table, 96 against 175 ms for the
    # pictures, which are base64 of PNG/JPEG) for 10% more bytes; CPU is what a
    # shared server runs out of first. Below 1 kB compressing saves nothing.
    app.server.config.update(COMPRESS_MIN_SIZE=1024, COMPRESS_LEVEL=1, COMPRESS_ALGORITHM=["gzip", "br", "deflate"])
    store = AnnotationStore(project.folder if project is not None else workspace)
    if session:
        snapshot = {key: session[key] for key in ("classes", "assignments", "excluded")}
        for user in access.principals() if access.authenticated else [None]:
            store.restore_snapshot(annotation_key(default_dataset.id, user), snapshot)
    annotations = UserAnnotations(store) if access.authenticated else store
    if project is not None:
        from regionscope.app.project_callbacks import ProjectAnnotations

        annotations = ProjectAnnotations(annotations, project)  # image key first, then the user's scope
        annotations.learn(default_dataset.id, default_dataset.name)
    explorer = Explorer(
        app,
        registry,
        default_dataset_id=default_dataset.id,
        upload_folder=uploads,
        annotations=annotations,
        session=session,
        project=project,
    )
    app.layout = explorer.layout
    install(app, access)

    @app.server.errorhandler(500)
    def internal_error(error):
        reference = uuid.uuid4().hex[:8]
        log.error("request failed (ref %s)", reference, exc_info=getattr(error, "original_exception", None) or error)
        from flask import Response

        return Response(
            f"The server failed on this request (ref {reference}); it is in the server's log.\n",
            status=500,
            mimetype="text/plain",
        )

    app.server.extensions["regionscope"] = {"uploads": uploads, "annotations": store, "registry": registry}
    return app


def close_app(app):
    """Delete the app's uploads and close its annotation store (idempotent)."""
    parts = app.server.extensions.get("regionscope") or {}
    if parts.get("uploads") is not None:
        parts["uploads"].close()
    store = parts.get("annotations")
    if store is not None and hasattr(store, "close"):
        store.close()


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


def open_from_store(registry, store, image_path, labels_path, *, segmentation=None):
    """Prepare (or reuse) the store entry of an image and its labels (or of the image segmented), and open its dataset.

    The command line's progress bar names the stages; a reused entry says so on stderr.
    """
    from regionscope.progress import stages
    from regionscope.store import StoreError, prepare

    if image_path is None:
        raise StoreError("--store needs an image (IMAGE); the coins sample is not prepared into a store")
    with stages("checking the store", 6 + (labels_path is None)):
        entry = prepare(store, image_path, labels_path, segmentation=None if labels_path is not None else segmentation)
    if entry.reused:
        inputs = "the image and labels are" if labels_path is not None else "the image and the segmentation settings are"
        print(f"regionscope: {entry.folder} reused: {inputs} unchanged", file=sys.stderr, flush=True)
    with stages("reading the store", 2):
        return registry.open_prepared(entry, name=Path(str(image_path)).name)


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
    auth_file=None,
    no_auth=False,
    store=None,
):
    """Open files (or the coins sample) and serve the explorer until interrupted.

    With ``store`` (a folder), the image and labels are prepared into that store
    (:func:`regionscope.store.prepare`: pyramids and the region table, measured
    on Dask) the first time, and read back from it while they are unchanged:
    opening a large image again measures nothing.

    Served by waitress (a production WSGI server); Werkzeug's development
    server only with ``debug`` (on loopback). On a non-loopback ``host`` a
    token (printed in the URL) or ``auth_file`` users are required unless
    ``no_auth``. See :mod:`regionscope.app.security`.

    A session saved for other data is refused (:class:`SessionMismatchError`)
    unless ``force_session``: its classes and exclusions would be written into
    the workspace of these labels.
    """
    from regionscope.export import read_session
    from regionscope.pipeline import labels_warning
    from regionscope.progress import stages

    access = access_for(host, auth_file=auth_file, no_auth=no_auth, debug=debug)
    session = read_session(session_path) if session_path else None
    registry = DatasetRegistry()
    if store is not None:
        dataset = open_from_store(registry, store, image_path, labels_path, segmentation=segmentation)
    else:
        with stages("reading", 3 if labels_path is not None else 4):
            dataset = open_default(registry, image_path, labels_path, segmentation=segmentation, pixel_size=pixel_size)
    if labels_path is not None and (message := labels_warning(labels_path, dataset.labels)):
        print(f"regionscope: warning: {message}", file=sys.stderr, flush=True)
    if session and session["dataset_id"] != dataset.id:
        check_session_fits(session, session_path, dataset, force=force_session)
    app = create_app(dataset, registry, workspace=workspace, session=session, access=access)
    if no_auth and not _is_loopback(host):
        print(
            f"regionscope: warning: serving on {host} WITHOUT authentication (--no-auth): anyone who can reach "
            "this address can read and change every dataset on it",
            file=sys.stderr,
            flush=True,
        )
    try:
        if debug:
            access.port = port
            _announce(dataset, access, host)
            app.run(host=host, port=port, debug=True, use_reloader=False)
        else:
            _run_waitress(app, dataset, access, host, port)
    finally:
        close_app(app)


def _run_waitress(app, dataset, access, host, port):
    """Serve ``app`` with waitress until interrupted, after saying where (the port may be chosen by the system)."""
    server = _waitress(app, host, port)
    access.port = int(server.effective_port)
    _announce(dataset, access, host)
    server.run()


def project_app(folder, *, access=None):
    """The app of a project folder (``regionscope measure --project``), opening its first measured image."""
    from regionscope.app.project_callbacks import open_project_image
    from regionscope.project import Project

    project = Project.open(folder)
    measured = [
        str(name) for name, status in zip(project.images["name"], project.images["status"], strict=True) if status == "ok"
    ]
    if not measured:
        raise RegionscopeError(f"{folder}: no image of the project was measured; run regionscope measure --project again")
    registry = DatasetRegistry()
    dataset = open_project_image(registry, project, measured[0])
    return create_app(dataset, registry, access=access, project=project), dataset


def serve_project(folder, *, host="127.0.0.1", port=8050, auth_file=None, no_auth=False):
    """Serve a project folder: its gallery and summary above the explorer of one image at a time."""
    access = access_for(host, auth_file=auth_file, no_auth=no_auth, debug=False)
    app, dataset = project_app(folder, access=access)
    try:
        _run_waitress(app, dataset, access, host, port)
    finally:
        close_app(app)


def _is_loopback(host):
    from regionscope.app.security import is_loopback

    return is_loopback(host)


def _announce(dataset, access, host):
    from regionscope.pipeline import regions_text

    how = {
        "open": "",
        "token": " (the token in this address logs a browser in)",
        "users": " (log in with a user of the --auth file)",
    }[access.mode]
    print(
        f"regionscope: {dataset.name}, {regions_text(len(dataset.table))}. Open {access.url(host)} (Ctrl+C stops){how}",
        flush=True,
    )
    if host in ("0.0.0.0", "::", ""):
        import socket

        print(f"regionscope: from other machines: {access.url(socket.getfqdn())}", flush=True)


def _waitress(app, host, port, threads=SERVER_THREADS):
    """A waitress server for the app (not started)."""
    from waitress import create_server

    access = app.server.extensions.get("regionscope_access")
    limit = access.max_request_bytes if access is not None else max_request_bytes()
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "task queue depth" under load is expected
    return create_server(
        app.server,
        host=host,
        port=port,
        threads=threads,
        # Refused before the body is read (waitress would spool it to disk first).
        max_request_body_size=limit,
        ident="regionscope",
        clear_untrusted_proxy_headers=True,
    )


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
    print(
        f"regionscope: warning: {name} was saved for other data ({saved_for}); its classes and exclusions are applied to {dataset.name}",
        file=sys.stderr,
        flush=True,
    )


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
    from regionscope.app.security import JUPYTER_FRAME_ANCESTORS

    if jupyter_mode is None and _in_notebook():
        jupyter_mode = "inline"
    access = access_for(host, debug=bool(run_options.get("debug")))
    access.port = port
    if jupyter_mode is not None:
        # The notebook (another local origin) shows the page in an iframe.
        access.frame_ancestors = JUPYTER_FRAME_ANCESTORS
    registry = DatasetRegistry()
    dataset = open_default(registry, image, labels, segmentation=segmentation, channel_names=channel_names, name=name)
    app = create_app(dataset, registry, workspace=workspace, access=access)
    url = access.url(host)
    if jupyter_mode is not None:
        app.run(
            host=host, port=port, jupyter_mode=jupyter_mode, jupyter_height=run_options.pop("jupyter_height", 800), **run_options
        )
    elif run_options.get("debug"):
        print(f"regionscope: serving {dataset.name} at {url} (Ctrl+C stops)", flush=True)
        try:
            app.run(host=host, port=port, **run_options)
        finally:
            close_app(app)
    else:
        print(f"regionscope: serving {dataset.name} at {url} (Ctrl+C stops)", flush=True)
        try:
            _waitress(app, host, port).run()
        finally:
            close_app(app)
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
    server : {"waitress", "werkzeug"}
        waitress (the production server, default) or Werkzeug's threaded server.
    threads : int
        waitress worker threads.
    close : bool
        Whether :meth:`stop` also deletes the app's uploads (:func:`close_app`).

    Examples
    --------
    >>> with BackgroundServer(app) as server:   # doctest: +SKIP
    ...     print(server.url)
    """

    def __init__(self, app, host="127.0.0.1", port=0, *, server="waitress", threads=SERVER_THREADS, close=True):
        self.app = app
        self.kind = server
        self._close = close
        if server == "waitress":
            self._server = _waitress(app, host, port, threads=threads)
            bound_port = int(self._server.effective_port)
        elif server == "werkzeug":
            from werkzeug.serving import make_server

            self._server = make_server(host, port, app.server, threaded=True)
            bound_port = self._server.server_port
        else:
            raise ValueError(f"server must be 'waitress' or 'werkzeug', not {server!r}")
        access = app.server.extensions.get("regionscope_access")
        if access is not None:
            access.port = bound_port
        self.port = bound_port
        self.url = f"http://{host}:{bound_port}/"
        self._thread = None

    def start(self):
        import threading

        target = self._server.run if self.kind == "waitress" else self._server.serve_forever
        self._thread = threading.Thread(target=target, name="regionscope-server", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self.kind == "waitress":
            server = self._server

            def close_everything():
                # Runs in the server's own loop (its trigger): no socket is closed under a select().
                for channel in list(server._map.values()):
                    channel.close()

            try:
                server.trigger.pull_trigger(close_everything)
            except OSError:
                # The trigger itself was closed (waitress saw a close event on it):
                # its loop has nothing to wake, close the rest from here.
                close_everything()
            if self._thread is not None:
                self._thread.join(timeout=10)
            server.task_dispatcher.shutdown()
        else:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._close:
            close_app(self.app)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
