/*
 * regionscope, in the browser: document-wide handlers (keys, Shift at the start of a drag, file inputs,
 * hover guard) and the notice of refused callback requests.
 *
 * Each finds the explorer it acts for from the element (data-regionscope-explorer on the explorer's
 * root); keys pressed outside every explorer go to the one the pointer was last in (or the first).
 * The pure parts are exported for the Node unit tests.
 */
(function (root, factory) {
  const api = factory(root);
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.regionscopeKeys = api;
})(typeof self !== "undefined" ? self : this, function (root) {
  "use strict";

  /* Whether a key pressed on this element is typing (number keys must not assign classes then). */
  function isTyping(target) {
    return Boolean(target) && (target.isContentEditable || ["TEXTAREA", "SELECT"].includes(target.tagName)
      || (target.tagName === "INPUT" && !["checkbox", "radio", "button"].includes(target.type)));
  }

  /* The class key (1-9) a keydown means, or null. */
  function classKeyOf(event) {
    if (isTyping(event.target) || event.ctrlKey || event.metaKey || event.altKey || !/^[1-9]$/.test(event.key)) return null;
    return Number(event.key);
  }

  /* The prefix of the explorer a refused callback request was for, from its body, or null. */
  function prefixOfRequest(body, prefixes) {
    let outputs;
    try {
      const request = JSON.parse(body);
      outputs = [].concat(request.outputs || []).flat();
    } catch (error) {
      return null;
    }
    for (const output of outputs) {
      const id = output && typeof output.id === "object" ? String(output.id.type) : String(output && output.id);
      // The longest prefix that names the id: "left" for left-rs-..., "" for rs-...
      const match = prefixes.filter((prefix) => prefix ? id.startsWith(prefix + "-rs-") : id.startsWith("rs-"))
        .sort((a, b) => b.length - a.length)[0];
      if (match !== undefined) return match;
    }
    return null;
  }

  /* The wording of a refused request: the server's text/plain answer, or what its status means. */
  function refusalMessage(status, text) {
    if (status === 413 && !(text || "").startsWith("The request is larger")) {
      // waitress refuses an oversized body before the app sees it, with its own words.
      return "The upload is larger than this server accepts; open files that large from the command line "
        + "(regionscope view IMAGE --labels MASK).";
    }
    return text || `The server answered ${status}; the page keeps what it showed.`;
  }

  if (typeof window === "undefined" || typeof document === "undefined") {
    return {isTyping, classKeyOf, prefixOfRequest, refusalMessage};
  }

  const explorers = () => root.regionscopeExplorers;
  const idsOf = (prefix) => root.regionscopeIds.scoped(prefix || "");
  let lastExplorer = null; // prefix of the explorer the pointer was last in

  function pagePrefixes() {
    return Array.from(document.querySelectorAll("[data-regionscope-explorer]"), (el) => el.getAttribute("data-regionscope-explorer"));
  }

  function explorerFor(element) {
    const here = explorers().prefixAt(element);
    if (here !== null) return here;
    const prefixes = pagePrefixes();
    if (lastExplorer !== null && prefixes.includes(lastExplorer)) return lastExplorer;
    return prefixes.length ? prefixes[0] : null;
  }

  window.addEventListener("pointerover", (event) => {
    const prefix = explorers().prefixAt(event.target);
    if (prefix !== null) lastExplorer = prefix;
  }, true);

  /* Shift held when a box or lasso starts adds to the selection. Plotly's event
     does not say, and the callback runs after the key may be released, so the
     state is taken when the drag begins. */
  window.addEventListener("mousedown", (event) => {
    if (event.rsForwarded) return;
    const prefix = explorers().prefixAt(event.target);
    if (prefix === null) return;
    explorers().stateOf(prefix).shift = event.shiftKey;
    const ids = idsOf(prefix);
    // Plotly's own Shift mode merges with selections that a redraw has cleared
    // and then reports no shape at all: hand it the press without Shift.
    const graphs = "#" + CSS.escape(ids.GRAPH) + ", #" + CSS.escape(ids.PLOT);
    if (event.shiftKey && event.target.closest && event.target.closest(graphs)) {
      event.stopImmediatePropagation();
      event.preventDefault();
      const plain = new MouseEvent("mousedown", {
        bubbles: true, cancelable: true, view: window, detail: event.detail,
        screenX: event.screenX, screenY: event.screenY, clientX: event.clientX, clientY: event.clientY,
        button: event.button, buttons: event.buttons, shiftKey: false,
        ctrlKey: event.ctrlKey, altKey: event.altKey, metaKey: event.metaKey,
      });
      plain.rsForwarded = true;
      event.target.dispatchEvent(plain);
    }
  }, true);

  /* A file input keeps its file after an upload, and the browser fires no
     change when the same file is chosen again: the upload would be silently
     ignored (seen after a refused mask). Empty the input once the upload
     component has taken the file (it reads the File objects, which stay valid). */
  window.addEventListener("change", (event) => {
    const input = event.target;
    if (input && input.type === "file" && input.closest && input.closest(".rs-upload")) {
      setTimeout(() => { input.value = ""; }, 0);
    }
  }, true);

  /* Plotly reads the pixel under the cursor of an image trace from a canvas it
     makes once the picture has loaded; a hover before then throws on every
     mouse move ("reading 'el'", seen on a loaded machine). Plotly gives the
     trace's <image> its href when that canvas is ready, so moves over the graph
     wait until every image trace has one. */
  window.addEventListener("mousemove", (event) => {
    const prefix = explorers().prefixAt(event.target);
    if (prefix === null) return;
    const graph = event.target.closest("#" + CSS.escape(idsOf(prefix).GRAPH));
    if (!graph) return;
    for (const image of graph.querySelectorAll(".imagelayer.mlayer .im image")) {
      if (!image.hasAttribute("href") && !image.hasAttribute("xlink:href")) {
        event.stopImmediatePropagation();
        return;
      }
    }
  }, true);

  /* Esc closes every open "How to use" dialog. */
  window.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    for (const prefix of pagePrefixes()) {
      const help = document.getElementById(idsOf(prefix).HELP);
      if (help && !help.hidden) window.dash_clientside.set_props(idsOf(prefix).HELP, {hidden: true});
    }
  });

  /* Number keys 1-9 give the selected regions that class (not while typing). */
  window.addEventListener("keydown", (event) => {
    const key = classKeyOf(event);
    const prefix = key === null ? null : explorerFor(event.target);
    if (prefix === null) return;
    window.dash_clientside.set_props(idsOf(prefix).CLASS_KEY, {data: {key, time: Date.now()}});
  });

  /* A callback request the server refused or failed (413 too large, 403 not logged in, 500) is said
     in its explorer's notice: Dash itself reports these only in its debug tools. */
  const originalFetch = window.fetch;
  window.fetch = async function (...args) {
    const response = await originalFetch.apply(this, args);
    const url = String((args[0] && args[0].url) || args[0]);
    if (!response.ok && url.includes("_dash-update-component")) {
      let text = "";
      if ((response.headers.get("Content-Type") || "").startsWith("text/plain")) {
        try {
          text = (await response.clone().text()).trim().slice(0, 400);
        } catch (error) {
          text = "";
        }
      }
      const body = args[1] && typeof args[1].body === "string" ? args[1].body : "";
      const prefixes = pagePrefixes();
      const prefix = prefixOfRequest(body, prefixes);
      const message = {type: "Span", namespace: "dash_html_components", props: {children: refusalMessage(response.status, text), className: "rs-error"}};
      for (const each of prefix === null ? prefixes : [prefix]) {
        window.dash_clientside.set_props(idsOf(each).NOTICE, {children: message});
      }
    }
    return response;
  };

  return {isTyping, classKeyOf, prefixOfRequest, refusalMessage};
});
