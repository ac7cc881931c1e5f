// Unit tests of the per-explorer browser state and the grid's external filter (node --test).
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");
const assets = path.join(__dirname, "../../src/regionscope/app/assets");
const explorers = require(path.join(assets, "regionscope-explorers.js"));
const {gatePasses} = require(path.join(assets, "regionscope-filters.js"));

test("stateOf: one state per prefix, the default explorer's is ''", () => {
  const left = explorers.stateOf("left");
  assert.equal(explorers.stateOf("left"), left);
  assert.notEqual(explorers.stateOf("right"), left);
  assert.equal(explorers.stateOf(undefined), explorers.stateOf(""));
  left.hovered = "7";
  assert.equal(explorers.stateOf("right").hovered, null, "explorers never share state");
});

test("prefixOf: the rs-explorer store's prefix, '' without one", () => {
  assert.equal(explorers.prefixOf({prefix: "left"}), "left");
  assert.equal(explorers.prefixOf(null), "");
  assert.equal(explorers.prefixOf({prefix: 3}), "");
});

test("takeFilters and externalFilterPasses: exclusions, the query and gates of the shown dataset", () => {
  const state = explorers.emptyState();
  assert.equal(explorers.externalFilterPresent(state), false);
  const gates = {d1: [{x: "area", y: "(histogram)", x_range: [10, 100]}], other: [{x: "area", x_range: [0, 1]}]};
  explorers.takeFilters(state, "d1", {dataset: "d1", labels: [1, "18446744073709551615"]}, {dataset: "d1", labels: [2]}, gates);
  assert.equal(explorers.externalFilterPresent(state), true);
  const pass = (row) => explorers.externalFilterPasses(state, row, gatePasses);
  assert.equal(pass({label: 1, area: 50}), true);
  assert.equal(pass({label: "18446744073709551615", area: 50}), true, "huge labels compared as strings");
  assert.equal(pass({label: 1, area: 500}), false, "outside the gate");
  assert.equal(pass({label: 2, area: 50}), false, "excluded");
  assert.equal(pass({label: 3, area: 50}), false, "not in the query's result");
});

test("takeFilters: another dataset's query and exclusions do not apply", () => {
  const state = explorers.emptyState();
  explorers.takeFilters(state, "d2", {dataset: "d1", labels: [1]}, {dataset: "d1", labels: [2]}, {});
  assert.equal(state.query, null);
  assert.equal(state.excluded.size, 0);
  assert.deepEqual(state.gates, []);
});
