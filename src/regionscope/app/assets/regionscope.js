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

  const GRID_ID = "rs-grid";
  const MAX_CACHED_MAPS = 4;

  const state = {
    labelMaps: new Map(), // label-map url -> decoded {index, boundary, width, height}
    palette: null, // {key, labels: Int32Array, rgb: Uint8Array, indexOf: Map(label -> i + 1)}
    current: null, // {decoded, palette, visible} of the overlay on screen
    hovered: null, // label under the cursor
    focused: null, // label outlined after a click
    query: null, // Set of labels passing the query box, or null
    excluded: new Set(), // labels excluded for the shown dataset
  };

  function noUpdate() {
    return window.dash_clientside.no_update;
  }

  function decodeBase64(text, ArrayType) {
    const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
    return new ArrayType(bytes.buffer, 0, bytes.byteLength / ArrayType.BYTES_PER_ELEMENT);
  }

  /* Pixels within `width` steps of another region or the background. */
  function boundaryOf(index, w, h, width) {
    let boundary = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const p = y * w + x;
        const v = index[p];
        if (!v) continue;
        if (x === 0 || y === 0 || x === w - 1 || y === h - 1 ||
            index[p - 1] !== v || index[p + 1] !== v || index[p - w] !== v || index[p + w] !== v) {
          boundary[p] = 1;
        }
      }
    }
    for (let step = 1; step < width; step++) {
      const grown = boundary.slice();
      for (let p = w; p < w * (h - 1); p++) {
        const v = index[p];
        if (!v || boundary[p]) continue;
        if ((boundary[p - 1] && index[p - 1] === v) || (boundary[p + 1] && index[p + 1] === v) ||
            (boundary[p - w] && index[p - w] === v) || (boundary[p + w] && index[p + w] === v)) {
          grown[p] = 1;
        }
      }
      boundary = grown;
    }
    return boundary;
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
    const decoded = {index, boundary: boundaryOf(index, w, h, labelMap.outline || 1), width: w, height: h};
    state.labelMaps.set(labelMap.url, decoded);
    while (state.labelMaps.size > MAX_CACHED_MAPS) {
      state.labelMaps.delete(state.labelMaps.keys().next().value);
    }
    return decoded;
  }

  function paletteOf(colors) {
    if (state.palette && state.palette.key === colors.key) return state.palette;
    const labels = decodeBase64(colors.labels, Int32Array);
    const indexOf = new Map();
    for (let i = 0; i < labels.length; i++) indexOf.set(labels[i], i + 1);
    state.palette = {key: colors.key, dataset: colors.dataset, labels, rgb: decodeBase64(colors.rgb, Uint8Array), indexOf};
    return state.palette;
  }

  function visibleOf(palette, rows) {
    const visible = new Uint8Array(palette.labels.length + 1);
    if (!rows) {
      visible.fill(1);
      return visible;
    }
    for (const row of rows) {
      const i = palette.indexOf.get(row.label);
      if (i) visible[i] = 1;
    }
    return visible;
  }

  function signature(visible) {
    let count = 0;
    let hash = 0;
    for (let i = 1; i < visible.length; i++) {
      if (visible[i]) {
        count++;
        hash = (hash * 31 + i) | 0;
      }
    }
    return count + ":" + hash;
  }

  function drawOverlay(decoded, palette, visible, mode) {
    const {index, boundary, width, height} = decoded;
    const picture = new ImageData(width, height);
    const px = picture.data;
    const rgb = palette.rgb;
    const fillAlpha = mode === "filled" ? 120 : 0;
    for (let p = 0; p < index.length; p++) {
      const i = index[p];
      if (!i || !visible[i]) continue;
      let alpha;
      if (boundary[p]) alpha = 255;
      else if (fillAlpha) alpha = fillAlpha;
      else continue;
      const q = p * 4;
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

  function gridApi() {
    try {
      return window.dash_ag_grid.getApi(GRID_ID);
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

  function formatValue(value) {
    if (value === null || value === undefined) return "–";
    if (typeof value === "number" && !Number.isInteger(value)) return Number(value.toPrecision(4)).toString();
    return String(value);
  }

  function span(children, className) {
    return {type: "Span", namespace: "dash_html_components", props: {children, className}};
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    regionscope: {
      renderOverlay: async function (labelMap, colors, rows, mode, shown) {
        if (!labelMap || !colors || labelMap.dataset !== colors.dataset) return noUpdate();
        const decoded = await decodeLabelMap(labelMap);
        const palette = paletteOf(colors);
        const visible = visibleOf(palette, rows);
        const key = [labelMap.url.length, labelMap.revision, colors.key, mode, signature(visible)].join("|");
        state.current = {decoded, palette, visible, step: labelMap.step || 1};
        // Compare with what the store holds, not with a variable here: Dash
        // drops the result of a call that a newer call overtook.
        if (shown && shown.key === key) return noUpdate();
        return {dataset: labelMap.dataset, key, url: drawOverlay(decoded, palette, visible, mode)};
      },

      /* The figure from its parts; the only writer of the figure (see callbacks.py). */
      composeFigure: function (skeleton, picture, colors, overlay, highlight, opacity) {
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
        const layout = Object.assign({}, base.layout, {images: [layer], shapes: []});
        if (highlight && highlight.dataset === id) {
          layout.shapes = highlight.shapes;
          if (highlight.zoom) state.zoom = Object.assign({dataset: id}, highlight.zoom);
        }
        if (state.zoom && state.zoom.dataset === id) {
          // A new uirevision per zoom request: Plotly applies these ranges once,
          // then keeps the user's own panning and zooming.
          layout.xaxis = Object.assign({}, base.layout.xaxis, {range: state.zoom.x, uirevision: state.zoom.id});
          layout.yaxis = Object.assign({}, base.layout.yaxis, {range: state.zoom.y, uirevision: state.zoom.id});
        }
        return {data: [image, colorbar], layout};
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

      clickRow: function (cell) {
        if (!cell || cell.rowId === null || cell.rowId === undefined) return noUpdate();
        if (cell.colId === "ag-Grid-SelectionColumn") return noUpdate();
        return {label: Number(cell.rowId), source: "table", time: cell.timestamp || Date.now()};
      },

      showFocus: function (focus) {
        const previous = state.focused;
        state.focused = focus ? focus.label : null;
        const api = gridApi();
        if (api) redrawRows(api, [previous, state.focused]);
        return state.focused;
      },

      applyExternalFilter: function (queryResult, excluded, dataset) {
        const id = dataset && dataset.id;
        state.query = queryResult && queryResult.labels ? new Set(queryResult.labels) : null;
        state.excluded = new Set((excluded && excluded[id]) || []);
        if (window.dash_ag_grid && window.dash_ag_grid.getApiAsync) {
          window.dash_ag_grid.getApiAsync(GRID_ID).then((api) => api.onFilterChanged());
        }
        return Date.now();
      },

      showCount: function (rows, _applied, allRows) {
        const total = allRows ? allRows.length : 0;
        let excluded = 0;
        if (allRows && state.excluded.size) {
          for (const row of allRows) if (state.excluded.has(row.label)) excluded++;
        }
        const shown = rows ? rows.length : total - excluded;
        const text = shown + " of " + (total - excluded) + " regions shown";
        return excluded ? text + " · " + excluded + " excluded" : text;
      },

      excludeSelected: function (_clicks, selected, excluded, dataset) {
        const id = dataset && dataset.id;
        if (!id || !selected || !selected.length) return noUpdate();
        const labels = new Set((excluded && excluded[id]) || []);
        for (const row of selected) labels.add(row.label);
        const api = gridApi();
        if (api) api.deselectAll();
        return Object.assign({}, excluded, {[id]: Array.from(labels).sort((a, b) => a - b)});
      },

      restoreAll: function (_clicks, excluded, dataset) {
        const id = dataset && dataset.id;
        const copy = Object.assign({}, excluded);
        delete copy[id];
        return copy;
      },

      clearFilters: function () {
        return [{}, ""];
      },
    },
  });

  /* A read-only look at this page's state, for tests and benchmarks. */
  window.regionscope = {state};

  /* Functions the grid evaluates (dashGridOptions / rowClassRules). */
  const gridFunctions = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});
  gridFunctions.rsExternalFilterPresent = function () {
    return state.query !== null || state.excluded.size > 0;
  };
  gridFunctions.rsExternalFilterPasses = function (node) {
    const label = node.data.label;
    if (state.excluded.has(label)) return false;
    return state.query === null || state.query.has(label);
  };
  gridFunctions.rsIsHovered = function (params) {
    return Boolean(params.data) && params.data.label === state.hovered;
  };
  gridFunctions.rsIsFocused = function (params) {
    return Boolean(params.data) && params.data.label === state.focused;
  };
})();
