/*
 * regionscope, in the browser: the functions the grid evaluates (dashGridOptions and rowClassRules in
 * regionscope.app.layout pass the explorer's prefix), and the grid's API of an explorer.
 */
(function (root) {
  "use strict";
  const gridFunctions = (root.dashAgGridFunctions = root.dashAgGridFunctions || {});
  const explorers = () => root.regionscopeExplorers;

  gridFunctions.rsExternalFilterPresent = function (prefix) {
    return explorers().externalFilterPresent(explorers().stateOf(prefix));
  };
  gridFunctions.rsExternalFilterPasses = function (node, prefix) {
    return explorers().externalFilterPasses(explorers().stateOf(prefix), node.data, root.regionscopeFilters.gatePasses);
  };
  gridFunctions.rsIsHovered = function (params, prefix) {
    return Boolean(params.data) && String(params.data.label) === explorers().stateOf(prefix).hovered;
  };
  gridFunctions.rsIsFocused = function (params, prefix) {
    return Boolean(params.data) && String(params.data.label) === explorers().stateOf(prefix).focused;
  };
})(typeof self !== "undefined" ? self : this);
