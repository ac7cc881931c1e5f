/*
 * regionscope, in the browser: the user's own zoom, pan and drag mode of a graph, kept across redraws.
 *
 * Dash redraws a graph with Plotly.react and a new figure; Plotly keeps the user's zoom only for
 * changes it recorded as GUI edits, and scroll zoom is not recorded (seen: every filter put the view
 * back). So each graph's view is watched here and written into the next figure, from Plotly's public
 * surface: the graph div's `on` events and its `layout`, which Plotly updates on every relayout.
 * Hover waits until the pictures are ready (imagesReady: the one private field, a picture's canvas).
 */
(function (root, factory) {
  const api = factory();
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.regionscopeView = api;
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  const userViews = {}; // graph id -> {revision, x, y} while the user has zoomed or panned

  function plotOf(graphId) {
    return typeof document === "undefined" ? null : document.querySelector("#" + CSS.escape(graphId) + " .js-plotly-plot");
  }

  /* What a plotly_relayout event does to the kept view: "reset", "zoomed", or null (not a view change). */
  function relayoutKind(event) {
    if (!event) return null;
    if (event["xaxis.autorange"] || event["yaxis.autorange"]) return "reset";
    if ("xaxis.range[0]" in event || "xaxis.range" in event || "yaxis.range[0]" in event || "yaxis.range" in event) return "zoomed";
    return null;
  }

  /* Whether every image trace of a graph has its picture: Plotly gives the trace's <image> its href
     once the canvas that hover reads pixels from exists; a hover before then throws ("reading 'el'"). */
  function imagesReady(gd) {
    for (const image of gd.querySelectorAll(".imagelayer.mlayer .im image")) {
      if (!image.hasAttribute("href") && !image.hasAttribute("xlink:href")) return false;
    }
    // The one private field read here, on purpose: a picture trace's canvas is what Plotly's own hover
    // reads, and on a busy machine an <image> can keep the previous picture's href while the new trace
    // has no canvas yet (seen in CI: every hover over a stack threw). Without the canvas, no hover.
    const traces = gd._fullData || [];
    return traces.every((trace) => trace.type !== "image" || !trace._hasSource || Boolean(trace._canvas && trace._canvas.el));
  }

  /* Plotly can be left with a picture trace that never gets its canvas: a figure with the same picture
     arrived before the picture had loaded, Plotly kept the half-made trace state and did not draw the
     picture again. Drawing the same data under new trace uids makes it load the pictures afresh. */
  function reloadPictures(gd) {
    if (gd.rsReloading || !globalThis.Plotly || !Array.isArray(gd.data)) return;
    gd.rsReloading = true;
    const stamp = Date.now();
    const data = gd.data.map((trace, k) => (trace.type === "image" ? Object.assign({}, trace, {uid: `rs-picture-${stamp}-${k}`}) : trace));
    Promise.resolve(globalThis.Plotly.react(gd, data, gd.layout)).finally(() => {
      gd.rsReloading = false;
    });
  }

  function watchView(graphId) {
    const gd = plotOf(graphId);
    if (!gd || !gd.on || gd.rsWatched) return;
    gd.rsWatched = true;
    // Plotly runs a hover up to a few milliseconds after the mouse moved (it throttles them), so the
    // pictures are checked when it runs too, not only when the mouse moves (regionscope-keys.js):
    // returning false from plotly_beforehover skips that hover.
    gd.on("plotly_beforehover", () => {
      const ready = imagesReady(gd);
      // Pictures that have loaded everywhere but in Plotly's trace state: repair, then hover again.
      const drawn = Array.from(gd.querySelectorAll(".imagelayer.mlayer .im image")).every(
        (image) => image.hasAttribute("href") || image.hasAttribute("xlink:href"));
      if (!ready && drawn) reloadPictures(gd);
      return ready;
    });
    gd.on("plotly_relayout", (event) => {
      const kind = relayoutKind(event);
      if (kind === "reset") delete userViews[graphId];
      else if (kind === "zoomed") {
        // Plotly has written the new ranges into gd.layout by the time it emits the event.
        userViews[graphId] = {revision: gd.layout.uirevision, x: gd.layout.xaxis.range.slice(), y: gd.layout.yaxis.range.slice()};
      }
    });
  }

  /* A layout with the kept view (if any) for its revision written in; views: graph id -> view. */
  function withView(layout, view) {
    if (!view || view.revision !== layout.uirevision) return layout;
    layout.xaxis = Object.assign({}, layout.xaxis, {range: view.x, autorange: false});
    layout.yaxis = Object.assign({}, layout.yaxis, {range: view.y, autorange: false});
    return layout;
  }

  /* Put the user's view (if any, for this revision) into a layout about to be drawn. */
  function keepView(graphId, layout) {
    watchView(graphId);
    return withView(layout, userViews[graphId]);
  }

  /* Make `view` the graph's view from its next redraw on (a zoom to a row). */
  function setView(graphId, view) {
    userViews[graphId] = view;
  }

  /* The drag mode the user chose in a graph's mode bar: a redraw must not reset it. */
  function currentDragmode(graphId, fallback) {
    // gd.layout.dragmode is ours from the last redraw or the user's mode-bar choice;
    // an empty graph (before the first figure) has none and gets the fallback.
    const gd = plotOf(graphId);
    return (gd && gd.layout && gd.layout.dragmode) || fallback;
  }

  return {relayoutKind, withView, keepView, setView, currentDragmode, imagesReady};
});
