/*
 * regionscope, in the browser: what each explorer on the page keeps in the browser, and which explorer
 * an element or a callback belongs to.
 *
 * A page may hold several explorers (regionscope.app.explorer.Explorer, each with its own id prefix).
 * Every clientside callback gets its explorer's rs-explorer store ({prefix}) as its last argument;
 * document-wide handlers find the explorer from the element, through the data-regionscope-explorer
 * attribute of its root. The state below is the part the grid asks for through functions rather than
 * props (its external filter, the hovered and focused rows' styles) and what one gesture hands to the
 * next (Shift at the start of a drag, the plot's last selection until "Keep as gate").
 */
(function (root, factory) {
  const api = factory();
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.regionscopeExplorers = api;
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  function emptyState() {
    return {
      hovered: null, // label under the cursor (string)
      focused: null, // label outlined after a click
      query: null, // Set of labels passing the query box, or null
      excluded: new Set(), // labels excluded for the shown dataset
      gates: [], // gates of the shown dataset
      shift: false, // whether Shift was held when the last drag began
      plotSelection: null, // the feature plot's last box/lasso/range, as a gate
      appliedZoom: null, // id of the last zoom-to-row request applied
    };
  }

  const states = new Map(); // prefix -> state

  /* The browser-side state of the explorer with this prefix (made on first use). */
  function stateOf(prefix) {
    const key = prefix || "";
    if (!states.has(key)) states.set(key, emptyState());
    return states.get(key);
  }

  /* The prefix of a clientside callback's explorer, from its rs-explorer store. */
  function prefixOf(explorer) {
    return (explorer && typeof explorer.prefix === "string") ? explorer.prefix : "";
  }

  /* The prefix of the explorer an element is in, or null outside every explorer. */
  function prefixAt(element) {
    const holder = element && element.closest ? element.closest("[data-regionscope-explorer]") : null;
    return holder ? holder.getAttribute("data-regionscope-explorer") : null;
  }

  /* Whether a row passes the filters the grid does not hold: exclusions, the query, the gates. */
  function externalFilterPasses(state, row, gatePasses) {
    const label = String(row.label);
    if (state.excluded.has(label)) return false;
    if (state.query !== null && !state.query.has(label)) return false;
    return state.gates.every((gate) => gatePasses(gate, row));
  }

  function externalFilterPresent(state) {
    return state.query !== null || state.excluded.size > 0 || state.gates.length > 0;
  }

  /* Take the filters of an explorer's stores (stores.QueryResult, Excluded, Gates) for dataset `id`. */
  function takeFilters(state, id, queryResult, excluded, gates) {
    state.query = queryResult && queryResult.dataset === id && queryResult.labels
      ? new Set(queryResult.labels.map(String)) : null;
    state.excluded = new Set(excluded && excluded.dataset === id ? excluded.labels.map(String) : []);
    state.gates = (gates && gates[id]) || [];
    return state;
  }

  return {stateOf, prefixOf, prefixAt, externalFilterPasses, externalFilterPresent, takeFilters, emptyState};
});
