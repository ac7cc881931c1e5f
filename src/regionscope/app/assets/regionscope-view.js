/*
 * regionscope, in the browser: the user's own zoom, pan and drag mode of a graph, kept across redraws.
 *
 * Dash redraws a graph with Plotly.react and a new figure; Plotly keeps the user's zoom only for
 * changes it recorded as GUI edits, and scroll zoom is not recorded (seen: every filter put the view
 * back). So each graph's view is watched here and written into the next figure. Only Plotly's public
 * surface is used: the graph div's `on` events and its `layout`, which Plotly updates on every relayout.
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
    return true;
  }

  function watchView(graphId) {
    const gd = plotOf(graphId);
    if (!gd || !gd.on || gd.rsWatched) return;
    gd.rsWatched = true;
    // Plotly runs a hover up to a few milliseconds after the mouse moved (it throttles them), so the
    // pictures are checked when it runs too, not only when the mouse moves (regionscope-keys.js):
    // returning false from plotly_beforehover skips that hover.
    gd.on("plotly_beforehover", () => imagesReady(gd));
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
