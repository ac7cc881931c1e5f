// Unit tests of the page's selection, gate and filter helpers (node --test).
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");
const filters = require(path.join(__dirname, "../../src/regionscope/app/assets/regionscope-filters.js"));

test("insidePolygon: a unit square, inside, outside and the even-odd rule", () => {
  const xs = [0, 1, 1, 0];
  const ys = [0, 0, 1, 1];
  assert.equal(filters.insidePolygon(0.5, 0.5, xs, ys), true);
  assert.equal(filters.insidePolygon(1.5, 0.5, xs, ys), false);
  assert.equal(filters.insidePolygon(-0.1, 0.5, xs, ys), false);
});

test("selectionTest: a box given in either order, a lasso, nothing", () => {
  const box = filters.selectionTest({range: {x: [10, 0], y: [5, 0]}});
  assert.equal(box(5, 2), true);
  assert.equal(box(11, 2), false);
  const lasso = filters.selectionTest({lassoPoints: {x: [0, 4, 0], y: [0, 0, 4]}});
  assert.equal(lasso(1, 1), true);
  assert.equal(lasso(3, 3), false);
  assert.equal(filters.selectionTest(null), null);
  assert.equal(filters.selectionTest({points: []}), null);
});

test("gateFromSelection: box, histogram range, lasso; gatePasses on rows", () => {
  const box = filters.gateFromSelection({range: {x: [30, 10], y: [1, 0]}}, "area", "solidity", false);
  assert.deepEqual(box, {x: "area", y: "solidity", x_range: [10, 30], y_range: [0, 1]});
  assert.equal(filters.gatePasses(box, {area: 20, solidity: 0.5}), true);
  assert.equal(filters.gatePasses(box, {area: 40, solidity: 0.5}), false);
  assert.equal(filters.gatePasses(box, {area: 20, solidity: null}), false);
  const histogram = filters.gateFromSelection({range: {x: [1, 2], y: [0, 9]}}, "area", "(histogram)", true);
  assert.deepEqual(histogram, {x: "area", y: "(histogram)", x_range: [1, 2]});
  assert.equal(filters.gatePasses(histogram, {area: 1.5}), true);
  const lasso = filters.gateFromSelection({lassoPoints: {x: [0, 4, 0], y: [0, 0, 4]}}, "a", "b", false);
  assert.deepEqual(lasso.lasso, [[0, 0], [4, 0], [0, 4]]);
  assert.equal(filters.gatePasses(lasso, {a: 1, b: 1}), true);
  assert.equal(filters.gatePasses(lasso, {a: 3, b: 3}), false);
  assert.equal(filters.gateFromSelection({lassoPoints: {x: [0], y: [0]}}, "a", "(histogram)", true), null);
});

test("describeColumnFilter: operators in words, two conditions, ranges, blanks, text", () => {
  assert.equal(filters.describeColumnFilter("area", {filterType: "number", type: "greaterThanOrEqual", filter: 500}), "area ≥ 500");
  assert.equal(filters.describeColumnFilter("area", {
    filterType: "number", operator: "OR",
    conditions: [{filterType: "number", type: "lessThan", filter: 10}, {filterType: "number", type: "greaterThan", filter: 90}],
  }), "area < 10 or area > 90");
  assert.equal(filters.describeColumnFilter("area", {filterType: "number", type: "inRange", filter: 1, filterTo: 5}), "area in [1, 5]");
  assert.equal(filters.describeColumnFilter("class", {filterType: "text", type: "blank"}), "class is blank");
  assert.equal(filters.describeColumnFilter("class", {filterType: "text", type: "contains", filter: "deb"}), 'class contains "deb"');
});

test("describeGate and formatValue", () => {
  assert.equal(filters.describeGate({x: "area", y: "solidity", x_range: [1.23456, 2], y_range: [0, 1]}), "gate: area in [1.23, 2] and solidity in [0, 1]");
  assert.equal(filters.describeGate({x: "a", y: "b", lasso: [[0, 0]]}), "gate: lasso on a × b");
  assert.equal(filters.formatValue(null), "–");
  assert.equal(filters.formatValue(3.14159265), "3.142");
  assert.equal(filters.formatValue(12), "12");
  assert.equal(filters.formatValue("18446744073709551615"), "18446744073709551615");
});

test("centroidColumns: the shown plane's (row, col) centroid columns, 2D and 3D", () => {
  assert.deepEqual(filters.centroidColumns({"centroid-0": 1, "centroid-1": 2}), ["centroid-0", "centroid-1"]);
  assert.deepEqual(filters.centroidColumns({"centroid-0": 1, "centroid-1": 2, "centroid-2": 3}), ["centroid-1", "centroid-2"]);
});
