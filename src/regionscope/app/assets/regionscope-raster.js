/*
 * regionscope, in the browser: Label-index rasters: outlines, the contrasting edge, the painted copy, a visibility signature.
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

  return {boundaryOf, haloOf, withHalo, paintableCopy, signature};
});
