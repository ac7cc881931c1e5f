// Unit tests of the label-index raster helpers (node --test).
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");
const raster = require(path.join(__dirname, "../../src/regionscope/app/assets/regionscope-raster.js"));

// A 5 x 6 raster: row 1 (value 1) is a 3 x 3 square, row 2 (value 2) a single pixel touching it.
//   0 0 0 0 0 0
//   0 1 1 1 0 0
//   0 1 1 1 2 0
//   0 1 1 1 0 0
//   0 0 0 0 0 0
function square() {
  const w = 6, h = 5;
  const index = new Uint32Array(w * h);
  for (let y = 1; y <= 3; y++) for (let x = 1; x <= 3; x++) index[y * w + x] = 1;
  index[2 * w + 4] = 2;
  return {index, w, h};
}

test("boundaryOf: the ring of the square, its centre not; a one-pixel region is all boundary", () => {
  const {index, w, h} = square();
  const boundary = raster.boundaryOf(index, w, h, 1);
  assert.equal(boundary[2 * w + 2], 0, "centre");
  assert.equal(boundary[1 * w + 1], 1, "corner");
  assert.equal(boundary[2 * w + 3], 1, "next to the other region");
  assert.equal(boundary[2 * w + 4], 1, "the single pixel");
  assert.equal(boundary[0], 0, "background");
  const thick = raster.boundaryOf(index, w, h, 2);
  assert.equal(thick[2 * w + 2], 1, "two pixels thick reaches the centre");
});

test("haloOf: background pixels next to an outline hold that outline's row, others 0", () => {
  const {index, w, h} = square();
  const boundary = raster.boundaryOf(index, w, h, 1);
  const halo = raster.haloOf(index, boundary, w, h);
  assert.equal(halo[1 * w + 0], 1, "left of the square");
  assert.equal(halo[2 * w + 5], 2, "right of the single pixel");
  assert.equal(halo[2 * w + 2], 0, "inside a region: never a halo");
  assert.equal(halo[0], 0, "diagonal only: no halo");
});

test("paintableCopy: small rasters as they are, large ones sampled to at most 2048 a side", () => {
  const {index, w, h} = square();
  const copy = raster.paintableCopy(index, w, h, 1);
  assert.equal(copy.index, index);
  assert.equal(copy.width, w);
  assert.ok(copy.halo instanceof Uint32Array);
  const big = raster.paintableCopy(new Uint32Array(4100 * 3), 4100, 3, 1);
  assert.equal(big.width, 1367);
  assert.equal(big.height, 1);
});

test("signature: equal for the same visible set, different otherwise", () => {
  const a = raster.signature(Uint8Array.from([0, 1, 0, 2]));
  assert.equal(a, raster.signature(Uint8Array.from([0, 1, 0, 2])));
  assert.notEqual(a, raster.signature(Uint8Array.from([0, 1, 1, 2])));
  assert.ok(a.startsWith("2:"));
});

// Labels 7 and 2**64 - 1 (a string: not a safe JavaScript number) for rows 0 and 1, red and blue.
function palette() {
  const rgb = Buffer.from([255, 0, 0, 0, 0, 255]).toString("base64");
  return raster.paletteFrom({key: "k", dataset: "d", labels: [7, "18446744073709551615"], rgb});
}

test("paletteFrom: labels as strings, rows counted from 1, the colours decoded", () => {
  const p = palette();
  assert.deepEqual(p.labels, ["7", "18446744073709551615"]);
  assert.equal(p.indexOf.get("18446744073709551615"), 2);
  assert.deepEqual(Array.from(p.rgb), [255, 0, 0, 0, 0, 255]);
});

test("selectedLabels: grid rows, {ids} from a callback, nothing", () => {
  assert.deepEqual(raster.selectedLabels([{label: 7}, {label: "9"}]), ["7", "9"]);
  assert.deepEqual(raster.selectedLabels({ids: [3]}), ["3"]);
  assert.deepEqual(raster.selectedLabels(null), []);
  assert.deepEqual(raster.selectedLabels({}), []);
});

test("visibleOf: every row without a grid list; the grid's rows; selected only if shown", () => {
  const p = palette();
  assert.deepEqual(Array.from(raster.visibleOf(p, null, null)), [1, 1, 1]);
  assert.deepEqual(Array.from(raster.visibleOf(p, [{label: "18446744073709551615"}], null)), [0, 0, 1]);
  const selected = {ids: ["7", "18446744073709551615"]};
  assert.deepEqual(Array.from(raster.visibleOf(p, [{label: 7}], selected)), [0, 2, 0], "hidden rows are not selected");
});

test("paintOverlay: shown outlines in their colour, selected in white, the halo outside, hidden rows not", () => {
  const {index, w, h} = square();
  const paint = raster.paintableCopy(index, w, h, 1);
  const p = palette();
  const px = raster.paintOverlay(paint, p.rgb, Uint8Array.from([0, 1, 0]), "outline", [9, 9, 9]);
  const at = (x, y) => Array.from(px.slice((y * w + x) * 4, (y * w + x) * 4 + 4));
  assert.deepEqual(at(1, 1), [255, 0, 0, 255], "outline of row 0 in red");
  assert.deepEqual(at(2, 2), [0, 0, 0, 0], "outline mode: no fill");
  assert.deepEqual(at(4, 2), [0, 0, 0, 0], "row 1 is hidden");
  assert.deepEqual(at(0, 1), [9, 9, 9, 150], "the contrasting edge beside a shown outline");
  const filled = raster.paintOverlay(paint, p.rgb, Uint8Array.from([0, 2, 1]), "filled", null);
  const inside = Array.from(filled.slice((2 * w + 2) * 4, (2 * w + 2) * 4 + 4));
  assert.deepEqual(inside, [255, 255, 255, 70], "a selected region: light white fill");
  assert.deepEqual(Array.from(filled.slice((2 * w + 4) * 4, (2 * w + 4) * 4 + 4)), [0, 0, 255, 255]);
});

test("labelAtPoint and regionShown: the visible region under a point, at the map's stride", () => {
  const {index, w, h} = square();
  const p = palette();
  const drawn = {decoded: {index, width: w, height: h}, palette: p, visible: Uint8Array.from([0, 1, 1]), step: 1};
  assert.equal(raster.labelAtPoint(drawn, 2, 2), "7");
  assert.equal(raster.labelAtPoint(drawn, 4, 2), "18446744073709551615");
  assert.equal(raster.labelAtPoint(drawn, 0, 0), null, "background");
  assert.equal(raster.labelAtPoint(drawn, -3, 2), null, "outside the image");
  assert.equal(raster.labelAtPoint({...drawn, step: 2}, 4, 4), "7", "a map sent every second pixel");
  assert.equal(raster.labelAtPoint({...drawn, visible: Uint8Array.from([0, 0, 1])}, 2, 2), null, "filtered out");
  assert.equal(raster.labelAtPoint(null, 2, 2), null, "before any overlay");
  assert.equal(raster.regionShown(drawn, 7), true);
  assert.equal(raster.regionShown({...drawn, visible: Uint8Array.from([0, 0, 1])}, "7"), false);
  assert.equal(raster.regionShown(null, 7), true, "unknown until the overlay is drawn");
});

test("rowsInPlane: which rows have pixels in the map, computed once", () => {
  const {index, w, h} = square();
  const decoded = {index, width: w, height: h};
  assert.deepEqual(Array.from(raster.rowsInPlane(decoded, 3)), [1, 1, 1, 0]);
  assert.equal(raster.rowsInPlane(decoded, 3), decoded.present);
});
