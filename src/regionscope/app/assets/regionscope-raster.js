/*
 * regionscope, in the browser: label-index rasters: outlines, the contrasting edge, the painted copy, which
 * regions are visible, the overlay's pixels, the region under a point.
 *
 * Pure functions (arrays and plain objects in, out), shared by the page
 * (window.regionscopeRaster) and the Node unit tests (require); tests/js/ tests them.
 */
(function (root, factory) {
  const api = factory();
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.regionscopeRaster = api;
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  // The overlay is painted at most this many pixels per side: painting and
  // encoding a 4096² overlay on every filter costs 3-4x more, for outlines the
  // screen shows at well under 2048 px anyway. Hover uses the full-size index.
  const MAX_PAINT_SIDE = 2048;

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

  /* For each background pixel next to an outline, that outline's row (i + 1), else 0:
     where the contrasting edge ("halo") is drawn, only for regions shown. */
  function haloOf(index, boundary, w, h) {
    const halo = new Uint32Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const p = y * w + x;
        if (index[p]) continue;
        if (x > 0 && boundary[p - 1]) halo[p] = index[p - 1];
        else if (x < w - 1 && boundary[p + 1]) halo[p] = index[p + 1];
        else if (y > 0 && boundary[p - w]) halo[p] = index[p - w];
        else if (y < h - 1 && boundary[p + w]) halo[p] = index[p + w];
      }
    }
    return halo;
  }

  function withHalo(copy) {
    copy.halo = haloOf(copy.index, copy.boundary, copy.width, copy.height);
    return copy;
  }

  /* The index the overlay is painted from: nearest-sampled to MAX_PAINT_SIDE, with its outlines. */
  function paintableCopy(index, w, h, outline) {
    const step = Math.ceil(Math.max(w, h) / MAX_PAINT_SIDE);
    if (step <= 1) return withHalo({index, width: w, height: h, boundary: boundaryOf(index, w, h, outline)});
    const pw = Math.ceil(w / step);
    const ph = Math.ceil(h / step);
    const small = new Uint32Array(pw * ph);
    for (let y = 0; y < ph; y++) {
      const row = y * step * w;
      for (let x = 0; x < pw; x++) small[y * pw + x] = index[row + x * step];
    }
    return withHalo({index: small, width: pw, height: ph, boundary: boundaryOf(small, pw, ph, Math.max(1, Math.round(outline / step)))});
  }

  function signature(visible) {
    let count = 0;
    let hash = 0;
    for (let i = 1; i < visible.length; i++) {
      if (visible[i]) {
        count++;
        hash = (hash * 31 + i * visible[i]) | 0;
      }
    }
    return count + ":" + hash;
  }

  /* Labels travel as decimal strings here: values above 2**53 do not survive as numbers. */
  function decodeBase64(text, ArrayType) {
    const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
    return new ArrayType(bytes.buffer, 0, bytes.byteLength / ArrayType.BYTES_PER_ELEMENT);
  }

  /* The colours of an rs-overlay-colors store (stores.OverlayColors), decoded:
     {key, dataset, labels: [string], rgb: Uint8Array (3 per row), indexOf: Map(label -> row + 1)}. */
  function paletteFrom(colors) {
    const labels = colors.labels.map(String);
    const indexOf = new Map();
    for (let i = 0; i < labels.length; i++) indexOf.set(labels[i], i + 1);
    return {key: colors.key, dataset: colors.dataset, labels, rgb: decodeBase64(colors.rgb, Uint8Array), indexOf};
  }

  /* Labels of the grid's selectedRows prop: rows from the grid, or {ids} set by a callback. */
  function selectedLabels(selected) {
    if (!selected) return [];
    if (Array.isArray(selected)) return selected.map((row) => String(row.label));
    if (Array.isArray(selected.ids)) return selected.ids.map(String);
    return [];
  }

  /* visible[i] for map value i (row i - 1): 0 hidden, 1 shown, 2 shown and selected.
     rows: the grid's virtualRowData (null: every row shown). */
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

  /* RGBA pixels of the overlay (white outline and light fill for selected regions, the
     contrasting edge outside shown outlines). paint: paintableCopy's result. */
  function paintOverlay(paint, rgb, visible, mode, halo) {
    const {index, boundary, width, height} = paint;
    const haloRows = paint.halo;
    const px = new Uint8ClampedArray(width * height * 4);
    const fillAlpha = mode === "filled" ? 120 : 0;
    const edge = halo || [0, 0, 0];
    for (let p = 0; p < index.length; p++) {
      const i = index[p];
      const shown = i ? visible[i] : 0;
      const q = p * 4;
      if (!shown) {
        const h = haloRows[p];
        if (h && visible[h]) {
          px[q] = edge[0];
          px[q + 1] = edge[1];
          px[q + 2] = edge[2];
          px[q + 3] = 150;
        }
        continue;
      }
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
    return px;
  }

  /* The label (string) of the shown region at image point (x, y), or null.
     drawn: {index, width, height} of the full label map, its palette, visible, and step
     (the map holds every step-th pixel of large planes). */
  function labelAtPoint(drawn, x, y) {
    if (!drawn) return null;
    const col = Math.round(x / drawn.step);
    const row = Math.round(y / drawn.step);
    const {index, width, height} = drawn.decoded;
    if (!(col >= 0 && row >= 0 && col < width && row < height)) return null;
    const i = index[row * width + col];
    if (!i || !drawn.visible[i]) return null;
    return drawn.palette.labels[i - 1];
  }

  /* Whether a region is drawn (true until the overlay is known). */
  function regionShown(drawn, label) {
    if (label === null || label === undefined || !drawn) return true;
    const i = drawn.palette.indexOf.get(String(label));
    return Boolean(i && drawn.visible[i]);
  }

  /* Rows (i + 1) that have pixels in a decoded label map, computed once per map. */
  function rowsInPlane(decoded, nRows) {
    if (decoded.present && decoded.present.length === nRows + 1) return decoded.present;
    const present = new Uint8Array(nRows + 1);
    const index = decoded.index;
    for (let p = 0; p < index.length; p++) present[index[p]] = 1;
    decoded.present = present;
    return present;
  }

  return {boundaryOf, haloOf, withHalo, paintableCopy, signature, decodeBase64, paletteFrom, selectedLabels, visibleOf,
    paintOverlay, labelAtPoint, regionShown, rowsInPlane};
});
