/*
 * regionscope: the clientside callbacks of the explorer (window.dash_clientside.regionscope).
 *
 * Why here and not on the server: hover, the overlay and the grid's filter
 * react within tens of milliseconds only without a round trip. The server
 * sends, once per plane, a label-index PNG (pixel value i + 1 = table row i);
 * this file decodes it, finds the region under the cursor, and draws the
 * overlay (outlines or fills coloured per region) for the rows the grid shows.
 *
 * Every callback gets its explorer's rs-explorer store ({prefix}) last
 * (regionscope.app.clientside_callbacks) and names components only through
 * regionscopeIds.scoped(prefix). Store payloads are declared in
 * regionscope/app/stores.py. The pure parts live in regionscope-raster.js,
 * regionscope-filters.js, regionscope-view.js and regionscope-explorers.js
 * (Node-tested); document-wide handlers in regionscope-keys.js.
 */
(function () {
  "use strict";

  const {paintableCopy, signature, paletteFrom, selectedLabels, visibleOf, paintOverlay, labelAtPoint, regionShown,
    rowsInPlane} = window.regionscopeRaster;
  const {selectionTest, gateFromSelection, gatePasses, describeColumnFilter, describeGate, centroidColumns,
    formatValue} = window.regionscopeFilters;
  const {keepView, setView, currentDragmode} = window.regionscopeView;
  const {stateOf, prefixOf, takeFilters} = window.regionscopeExplorers;
  const idsOf = (explorer) => window.regionscopeIds.scoped(prefixOf(explorer));

  /* Memos of what was computed from stores, keyed by what the stores say (never state between callbacks):
     decoded label maps by url, palettes by colour key, drawn overlays by the rs-overlay key. */
  const MAX_CACHED_MAPS = 4;
  const labelMaps = new Map(); // label-map url -> decoded {index, width, height, paint}
  const palettes = new Map(); // colours key -> paletteFrom(colors)
  const drawn = new Map(); // rs-overlay key -> {decoded, palette, visible, step}

  function remember(memo, key, value, size) {
    memo.delete(key);
    memo.set(key, value);
    while (memo.size > size) memo.delete(memo.keys().next().value);
    return value;
  }

  function noUpdate() {
    return window.dash_clientside.no_update;
  }

  async function decodeLabelMap(labelMap) {
    const cached = labelMaps.get(labelMap.url);
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
    return remember(labelMaps, labelMap.url, decoded, MAX_CACHED_MAPS);
  }

  function paletteOf(colors) {
    return palettes.get(colors.key) || remember(palettes, colors.key, paletteFrom(colors), 4);
  }

  function overlayPicture(decoded, palette, visible, mode, halo) {
    const {width, height} = decoded.paint;
    const picture = new ImageData(paintOverlay(decoded.paint, palette.rgb, visible, mode, halo), width, height);
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    canvas.getContext("2d").putImageData(picture, 0, 0);
    return canvas.toDataURL("image/png");
  }

  /* The drawn overlay an rs-overlay store names (what hover and click resolve against), or null. */
  function drawnOverlay(overlay) {
    return (overlay && drawn.get(overlay.key)) || null;
  }

  /* The label of the visible region at a Plotly hover/click point, or null. */
  function labelAt(eventData, overlay) {
    if (!eventData || !eventData.points || !eventData.points.length) return null;
    const point = eventData.points[0];
    return labelAtPoint(drawnOverlay(overlay), point.x, point.y);
  }

  function notify(ids, text) {
    window.dash_clientside.set_props(ids.NOTICE, {children: html("Span", {className: "rs-error", children: text})});
  }

  function gridApi(ids) {
    try {
      return window.dash_ag_grid.getApi(ids.GRID);
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

  function html(type, props) {
    return {type, namespace: "dash_html_components", props};
  }

  function span(children, className) {
    return {type: "Span", namespace: "dash_html_components", props: {children, className}};
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    regionscope: {
      renderOverlay: async function (labelMap, colors, rows, mode, selected, shown, _explorer) {
        if (!labelMap || !colors || labelMap.dataset !== colors.dataset) return noUpdate();
        const decoded = await decodeLabelMap(labelMap);
        const palette = paletteOf(colors);
        const visible = visibleOf(palette, rows, selected);
        const key = [labelMap.url.length, labelMap.revision, colors.key, mode, signature(visible)].join("|");
        // Hover and click find what this overlay shows by the key the rs-overlay store holds.
        remember(drawn, key, {decoded, palette, visible, step: labelMap.step || 1}, 8);
        // Compare with what the store holds, not with a variable here: Dash
        // drops the result of a call that a newer call overtook.
        if (shown && shown.key === key) return noUpdate();
        return {dataset: labelMap.dataset, key, url: overlayPicture(decoded, palette, visible, mode, labelMap.halo)};
      },

      /* The figure from its parts; the only writer of the figure (see regionscope/app/explorer.py). */
      composeFigure: function (skeleton, picture, colors, overlay, highlight, opacity, detail, plane, channel, explorer) {
        if (!skeleton) return noUpdate();
        const ids = idsOf(explorer);
        const state = stateOf(prefixOf(explorer));
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
          images: [layer], shapes: [], dragmode: currentDragmode(ids.GRAPH, base.layout.dragmode),
        });
        // The focus outline shows only while its region does: not once it is
        // excluded or filtered out (the overlay is redrawn then, and so is this).
        if (highlight && highlight.dataset === id && regionShown(drawnOverlay(overlay), highlight.label)) layout.shapes = highlight.shapes;
        const zoom = highlight && highlight.dataset === id ? highlight.zoom : null;
        if (zoom && zoom.id !== state.appliedZoom) {
          // A zoom to a row, once per request; from then on it is the user's view.
          state.appliedZoom = zoom.id;
          setView(ids.GRAPH, {revision: layout.uirevision, x: zoom.x, y: zoom.y});
        }
        keepView(ids.GRAPH, layout);
        const data = [image, colorbar];
        const sameView = detail && detail.plane === (plane || 0) && String(detail.channel) === String(channel ?? "composite");
        if (detail && detail.dataset === id && sameView) {
          // Full-resolution pixels of the zoomed window, above the strided picture.
          data.push(Object.assign({}, base.data[0], {source: detail.source, x0: detail.x0, y0: detail.y0, dx: 1, dy: 1, name: "detail"}));
        }
        return {data, layout};
      },

      showHover: function (hoverData, columns, overlay, explorer) {
        const state = stateOf(prefixOf(explorer));
        const label = labelAt(hoverData, overlay);
        const api = gridApi(idsOf(explorer));
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

      clickImage: function (clickData, overlay, _explorer) {
        const label = labelAt(clickData, overlay);
        if (label === null) return [noUpdate(), noUpdate(), noUpdate()];
        const rowId = label + "";
        return [{label, source: "image", time: Date.now()}, {ids: [rowId]}, {rowId, rowPosition: "middle"}];
      },

      /* Box or lasso on the image: the shown regions whose centroid is inside.
         Shift held adds them to the current selection. */
      selectInImage: function (selectedData, rows, selected, overlay, explorer) {
        const state = stateOf(prefixOf(explorer));
        const test = selectionTest(selectedData);
        if (!test || !rows || !rows.length) return noUpdate();
        const [rowKey, colKey] = centroidColumns(rows[0]);
        // In a stack, only regions that have pixels in the shown plane can be drawn around.
        const current = drawnOverlay(overlay);
        const present = current && "centroid-2" in rows[0] ? rowsInPlane(current.decoded, current.palette.labels.length) : null;
        const ids = new Set(state.shift ? selectedLabels(selected).map(String) : []);
        for (const row of rows) {
          if (present && !present[current.palette.indexOf.get(String(row.label)) || 0]) continue;
          if (test(row[colKey], row[rowKey])) ids.add(row.label + "");
        }
        return {ids: Array.from(ids)};
      },

      clickRow: function (cell, _explorer) {
        if (!cell || cell.rowId === null || cell.rowId === undefined) return noUpdate();
        if (cell.colId === "ag-Grid-SelectionColumn") return noUpdate();
        return {label: cell.rowId, source: "table", time: cell.timestamp || Date.now()};
      },

      showFocus: function (focus, explorer) {
        const state = stateOf(prefixOf(explorer));
        const previous = state.focused;
        state.focused = focus ? String(focus.label) : null;
        const api = gridApi(idsOf(explorer));
        if (api) redrawRows(api, [previous, state.focused]);
        return state.focused;
      },

      /* The grid's external filter (regionscope-grid.js) takes the query, exclusions and gates from here. */
      applyExternalFilter: function (queryResult, excluded, dataset, _rows, gates, explorer) {
        takeFilters(stateOf(prefixOf(explorer)), dataset && dataset.id, queryResult, excluded, gates);
        if (window.dash_ag_grid && window.dash_ag_grid.getApiAsync) {
          window.dash_ag_grid.getApiAsync(idsOf(explorer).GRID).then((api) => api.onFilterChanged());
        }
        return Date.now();
      },

      showCount: function (rows, _applied, allRows, explorer) {
        const state = stateOf(prefixOf(explorer));
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
      exportScope: function (rows, selected, _explorer) {
        return {visible: (rows || []).map((row) => row.label), selected: selectedLabels(selected)};
      },

      exportClassOptions: function (classes, _explorer) {
        const names = ((classes && classes.classes) || []).map((cls) => cls.name);
        return [{label: "any", value: ""}].concat(names.map((name) => ({label: name, value: name})));
      },

      /* A session file's gates, applied once per browser (not again on reload). */
      applySession: function (session, gates, explorer) {
        if (!session || !session.token) return noUpdate();
        const prefix = prefixOf(explorer);
        const key = "regionscope-session-applied" + (prefix ? "-" + prefix : "");
        if (window.localStorage.getItem(key) === session.token) return noUpdate();
        window.localStorage.setItem(key, session.token);
        return Object.assign({}, gates, {[session.dataset]: session.gates || []});
      },

      /* A new class is offered the next palette colour no class has (chosen by the server). */
      nextClassColor: function (classes, _explorer) {
        return (classes && classes.next_color) || noUpdate();
      },

      /* One button per class: key number, colour, name and how many regions have it. */
      showClasses: function (classes, explorer) {
        const ids = idsOf(explorer);
        if (!classes || !classes.classes || !classes.classes.length) {
          return html("Span", {className: "rs-control-label", children: "none yet"});
        }
        const counts = {};
        for (const name of Object.values(classes.assignments || {})) counts[name] = (counts[name] || 0) + 1;
        return classes.classes.map((cls, k) => html("Button", {
          id: {type: ids.CLASS_ASSIGN, index: cls.name},
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
      classColumn: function (classes, explorer) {
        const api = gridApi(idsOf(explorer));
        if (!api || !classes) return noUpdate();
        const assignments = classes.assignments || {};
        const update = [];
        api.forEachNode((node) => {
          const wanted = assignments[node.data.label] ?? null;
          if ((node.data.class ?? null) !== wanted) update.push(Object.assign({}, node.data, {class: wanted}));
        });
        return update.length ? {update} : noUpdate();
      },

      /* "Review uncertain": the regions without a class of their own (the query the server
         names in rs-model, a Model), sorted least certain prediction first. */
      reviewUncertain: function (_clicks, model, explorer) {
        if (!model || !model.id) {
          window.dash_clientside.set_props(idsOf(explorer).NOTICE, {
            children: html("Span", {className: "rs-error", children: "Train a classifier first: there is nothing to review."}),
          });
          return noUpdate();
        }
        const api = gridApi(idsOf(explorer));
        if (api) {
          api.applyColumnState({state: [{colId: "predicted_probability", sort: "asc"}], defaultState: {sort: null}});
        }
        return model.review;
      },

      clearFilters: function (_clicks, gates, dataset, _explorer) {
        const copy = Object.assign({}, gates);
        delete copy[dataset && dataset.id];
        return [{}, "", copy];
      },

      /* The feature plot: the shown rows, coloured like the overlay; selected rows stand out. */
      composePlot: async function (rows, x, y, log, colors, selected, open, dataset, explorer) {
        const ids = idsOf(explorer);
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
          layout: keepView(ids.PLOT, {
            margin: {l: 55, r: 10, t: 10, b: 40},
            xaxis: {title: {text: x}, type: logs.includes("x") ? "log" : "linear"},
            yaxis: {title: {text: histogram ? "regions" : y}, type: logs.includes("y") && !histogram ? "log" : "linear"},
            dragmode: currentDragmode(ids.PLOT, "select"),
            uirevision: [dataset && dataset.id, x, y, logs.join()].join("|"),
            selectionrevision: [dataset && dataset.id, x, y, logs.join()].join("|"),
            plot_bgcolor: "#fafbfc",
            showlegend: false,
          }),
        };
      },

      /* Box or lasso in the plot selects those regions (Shift adds); kept for "Keep as gate". */
      selectInPlot: function (selectedData, rows, selected, x, y, explorer) {
        const state = stateOf(prefixOf(explorer));
        const histogram = y === "(histogram)";
        const gate = gateFromSelection(selectedData, x, y, histogram);
        if (!selectedData) state.plotSelection = null; // the selection was cleared (double-click)
        if (!gate || !rows) return noUpdate();
        state.plotSelection = gate;
        const ids = new Set(state.shift ? selectedLabels(selected).map(String) : []);
        for (const row of rows) if (gatePasses(gate, row)) ids.add(row.label + "");
        return {ids: Array.from(ids)};
      },

      keepGate: function (_clicks, gates, dataset, explorer) {
        const state = stateOf(prefixOf(explorer));
        const id = dataset && dataset.id;
        if (!id) return noUpdate();
        if (!state.plotSelection) {
          notify(idsOf(explorer), "Draw a box or lasso in the feature plot first; Keep selection as gate then keeps it as a filter.");
          return noUpdate();
        }
        const kept = ((gates && gates[id]) || []).concat([state.plotSelection]);
        state.plotSelection = null;
        return Object.assign({}, gates, {[id]: kept});
      },

      removeGate: function (clicks, gates, dataset, _explorer) {
        const id = dataset && dataset.id;
        const triggered = window.dash_clientside.callback_context.triggered;
        if (!id || !triggered.length || !triggered[0].value) return noUpdate();
        const which = JSON.parse(triggered[0].prop_id.split(".")[0]).index;
        const kept = ((gates && gates[id]) || []).filter((_, k) => k !== which);
        return Object.assign({}, gates, {[id]: kept});
      },

      /* "z 16 / 31": the shown plane, counted from 1 as in Fiji and the file's own numbering. */
      planeLabel: function (plane, max, _explorer) {
        return `z ${(plane || 0) + 1} / ${(max || 0) + 1}`;
      },

      /* The "How to use" dialog: shown by its button, hidden by Close (Esc: below). */
      toggleHelp: function (_open, _close, explorer) {
        const triggered = window.dash_clientside.callback_context.triggered;
        const opened = triggered.some((t) => t.prop_id === idsOf(explorer).HELP_OPEN + ".n_clicks");
        return !opened;
      },

      /* Every active filter, in words; gates can be removed here. */
      /* Only what applies is listed: a query with a mistake is not (its error shows by the box). */
      listFilters: function (queryResult, filterModel, gates, excluded, dataset, explorer) {
        const ids = idsOf(explorer);
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
              id: {type: ids.GATE_REMOVE, index: k}, children: "×", title: "remove this gate", n_clicks: 0,
            })],
          }));
        });
        const count = excluded && excluded.dataset === id ? excluded.labels.length : 0;
        if (count) chips.push(html("Span", {className: "rs-chip", children: count + " excluded"}));
        return chips;
      },
    },
  });

})();
