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
