"""A small HTTP client of a Dash app: what the browser's renderer sends, without a browser.

Used by the load script (``benchmarks/load.py``) and the server reliability
tests. It reads the app's callback graph from ``/_dash-dependencies`` and
posts ``/_dash-update-component`` requests as the renderer does; one
keep-alive connection and its cookies per client (one simulated user).
Loopback only: it refuses any other host.
"""

from __future__ import annotations

import gzip
import http.client
import json
import time
import zlib
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass
class Reply:
    """One HTTP answer."""

    status: int
    headers: dict
    body: bytes
    wire_bytes: int
    seconds: float

    def json(self):
        return json.loads(self.body)

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


def parse_outputs(output):
    """``"..a.data...b.children.."`` or ``"a.data"`` -> ``[("a", "data"), ...]`` (``@hash`` kept)."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    pairs = []
    for part in parts:
        component, _, prop = part.rpartition(".")
        if component.startswith("{"):
            component = json.loads(component)
        pairs.append((component, prop))
    return pairs


class DashClient:
    """One simulated browser of a Dash app.

    Parameters
    ----------
    url : str
        ``http://127.0.0.1:PORT/`` (loopback only).
    compressed : bool
        Send ``Accept-Encoding: gzip`` (as browsers do) and count the bytes on the wire.
    """

    def __init__(self, url, *, compressed=True, timeout=120):
        parts = urlsplit(url)
        if parts.hostname not in LOOPBACK:
            raise ValueError(f"the Dash client talks to loopback servers only, not {parts.hostname}")
        self.host, self.port = parts.hostname, parts.port or 80
        self.compressed = compressed
        self.timeout = timeout
        self.cookies = {}
        self.extra_headers = {}
        self._connection = None
        self._dependencies = None

    # -- HTTP ---------------------------------------------------------------

    def request(self, method, path, body=None, headers=None):
        """Send one request (reconnecting once if the kept-alive connection was closed)."""
        sent = {"Host": f"{self.host}:{self.port}", **self.extra_headers, **(headers or {})}
        if self.compressed:
            sent.setdefault("Accept-Encoding", "gzip")
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            sent.setdefault("Content-Type", "application/json")
        for attempt in (0, 1):
            if self._connection is None:
                self._connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            start = time.perf_counter()
            try:
                self._connection.request(method, path, body=body, headers=sent)
                response = self._connection.getresponse()
                raw = response.read()
            except (http.client.HTTPException, ConnectionError, OSError):
                self.close()
                if attempt:
                    raise
                continue
            seconds = time.perf_counter() - start
            headers_out = {k.lower(): v for k, v in response.getheaders()}
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            encoding = headers_out.get("content-encoding", "")
            data = gzip.decompress(raw) if encoding == "gzip" else zlib.decompress(raw) if encoding == "deflate" else raw
            return Reply(response.status, headers_out, data, len(raw), seconds)
        raise AssertionError("unreachable")

    def get(self, path, **headers):
        return self.request("GET", path, headers=headers)

    def post_form(self, path, fields):
        return self.request(
            "POST", path, body=urlencode(fields).encode(), headers={"Content-Type": "application/x-www-form-urlencoded"}
        )

    def close(self):
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    # -- Dash ---------------------------------------------------------------

    def dependencies(self):
        if self._dependencies is None:
            reply = self.get("/_dash-dependencies")
            if reply.status != 200:
                raise AssertionError(f"/_dash-dependencies answered {reply.status}: {reply.text[:200]}")
            self._dependencies = reply.json()
        return self._dependencies

    def callback_of(self, output):
        """The dependency whose outputs include ``output`` (``"id.prop"``, no ``@hash``), first match."""
        for dependency in self.dependencies():
            names = [f"{c}.{p.split('@')[0]}" for c, p in parse_outputs(dependency["output"]) if isinstance(c, str)]
            if output in names and dependency.get("clientside_function") is None:
                return dependency
        raise KeyError(f"no server callback writes {output}")

    def callback_with_input(self, output, input_):
        """The server callback writing ``output`` that has ``input_`` (``"id.prop"``) among its inputs."""
        for dependency in self.dependencies():
            if dependency.get("clientside_function") is not None:
                continue
            names = [f"{c}.{p.split('@')[0]}" for c, p in parse_outputs(dependency["output"]) if isinstance(c, str)]
            inputs = [f"{i['id']}.{i['property']}" for i in dependency["inputs"]]
            if output in names and input_ in inputs:
                return dependency
        raise KeyError(f"no server callback writes {output} from {input_}")

    def call(self, dependency, values, changed):
        """Post one callback request.

        Parameters
        ----------
        dependency : dict
            From :meth:`callback_of`.
        values : dict
            ``{"id.prop": value}`` for its inputs and states (missing: None).
        changed : str or list of str
            The ``changedPropIds`` (what triggered it).

        Returns
        -------
        Reply
        """
        outputs = [{"id": c, "property": p} for c, p in parse_outputs(dependency["output"])]
        body = {
            "output": dependency["output"],
            "outputs": outputs if dependency["output"].startswith("..") else outputs[0],
            "inputs": [{**item, "value": values.get(f"{item['id']}.{item['property']}")} for item in dependency["inputs"]],
            "state": [{**item, "value": values.get(f"{item['id']}.{item['property']}")} for item in dependency["state"]],
            "changedPropIds": [changed] if isinstance(changed, str) else list(changed),
        }
        return self.request("POST", "/_dash-update-component", body=body)


def response_values(reply):
    """``{"id.prop": value}`` of a callback reply (its outputs and its set_props side updates)."""
    if reply.status != 200:
        return {}
    data = reply.json()
    values = {}
    for component, props in (data.get("response") or {}).items():
        for prop, value in props.items():
            values[f"{component}.{prop}"] = value
    for component, props in (data.get("sideUpdate") or {}).items():
        for prop, value in props.items():
            values[f"{component}.{prop}"] = value
    return values


def text_of(component):
    """The text inside a serialized Dash component tree (for notices)."""
    if component is None:
        return ""
    if isinstance(component, str):
        return component
    if isinstance(component, (int, float)):
        return str(component)
    if isinstance(component, list):
        return "".join(text_of(c) for c in component)
    if isinstance(component, dict):
        return text_of((component.get("props") or {}).get("children"))
    return ""
