/*
 * regionscope: the parts of the explorer that run in the browser.
 *
 * Why here and not on the server: hover, the overlay and the grid's filter
 * react within tens of milliseconds only without a round trip. The server
 * sends, once per plane, a label-index PNG (pixel value i + 1 = table row i);
 * this file decodes it, finds the region under the cursor, and draws the
 * overlay (outlines or fills coloured per region) for the rows the grid shows.
 *
 * Browser-side state below belongs to this page (one user); the server keeps
 * none of it.
 */
(function () {
  "use strict";

  const {boundaryOf, haloOf, paintableCopy, signature} = window.regionscopeRaster;
  const {insidePolygon, selectionTest, gateFromSelection, gatePasses, describeCondition, describeColumnFilter,
    describeGate, centroidColumns, formatValue} = window.regionscopeFilters;

  const ID = window.regionscopeIds; // generated from regionscope.app.ids.ID
  const MAX_CACHED_MAPS = 4;

  const state = {
    labelMaps: new Map(), // label-map url -> decoded {index, boundary, width, height}
    // Labels are compared as decimal strings everywhere: values above 2**53 do not survive as numbers.
    palette: null, // {key, labels: [string], rgb: Uint8Array, indexOf: Map(label string -> i + 1)}
    current: null, // {decoded, palette, visible} of the overlay on screen
    hovered: null, // label under the cursor
    focused: null, // label outlined after a click
    query: null, // Set of labels passing the query box, or null
    excluded: new Set(), // labels excluded for the shown dataset
    shift: false, // whether Shift was held when the last drag began
    gates: [], // gates of the shown dataset: [{x, y, kind, ...}]
    plotSelection: null, // the feature plot's last box/lasso/range, as a gate
    appliedZoom: null, // id of the last zoom-to-row request applied
  };

  function noUpdate() {
    return window.dash_clientside.no_update;
  }

  function decodeBase64(text, ArrayType) {
    const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
    return new ArrayType(bytes.buffer, 0, bytes.byteLength / ArrayType.BYTES_PER_ELEMENT);
  }

  async function decodeLabelMap(labelMap) {
    const cached = state.labelMaps.get(labelMap.url);
    if (cached) return cached;
    const blob = await (await fetch(labelMap.url)).blob();
    const bitmap = await createImageBitmap(blob, {colorSpaceConversion: "none", premultiplyAlpha: "none"});
    const w = bitmap.width;
    const h = bitmap.height;
    const canvas = document.createElement("canvas");
    canvas.width = w;
    canvas.height = h;
    const context = canvas.getContext("2d", {willReadFrequently: true});
    context.drawImage(bitmap, 0, 0);
    const rgba = context.getImageData(0, 0, w, h).data;
    const index = new Uint32Array(w * h);
    for (let p = 0, q = 0; p < index.length; p++, q += 4) {
      index[p] = rgba[q] | (rgba[q + 1] << 8) | (rgba[q + 2] << 16);
    }
    const decoded = {index, width: w, height: h, paint: paintableCopy(index, w, h, labelMap.outline || 1)};
    state.labelMaps.set(labelMap.url, decoded);
    while (state.labelMaps.size > MAX_CACHED_MAPS) {
      state.labelMaps.delete(state.labelMaps.keys().next().value);
    }
    return decoded;
  }

  function paletteOf(colors) {
    if (state.palette && state.palette.key === colors.key) return state.palette;
    const labels = colors.labels.map(String);
    const indexOf = new Map();
    for (let i = 0; i < labels.length; i++) indexOf.set(labels[i], i + 1);
    state.palette = {key: colors.key, dataset: colors.dataset, labels, rgb: decodeBase64(colors.rgb, Uint8Array), indexOf};
    return state.palette;
  }

  function visibleOf(palette, rows, selected) {
    const visible = new Uint8Array(palette.labels.length + 1);
    if (!rows) visible.fill(1);
    else {
      for (const row of rows) {
        const i = palette.indexOf.get(String(row.label));
        if (i) visible[i] = 1;
      }
    }
    for (const label of selectedLabels(selected)) {
      const i = palette.indexOf.get(label);
      if (i && visible[i]) visible[i] = 2;
    }
    return visible;
  }

  /* visible[i]: 0 hidden, 1 shown, 2 shown and selected (white outline, light fill). */
  function drawOverlay(decoded, palette, visible, mode, halo) {
    const {index, boundary, width, height} = decoded.paint;
    const haloRows = decoded.paint.halo;
    const picture = new ImageData(width, height);
    const px = picture.data;
    const rgb = palette.rgb;
    const fillAlpha = mode === "filled" ? 120 : 0;
    const edge = halo || [0, 0, 0];
    for (let p = 0; p < index.length; p++) {
      const i = index[p];
      const shown = i ? visible[i] : 0;
      if (!shown) {
        const h = haloRows[p];
        if (h && visible[h]) {
          const q = p * 4;
          px[q] = edge[0];
          px[q + 1] = edge[1];
          px[q + 2] = edge[2];
          px[q + 3] = 150;
        }
        continue;
      }
      const q = p * 4;
      if (shown === 2) {
        px[q] = 255;
        px[q + 1] = 255;
        px[q + 2] = 255;
        px[q + 3] = boundary[p] ? 255 : 70;
        continue;
      }
      let alpha;
      if (boundary[p]) alpha = 255;
      else if (fillAlpha) alpha = fillAlpha;
      else continue;
      const c = (i - 1) * 3;
      px[q] = rgb[c];
      px[q + 1] = rgb[c + 1];
      px[q + 2] = rgb[c + 2];
      px[q + 3] = alpha;
    }
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    canvas.getContext("2d").putImageData(picture, 0, 0);
    return canvas.toDataURL("image/png");
  }

  /* The label of the visible region at a Plotly hover/click point, or null. */
  function labelAt(eventData) {
    const current = state.current;
    if (!current || !eventData || !eventData.points || !eventData.points.length) return null;
    const point = eventData.points[0];
    // The label map may be sent every `step` pixels (large images).
    const col = Math.round(point.x / current.step);
    const row = Math.round(point.y / current.step);
    const {index, width, height} = current.decoded;
    if (!(col >= 0 && row >= 0 && col < width && row < height)) return null;
    const i = index[row * width + col];
    if (!i || !current.visible[i]) return null;
    return current.palette.labels[i - 1];
  }

  /* Whether a region is drawn in the overlay on screen (true until the overlay is known). */
  function regionShown(label) {
    const current = state.current;
    if (label === null || label === undefined || !current) return true;
    const i = current.palette.indexOf.get(String(label));
    return Boolean(i && current.visible[i]);
  }

  /* Rows (i + 1) that have pixels in the shown plane's label map, computed once per map. */
  function rowsInPlane(decoded, nRows) {
    if (decoded.present && decoded.present.length === nRows + 1) return decoded.present;
    const present = new Uint8Array(nRows + 1);
    const index = decoded.index;
    for (let p = 0; p < index.length; p++) present[index[p]] = 1;
    decoded.present = present;
    return present;
  }

  function notify(text) {
    window.dash_clientside.set_props(ID.NOTICE, {children: html("Span", {className: "rs-error", children: text})});
  }

  function gridApi() {
    try {
      return window.dash_ag_grid.getApi(ID.GRID);
    } catch (error) {
      return null;
    }
  }

  function redrawRows(api, labels) {
    const nodes = labels.filter((l) => l !== null && l !== undefined)
      .map((l) => api.getRowNode(l + ""))
      .filter(Boolean);
    if (nodes.length) api.redrawRows({rowNodes: nodes});
  }

  /* The user's own zoom and pan of a graph, kept across redraws.

     Dash redraws a graph with Plotly.react and a new figure; Plotly keeps the
     user's zoom only for changes it recorded as GUI edits, and scroll zoom is
     not recorded (seen: every filter put the view back). So each graph's view
     is watched here and written into the next figure. */
  const userViews = {}; // graph id -> {revision, x, y} while the user has zoomed or panned

  function watchView(graphId) {
    const gd = document.querySelector("#" + graphId + " .js-plotly-plot");
    if (!gd || !gd.on || gd.rsWatched) return;
    gd.rsWatched = true;
    gd.on("plotly_relayout", (event) => {
      if (!event) return;
      if (event["xaxis.autorange"] || event["yaxis.autorange"]) {
        delete userViews[graphId];
      } else if ("xaxis.range[0]" in event || "xaxis.range" in event || "yaxis.range[0]" in event) {
        const full = gd._fullLayout;
        userViews[graphId] = {revision: gd.layout.uirevision, x: full.xaxis.range.slice(), y: full.yaxis.range.slice()};
      }
    });
  }

  /* Put the user's view (if any, for this revision) into a layout about to be drawn. */
  function keepView(graphId, layout) {
    watchView(graphId);
    const view = userViews[graphId];
    if (!view || view.revision !== layout.uirevision) return layout;
    layout.xaxis = Object.assign({}, layout.xaxis, {range: view.x, autorange: false});
    layout.yaxis = Object.assign({}, layout.yaxis, {range: view.y, autorange: false});
    return layout;
  }

  /* The drag mode the user chose in a graph's mode bar: a redraw must not reset it. */
  function currentDragmode(graphId, fallback) {
    // gd.layout.dragmode is ours from the last redraw or the user's mode-bar choice;
    // an empty graph (before the first figure) has none and gets the fallback.
    const gd = document.querySelector("#" + graphId + " .js-plotly-plot");
    return (gd && gd.layout && gd.layout.dragmode) || fallback;
  }

  function html(type, props) {
    return {type, namespace: "dash_html_components", props};
  }

  /* Labels of the grid's selectedRows prop: rows from the grid, or {ids} set by a callback. */
  function selectedLabels(selected) {
    if (!selected) return [];
    if (Array.isArray(selected)) return selected.map((row) => String(row.label));
    if (Array.isArray(selected.ids)) return selected.ids.map(String);
    return [];
  }

  function span(children, className) {
    return {type: "Span", namespace: "dash_html_components", props: {children, className}};
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    regionscope: {
      renderOverlay: async function (labelMap, colors, rows, mode, selected, shown) {
        if (!labelMap || !colors || labelMap.dataset !== colors.dataset) return noUpdate();
        const decoded = await decodeLabelMap(labelMap);
        const palette = paletteOf(colors);
        const visible = visibleOf(palette, rows, selected);
        const key = [labelMap.url.length, labelMap.revision, colors.key, mode, signature(visible)].join("|");
        state.current = {decoded, palette, visible, step: labelMap.step || 1};
        // Compare with what the store holds, not with a variable here: Dash
        // drops the result of a call that a newer call overtook.
        if (shown && shown.key === key) return noUpdate();
        return {dataset: labelMap.dataset, key, url: drawOverlay(decoded, palette, visible, mode, labelMap.halo)};
      },

      /* The figure from its parts; the only writer of the figure (see callbacks.py). */
      composeFigure: function (skeleton, picture, colors, overlay, highlight, opacity, detail, plane, channel) {
        if (!skeleton) return noUpdate();
        const id = skeleton.dataset;
        const base = skeleton.figure;
        const image = Object.assign({}, base.data[0]);
        if (picture && picture.dataset === id) image.source = picture.source;
        const colorbar = Object.assign({}, base.data[1]);
        if (colors && colors.dataset === id) colorbar.marker = colors.marker;
        const layer = Object.assign({}, base.layout.images[0]);
        if (overlay && overlay.dataset === id) layer.source = overlay.url;
        if (opacity !== null && opacity !== undefined) layer.opacity = opacity;
        const layout = Object.assign({}, base.layout, {
          images: [layer], shapes: [], dragmode: currentDragmode(ID.GRAPH, base.layout.dragmode),
        });
        // The focus outline shows only while its region does: not once it is
        // excluded or filtered out (the overlay is redrawn then, and so is this).
        if (highlight && highlight.dataset === id && regionShown(highlight.label)) layout.shapes = highlight.shapes;
        const zoom = highlight && highlight.dataset === id ? highlight.zoom : null;
        if (zoom && zoom.id !== state.appliedZoom) {
          // A zoom to a row, once per request; from then on it is the user's view.
          state.appliedZoom = zoom.id;
          userViews[ID.GRAPH] = {revision: layout.uirevision, x: zoom.x, y: zoom.y};
        }
        keepView(ID.GRAPH, layout);
        const data = [image, colorbar];
        const sameView = detail && detail.plane === (plane || 0) && String(detail.channel) === String(channel ?? "composite");
        if (detail && detail.dataset === id && sameView) {
          // Full-resolution pixels of the zoomed window, above the strided picture.
          data.push(Object.assign({}, base.data[0], {source: detail.source, x0: detail.x0, y0: detail.y0, dx: 1, dy: 1, name: "detail"}));
        }
        return {data, layout};
      },

      showHover: function (hoverData, columns) {
        const label = labelAt(hoverData);
        const api = gridApi();
        const previous = state.hovered;
        state.hovered = label;
        if (api && previous !== label) redrawRows(api, [previous, label]);
        if (label === null) return "Hover over a region to see its properties.";
        const node = api && api.getRowNode(label + "");
        if (node) api.ensureNodeVisible(node, "middle");
        const data = (node && node.data) || {label};
        const parts = (columns && columns.length ? columns : ["label"]).map((column) =>
          span([span(column + " ", "rs-key"), span(formatValue(data[column]), "rs-value")], "rs-pair"));
        return parts;
      },

      clickImage: function (clickData) {
        const label = labelAt(clickData);
        if (label === null) return [noUpdate(), noUpdate(), noUpdate()];
        const rowId = label + "";
        return [{label, source: "image", time: Date.now()}, {ids: [rowId]}, {rowId, rowPosition: "middle"}];
      },

      /* Box or lasso on the image: the shown regions whose centroid is inside.
         Shift held adds them to the current selection. */
      selectInImage: function (selectedData, rows, selected) {
        const test = selectionTest(selectedData);
        if (!test || !rows || !rows.length) return noUpdate();
        const [rowKey, colKey] = centroidColumns(rows[0]);
        // In a stack, only regions that have pixels in the shown plane can be drawn around.
        const current = state.current;
        const present = current && "centroid-2" in rows[0] ? rowsInPlane(current.decoded, current.palette.labels.length) : null;
        const ids = new Set(state.shift ? selectedLabels(selected).map(String) : []);
        for (const row of rows) {
          if (present && !present[current.palette.indexOf.get(String(row.label)) || 0]) continue;
          if (test(row[colKey], row[rowKey])) ids.add(row.label + "");
        }
        return {ids: Array.from(ids)};
      },

      clickRow: function (cell) {
        if (!cell || cell.rowId === null || cell.rowId === undefined) return noUpdate();
        if (cell.colId === "ag-Grid-SelectionColumn") return noUpdate();
        return {label: cell.rowId, source: "table", time: cell.timestamp || Date.now()};
      },

      showFocus: function (focus) {
        const previous = state.focused;
        state.focused = focus ? String(focus.label) : null;
        const api = gridApi();
        if (api) redrawRows(api, [previous, state.focused]);
        return state.focused;
      },

      applyExternalFilter: function (queryResult, excluded, dataset, _rows, gates) {
        const id = dataset && dataset.id;
        state.query = queryResult && queryResult.labels ? new Set(queryResult.labels.map(String)) : null;
        state.excluded = new Set(excluded && excluded.dataset === id ? excluded.labels.map(String) : []);
        state.gates = (gates && gates[id]) || [];
        if (window.dash_ag_grid && window.dash_ag_grid.getApiAsync) {
          window.dash_ag_grid.getApiAsync(ID.GRID).then((api) => api.onFilterChanged());
        }
        return Date.now();
      },

      showCount: function (rows, _applied, allRows) {
        const total = allRows ? allRows.length : 0;
        let excluded = 0;
        if (allRows && state.excluded.size) {
          for (const row of allRows) if (state.excluded.has(String(row.label))) excluded++;
        }
        const shown = rows ? rows.length : total - excluded;
        const text = shown + " of " + (total - excluded) + " regions shown";
        return excluded ? text + " · " + excluded + " excluded" : text;
      },

      /* The labels an export of "shown" or "selected" regions means. */
      exportScope: function (rows, selected) {
        return {visible: (rows || []).map((row) => row.label), selected: selectedLabels(selected)};
      },

      exportClassOptions: function (classes) {
        const names = ((classes && classes.classes) || []).map((cls) => cls.name);
        return [{label: "any", value: ""}].concat(names.map((name) => ({label: name, value: name})));
      },

      /* A session file's gates, applied once per browser (not again on reload). */
      applySession: function (session, gates) {
        if (!session || !session.token) return noUpdate();
        const key = "regionscope-session-applied";
        if (window.localStorage.getItem(key) === session.token) return noUpdate();
        window.localStorage.setItem(key, session.token);
        return Object.assign({}, gates, {[session.dataset]: session.gates || []});
      },

      /* A new class is offered the next palette colour no class has (chosen by the server). */
      nextClassColor: function (classes) {
        return (classes && classes.next_color) || noUpdate();
      },

      /* One button per class: key number, colour, name and how many regions have it. */
      showClasses: function (classes) {
        if (!classes || !classes.classes || !classes.classes.length) {
          return html("Span", {className: "rs-control-label", children: "none yet"});
        }
        const counts = {};
        for (const name of Object.values(classes.assignments || {})) counts[name] = (counts[name] || 0) + 1;
        return classes.classes.map((cls, k) => html("Button", {
          id: {type: ID.CLASS_ASSIGN, index: cls.name},
          className: "rs-class-button",
          title: `give the selected regions the class ${cls.name}` + (k < 9 ? ` (key ${k + 1})` : ""),
          n_clicks: 0,
          children: [
            html("Span", {className: "rs-class-swatch", style: {background: cls.color}}),
            (k < 9 ? `${k + 1} ` : "") + `${cls.name} (${counts[cls.name] || 0})`,
          ],
        }));
      },

      /* The grid's class column follows the server's assignments (changed rows only). */
      classColumn: function (classes) {
        const api = gridApi();
        if (!api || !classes) return noUpdate();
        const assignments = classes.assignments || {};
        const update = [];
        api.forEachNode((node) => {
          const wanted = assignments[node.data.label] ?? null;
          if ((node.data.class ?? null) !== wanted) update.push(Object.assign({}, node.data, {class: wanted}));
        });
        return update.length ? {update} : noUpdate();
      },

      clearFilters: function (_clicks, gates, dataset) {
        const copy = Object.assign({}, gates);
        delete copy[dataset && dataset.id];
        return [{}, "", copy];
      },

      /* The feature plot: the shown rows, coloured like the overlay; selected rows stand out. */
      composePlot: async function (rows, x, y, log, colors, selected, open, dataset) {
        if (!rows || !x || !y) return noUpdate();
        if (open === false) return noUpdate(); // drawn when the panel is opened
        // Let the image's overlay go first: the plot is the slower redraw.
        await new Promise((resolve) => setTimeout(resolve, 40));
        const histogram = y === "(histogram)";
        const palette = colors ? paletteOf(colors) : null;
        const xs = new Array(rows.length);
        const ys = histogram ? null : new Array(rows.length);
        const labels = new Array(rows.length);
        const pointColors = new Array(rows.length);
        const chosen = new Set(selectedLabels(selected));
        const selectedPoints = [];
        for (let k = 0; k < rows.length; k++) {
          const row = rows[k];
          xs[k] = row[x];
          if (!histogram) ys[k] = row[y];
          labels[k] = row.label;
          if (chosen.has(String(row.label))) selectedPoints.push(k);
          const i = palette && palette.indexOf.get(String(row.label));
          pointColors[k] = i ? `rgb(${palette.rgb[3 * i - 3]},${palette.rgb[3 * i - 2]},${palette.rgb[3 * i - 1]})` : "#4a6fa5";
        }
        const logs = log || [];
        const trace = histogram
          ? {type: "histogram", x: xs, marker: {color: "#4a6fa5"}, nbinsx: 60}
          : {
            type: "scattergl", mode: "markers", x: xs, y: ys, customdata: labels,
            marker: {color: pointColors, size: rows.length > 20000 ? 3 : 6},
            selectedpoints: chosen.size ? selectedPoints : null,
            selected: {marker: {opacity: 1}}, unselected: {marker: {opacity: 0.25}},
            hovertemplate: `label %{customdata}<br>${x} %{x}<br>${y} %{y}<extra></extra>`,
          };
        return {
          data: [trace],
          layout: keepView(ID.PLOT, {
            margin: {l: 55, r: 10, t: 10, b: 40},
            xaxis: {title: {text: x}, type: logs.includes("x") ? "log" : "linear"},
            yaxis: {title: {text: histogram ? "regions" : y}, type: logs.includes("y") && !histogram ? "log" : "linear"},
            dragmode: currentDragmode(ID.PLOT, "select"),
            uirevision: [dataset && dataset.id, x, y, logs.join()].join("|"),
            selectionrevision: [dataset && dataset.id, x, y, logs.join()].join("|"),
            plot_bgcolor: "#fafbfc",
            showlegend: false,
          }),
        };
      },

      /* Box or lasso in the plot selects those regions (Shift adds); kept for "Keep as gate". */
      selectInPlot: function (selectedData, rows, selected, x, y) {
        const histogram = y === "(histogram)";
        const gate = gateFromSelection(selectedData, x, y, histogram);
        if (!selectedData) state.plotSelection = null; // the selection was cleared (double-click)
        if (!gate || !rows) return noUpdate();
        state.plotSelection = gate;
        const ids = new Set(state.shift ? selectedLabels(selected).map(String) : []);
        for (const row of rows) if (gatePasses(gate, row)) ids.add(row.label + "");
        return {ids: Array.from(ids)};
      },

      keepGate: function (_clicks, gates, dataset) {
        const id = dataset && dataset.id;
        if (!id) return noUpdate();
        if (!state.plotSelection) {
          notify("Draw a box or lasso in the feature plot first; Keep selection as gate then keeps it as a filter.");
          return noUpdate();
        }
        const kept = ((gates && gates[id]) || []).concat([state.plotSelection]);
        state.plotSelection = null;
        return Object.assign({}, gates, {[id]: kept});
      },

      removeGate: function (clicks, gates, dataset) {
        const id = dataset && dataset.id;
        const triggered = window.dash_clientside.callback_context.triggered;
        if (!id || !triggered.length || !triggered[0].value) return noUpdate();
        const which = JSON.parse(triggered[0].prop_id.split(".")[0]).index;
        const kept = ((gates && gates[id]) || []).filter((_, k) => k !== which);
        return Object.assign({}, gates, {[id]: kept});
      },

      /* "z 16 / 31": the shown plane, counted from 1 as in Fiji and the file's own numbering. */
      planeLabel: function (plane, max) {
        return `z ${(plane || 0) + 1} / ${(max || 0) + 1}`;
      },

      /* The "How to use" dialog: shown by its button, hidden by Close (Esc: below). */
      toggleHelp: function () {
        const triggered = window.dash_clientside.callback_context.triggered;
        const opened = triggered.some((t) => t.prop_id.startsWith(ID.HELP_OPEN));
        return !opened;
      },

      /* Every active filter, in words; gates can be removed here. */
      /* Only what applies is listed: a query with a mistake is not (its error shows by the box). */
      listFilters: function (queryResult, filterModel, gates, excluded, dataset) {
        const id = dataset && dataset.id;
        const chips = [];
        if (queryResult && queryResult.dataset === id && queryResult.text) {
          chips.push(html("Span", {className: "rs-chip", children: "query: " + queryResult.text}));
        }
        for (const [column, model] of Object.entries(filterModel || {})) {
          chips.push(html("Span", {className: "rs-chip", children: describeColumnFilter(column, model)}));
        }
        ((gates && gates[id]) || []).forEach((gate, k) => {
          chips.push(html("Span", {
            className: "rs-chip rs-gate",
            children: [describeGate(gate), html("Button", {
              id: {type: ID.GATE_REMOVE, index: k}, children: "×", title: "remove this gate", n_clicks: 0,
            })],
          }));
        });
        const count = excluded && excluded.dataset === id ? excluded.labels.length : 0;
        if (count) chips.push(html("Span", {className: "rs-chip", children: count + " excluded"}));
        return chips;
      },
    },
  });

  /* Shift held when a box or lasso starts adds to the selection. Plotly's event
     does not say, and the callback runs after the key may be released, so the
     state is taken when the drag begins. */
  window.addEventListener("mousedown", (event) => {
    if (event.rsForwarded) return;
    state.shift = event.shiftKey;
    // Plotly's own Shift mode merges with selections that a redraw has cleared
    // and then reports no shape at all: hand it the press without Shift.
    if (event.shiftKey && event.target.closest && event.target.closest("#" + ID.GRAPH + ", #" + ID.PLOT)) {
      event.stopImmediatePropagation();
      event.preventDefault();
      const plain = new MouseEvent("mousedown", {
        bubbles: true, cancelable: true, view: window, detail: event.detail,
        screenX: event.screenX, screenY: event.screenY, clientX: event.clientX, clientY: event.clientY,
        button: event.button, buttons: event.buttons, shiftKey: false,
        ctrlKey: event.ctrlKey, altKey: event.altKey, metaKey: event.metaKey,
      });
      plain.rsForwarded = true;
      event.target.dispatchEvent(plain);
    }
  }, true);

  /* A file input keeps its file after an upload, and the browser fires no
     change when the same file is chosen again: the upload would be silently
     ignored (seen after a refused mask). Empty the input once the upload
     component has taken the file (it reads the File objects, which stay valid). */
  window.addEventListener("change", (event) => {
    const input = event.target;
    if (input && input.type === "file" && input.closest && input.closest(".rs-upload")) {
      setTimeout(() => { input.value = ""; }, 0);
    }
  }, true);

  /* Plotly reads the pixel under the cursor of an image trace from a canvas it
     makes once the picture has loaded; a hover before then throws on every
     mouse move ("reading 'el'", seen on a loaded machine). Plotly gives the
     trace's <image> its href when that canvas is ready, so moves over the graph
     wait until every image trace has one. */
  window.addEventListener("mousemove", (event) => {
    const graph = event.target && event.target.closest && event.target.closest("#" + ID.GRAPH);
    if (!graph) return;
    for (const image of graph.querySelectorAll(".imagelayer.mlayer .im image")) {
      if (!image.hasAttribute("href") && !image.hasAttribute("xlink:href")) {
        event.stopImmediatePropagation();
        return;
      }
    }
  }, true);

  /* Esc closes the "How to use" dialog. */
  window.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const help = document.getElementById(ID.HELP);
    if (help && !help.hidden) window.dash_clientside.set_props(ID.HELP, {hidden: true});
  });

  /* Number keys 1-9 give the selected regions that class (not while typing). */
  window.addEventListener("keydown", (event) => {
    const target = event.target;
    const typing = target && (target.isContentEditable || ["TEXTAREA", "SELECT"].includes(target.tagName)
      || (target.tagName === "INPUT" && !["checkbox", "radio", "button"].includes(target.type)));
    if (typing || event.ctrlKey || event.metaKey || event.altKey || !/^[1-9]$/.test(event.key)) return;
    window.dash_clientside.set_props(ID.CLASS_KEY, {data: {key: Number(event.key), time: Date.now()}});
  });

  /* A callback request the server refused or failed (413 too large, 403 not logged in, 500) is said
     in the page's notice: Dash itself reports these only in its debug tools. */
  const originalFetch = window.fetch;
  window.fetch = async function (...args) {
    const response = await originalFetch.apply(this, args);
    const url = String((args[0] && args[0].url) || args[0]);
    if (!response.ok && url.includes("_dash-update-component")) {
      let text = "";
      if ((response.headers.get("Content-Type") || "").startsWith("text/plain")) {
        try {
          text = (await response.clone().text()).trim().slice(0, 400);
        } catch (error) {
          text = "";
        }
      }
      let message = text || `The server answered ${response.status}; the page keeps what it showed.`;
      if (response.status === 413 && !text.startsWith("The request is larger")) {
        // waitress refuses an oversized body before the app sees it, with its own words.
        message = "The upload is larger than this server accepts; open files that large from the command line "
          + "(regionscope view IMAGE --labels MASK).";
      }
      window.dash_clientside.set_props(ID.NOTICE, {children: span(message, "rs-error")});
    }
    return response;
  };

  /* A read-only look at this page's state, for tests and benchmarks. */
  window.regionscope = {state};

  /* Functions the grid evaluates (dashGridOptions / rowClassRules). */
  const gridFunctions = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});
  gridFunctions.rsExternalFilterPresent = function () {
    return state.query !== null || state.excluded.size > 0 || state.gates.length > 0;
  };
  gridFunctions.rsExternalFilterPasses = function (node) {
    const label = String(node.data.label);
    if (state.excluded.has(label)) return false;
    if (state.query !== null && !state.query.has(label)) return false;
    return state.gates.every((gate) => gatePasses(gate, node.data));
  };
  gridFunctions.rsIsHovered = function (params) {
    return Boolean(params.data) && String(params.data.label) === state.hovered;
  };
  gridFunctions.rsIsFocused = function (params) {
    return Boolean(params.data) && String(params.data.label) === state.focused;
  };
})();
