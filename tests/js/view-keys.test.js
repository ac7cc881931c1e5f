// Unit tests of the kept view (regionscope-view.js) and the keys' pure parts (regionscope-keys.js).
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");
const assets = path.join(__dirname, "../../src/regionscope/app/assets");
const view = require(path.join(assets, "regionscope-view.js"));
const keys = require(path.join(assets, "regionscope-keys.js"));

test("relayoutKind: a reset, a zoom or pan, or no view change", () => {
  assert.equal(view.relayoutKind({"xaxis.autorange": true}), "reset");
  assert.equal(view.relayoutKind({"xaxis.range[0]": 1, "xaxis.range[1]": 5}), "zoomed");
  assert.equal(view.relayoutKind({"yaxis.range": [1, 2]}), "zoomed");
  assert.equal(view.relayoutKind({dragmode: "lasso"}), null);
  assert.equal(view.relayoutKind(null), null);
});

test("withView: the kept ranges go into a layout of the same revision only", () => {
  const kept = {revision: "d1", x: [0, 10], y: [20, 5]};
  const layout = view.withView({uirevision: "d1", xaxis: {title: "x"}, yaxis: {}}, kept);
  assert.deepEqual(layout.xaxis, {title: "x", range: [0, 10], autorange: false});
  assert.deepEqual(layout.yaxis.range, [20, 5]);
  const other = view.withView({uirevision: "d2", xaxis: {}, yaxis: {}}, kept);
  assert.equal(other.xaxis.range, undefined, "another dataset starts with its whole image");
  assert.equal(view.withView({uirevision: "d1"}, null).xaxis, undefined);
});

test("classKeyOf: number keys 1-9 outside text fields, without modifiers", () => {
  const key = (k, target = {tagName: "DIV"}, extra = {}) => keys.classKeyOf({key: k, target, ...extra});
  assert.equal(key("3"), 3);
  assert.equal(key("0"), null);
  assert.equal(key("a"), null);
  assert.equal(key("3", {tagName: "INPUT", type: "text"}), null, "typing in a text box");
  assert.equal(key("3", {tagName: "INPUT", type: "checkbox"}), 3, "a ticked row keeps the keys");
  assert.equal(key("3", {tagName: "DIV", isContentEditable: true}), null);
  assert.equal(key("3", {tagName: "DIV"}, {ctrlKey: true}), null);
});

test("prefixOfRequest: the explorer whose outputs a callback request names", () => {
  const body = (id) => JSON.stringify({outputs: [{id, property: "data"}]});
  assert.equal(keys.prefixOfRequest(body("left-rs-dataset"), ["", "left", "right"]), "left");
  assert.equal(keys.prefixOfRequest(body("rs-dataset"), ["", "left"]), "");
  assert.equal(keys.prefixOfRequest(JSON.stringify({outputs: [[{id: {type: "right-rs-class-assign", index: 0}}]]}), ["right"]), "right");
  assert.equal(keys.prefixOfRequest("not json", ["left"]), null);
  assert.equal(keys.prefixOfRequest(body("someone-else"), ["left"]), null);
});

test("refusalMessage: the server's words, or what the status means", () => {
  assert.equal(keys.refusalMessage(403, "Log in first."), "Log in first.");
  assert.match(keys.refusalMessage(413, ""), /larger than this server accepts/);
  assert.equal(keys.refusalMessage(413, "The request is larger than 90 MB."), "The request is larger than 90 MB.");
  assert.match(keys.refusalMessage(500, ""), /answered 500/);
});
