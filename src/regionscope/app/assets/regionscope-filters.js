/*
 * regionscope, in the browser: Selections, gates and filters: geometry and words.
 *
 * Pure functions (arrays and plain objects in, out), shared by the page
 * (window.regionscopeFilters) and the Node unit tests (require); tests/js/ tests them.
 */
(function (root, factory) {
  const api = factory();
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.regionscopeFilters = api;
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  /* Even-odd test of a point against a polygon given as xs, ys. */
  function insidePolygon(x, y, xs, ys) {
    let inside = false;
    for (let i = 0, j = xs.length - 1; i < xs.length; j = i++) {
      if ((ys[i] > y) !== (ys[j] > y) && x < ((xs[j] - xs[i]) * (y - ys[i])) / (ys[j] - ys[i]) + xs[i]) {
        inside = !inside;
      }
    }
    return inside;
  }

  /* A test (x, y) -> bool for a Plotly box or lasso selection, or null. */
  function selectionTest(selectedData) {
    if (!selectedData) return null;
    if (selectedData.range && selectedData.range.x) {
      const [x0, x1] = selectedData.range.x.slice().sort((a, b) => a - b);
      const [y0, y1] = selectedData.range.y.slice().sort((a, b) => a - b);
      return (x, y) => x >= x0 && x <= x1 && y >= y0 && y <= y1;
    }
    if (selectedData.lassoPoints && selectedData.lassoPoints.x) {
      const xs = selectedData.lassoPoints.x;
      const ys = selectedData.lassoPoints.y;
      return (x, y) => insidePolygon(x, y, xs, ys);
    }
    return null;
  }

  /* A gate from a plot selection, in the session-file form:
     {x, y, x_range?, y_range?, lasso?: [[x, y], ...]} (a histogram gate has only x_range). */
  function gateFromSelection(selectedData, x, y, histogram) {
    if (!selectedData) return null;
    if (selectedData.range && selectedData.range.x) {
      const xRange = selectedData.range.x.slice().sort((a, b) => a - b);
      if (histogram) return {x, y, x_range: xRange};
      return {x, y, x_range: xRange, y_range: selectedData.range.y.slice().sort((a, b) => a - b)};
    }
    if (selectedData.lassoPoints && selectedData.lassoPoints.x && !histogram) {
      const ys = selectedData.lassoPoints.y;
      return {x, y, lasso: selectedData.lassoPoints.x.map((value, k) => [value, ys[k]])};
    }
    return null;
  }

  const lassoColumns = new WeakMap(); // gate -> [xs, ys], so each row test does not rebuild them

  function gatePasses(gate, row) {
    const vx = row[gate.x];
    if (vx === null || vx === undefined) return false;
    if (gate.x_range && !(vx >= gate.x_range[0] && vx <= gate.x_range[1])) return false;
    if (!gate.y_range && !gate.lasso) return true;
    const vy = row[gate.y];
    if (vy === null || vy === undefined) return false;
    if (gate.y_range && !(vy >= gate.y_range[0] && vy <= gate.y_range[1])) return false;
    if (gate.lasso) {
      if (!lassoColumns.has(gate)) lassoColumns.set(gate, [gate.lasso.map((p) => p[0]), gate.lasso.map((p) => p[1])]);
      const [xs, ys] = lassoColumns.get(gate);
      return insidePolygon(vx, vy, xs, ys);
    }
    return true;
  }

  const FILTER_WORDS = {
    equals: "=", notEqual: "≠", lessThan: "<", lessThanOrEqual: "≤", greaterThan: ">",
    greaterThanOrEqual: "≥", contains: "contains", notContains: "does not contain",
    startsWith: "starts with", endsWith: "ends with", blank: "is blank", notBlank: "is not blank",
  };

  /* One condition of an AG Grid column filter in words: "area ≥ 500". */
  function describeCondition(column, condition) {
    const type = condition.type;
    if (type === "inRange") return `${column} in [${condition.filter}, ${condition.filterTo}]`;
    if (type === "blank" || type === "notBlank") return `${column} ${FILTER_WORDS[type]}`;
    const value = condition.filterType === "text" ? JSON.stringify(condition.filter) : condition.filter;
    return `${column} ${FILTER_WORDS[type] || type} ${value}`;
  }

  /* A column's filter model in words, conditions joined by and/or. */
  function describeColumnFilter(column, model) {
    if (model && Array.isArray(model.conditions)) {
      const joiner = (model.operator || "AND").toLowerCase();
      return model.conditions.map((c) => describeCondition(column, c)).join(` ${joiner} `);
    }
    return describeCondition(column, model || {});
  }

  function describeGate(gate) {
    const digits = (v) => Number(v.toPrecision(3));
    if (gate.lasso) return `gate: lasso on ${gate.x} × ${gate.y}`;
    const parts = [`${gate.x} in [${digits(gate.x_range[0])}, ${digits(gate.x_range[1])}]`];
    if (gate.y_range) parts.push(`${gate.y} in [${digits(gate.y_range[0])}, ${digits(gate.y_range[1])}]`);
    return "gate: " + parts.join(" and ");
  }

  /* Centroid (row, col) columns of the shown plane: the last two centroid axes. */
  function centroidColumns(row) {
    return "centroid-2" in row ? ["centroid-1", "centroid-2"] : ["centroid-0", "centroid-1"];
  }

  function formatValue(value) {
    if (value === null || value === undefined) return "–";
    if (typeof value === "number" && !Number.isInteger(value)) return Number(value.toPrecision(4)).toString();
    return String(value);
  }

  return {insidePolygon, selectionTest, gateFromSelection, gatePasses, FILTER_WORDS, describeCondition, describeColumnFilter, describeGate, centroidColumns, formatValue};
});
