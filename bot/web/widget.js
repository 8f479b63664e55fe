/* 园区政策问答 widget: one <script src=".../widget.js" async> tag adds a floating button that opens the chat panel in an isolated iframe. */
(function () {
  "use strict";
  if (window.__policybotWidget) return; // embedded twice: keep the first
  window.__policybotWidget = true;

  // Our own script element. document.currentScript is null for async scripts in some
  // browsers once they run, so fall back to the last script whose src ends in /widget.js.
  function ownScript() {
    var s = document.currentScript;
    if (s && s.src) return s;
    var all = document.getElementsByTagName("script");
    for (var i = all.length - 1; i >= 0; i--) {
      var src = all[i].getAttribute("src") || "";
      if (/\/widget\.js(\?.*)?(#.*)?$/.test(src)) return all[i];
    }
    return null;
  }

  var script = ownScript();
  var base = new URL(script && script.src ? script.src : "/widget.js", document.baseURI);
  var origin = base.origin;
  var title = (script && script.getAttribute("data-title")) || "园区政策问答";
  var frameUrl = origin + "/widget/frame?title=" + encodeURIComponent(title);

  var Z = "2147483000";
  var CSS = [
    ":host{all:initial !important}",
    "*,*::before,*::after{box-sizing:border-box}",
    ".btn{position:fixed;right:20px;bottom:20px;width:56px;height:56px;margin:0;padding:0;border:0;border-radius:50%;",
    "background:#1456a0;color:#fff;cursor:pointer;display:flex;align-items:center;justify-content:center;",
    "box-shadow:0 6px 18px rgba(0,0,0,.28);z-index:" + Z + ";font:600 13px/1 system-ui,sans-serif;transition:transform .15s}",
    ".btn:hover{transform:scale(1.06);background:#0f4788}",
    ".btn:focus-visible{outline:3px solid #f0b400;outline-offset:3px}",
    ".btn svg{width:28px;height:28px;display:block;fill:none;stroke:#fff;stroke-width:2;stroke-linecap:round;stroke-linejoin:round}",
    ".panel{position:fixed;right:20px;bottom:88px;width:380px;height:600px;max-height:calc(100vh - 108px);",
    "border-radius:14px;overflow:hidden;background:#fff;box-shadow:0 12px 40px rgba(0,0,0,.3);z-index:" + Z + ";display:none}",
    ".panel.open{display:block}",
    ".panel iframe{display:block;width:100%;height:100%;border:0;margin:0;padding:0;background:#fff}",
    // Narrow screens: the panel takes the whole viewport; its own close button (and Escape) closes it.
    "@media (max-width:480px){.panel{top:0;left:0;right:0;bottom:0;width:100%;height:100%;max-height:none;border-radius:0}",
    ".panel.open + .btn,.btn.hidden{display:none}}"
  ].join("");

  // A custom element, not a div, so host rules like `div{display:none!important}` do not match;
  // positioning via CSSOM with !important beats any host stylesheet, even `* {all:unset}`.
  var host = document.createElement("policybot-widget");
  var hostStyle = {
    all: "initial", display: "block", position: "fixed", right: "0", bottom: "0",
    width: "0", height: "0", overflow: "visible", "z-index": Z, visibility: "visible", opacity: "1",
    transform: "none", filter: "none", contain: "none"
  };
  Object.keys(hostStyle).forEach(function (k) { host.style.setProperty(k, hostStyle[k], "important"); });

  var root = host.attachShadow({ mode: "open" });
  // Constructed stylesheets are not subject to the host page's style-src CSP; <style> is a fallback.
  try {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } catch (e) {
    var st = document.createElement("style");
    st.textContent = CSS;
    root.appendChild(st);
  }

  var panel = document.createElement("div");
  panel.className = "panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", title);
  panel.id = "policybot-panel";

  var button = document.createElement("button");
  button.type = "button";
  button.className = "btn";
  button.setAttribute("aria-label", "打开" + title);
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", "policybot-panel");
  button.title = title;
  var SVG = "http://www.w3.org/2000/svg";
  var icon = document.createElementNS(SVG, "svg");
  icon.setAttribute("viewBox", "0 0 24 24");
  icon.setAttribute("aria-hidden", "true");
  var path = document.createElementNS(SVG, "path");
  path.setAttribute("d", "M21 12a8 8 0 0 1-11.6 7.1L4 20.5l1.4-4.9A8 8 0 1 1 21 12z");
  icon.appendChild(path);
  button.appendChild(icon);

  root.appendChild(panel);
  root.appendChild(button);

  var iframe = null;
  var frameReady = false;
  var isOpen = false;
  // On a narrow screen the open panel covers the whole page: a modal dialog that keeps focus inside it.
  var narrow = window.matchMedia ? window.matchMedia("(max-width:480px)") : { matches: false };

  function isModal() { return isOpen && narrow.matches; }

  function syncModal() {
    if (isModal()) panel.setAttribute("aria-modal", "true"); else panel.removeAttribute("aria-modal");
    if (frameReady) iframe.contentWindow.postMessage({ type: "policybot:modal", modal: isModal() }, origin);
  }
  if (narrow.addEventListener) narrow.addEventListener("change", syncModal);

  function open() {
    if (!iframe) {
      iframe = document.createElement("iframe");
      iframe.src = frameUrl;
      iframe.title = title;
      iframe.addEventListener("load", function () { frameReady = true; syncModal(); if (isOpen) focusFrame(); });
      panel.appendChild(iframe);
    }
    isOpen = true;
    panel.classList.add("open");
    button.setAttribute("aria-expanded", "true");
    button.setAttribute("aria-label", "关闭" + title);
    syncModal();
    focusFrame();
  }

  function focusFrame() {
    iframe.focus();
    // Until the frame has loaded, its window is about:blank of the host origin; the load handler retries.
    if (frameReady) iframe.contentWindow.postMessage({ type: "policybot:focus" }, origin);
  }

  function close() {
    if (!isOpen) return;
    isOpen = false;
    panel.classList.remove("open");
    button.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-label", "打开" + title);
    syncModal();
    button.focus();
  }

  button.addEventListener("click", function () { if (isOpen) close(); else open(); });

  // Escape while focus is in the host page.
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape" && isOpen) { ev.stopPropagation(); close(); }
  }, true);

  // Full screen: focus that reaches the page behind (Tab out of the frame, a click on nothing) goes back to the panel.
  document.addEventListener("focusin", function (ev) {
    if (isModal() && ev.target !== host) focusFrame();
  }, true);

  // Escape or the close button inside the frame: the frame tells us by postMessage.
  window.addEventListener("message", function (ev) {
    if (ev.origin !== origin || !iframe || ev.source !== iframe.contentWindow) return;
    var data = ev.data;
    if (data && data.type === "policybot:close") close();
  });

  function mount() { (document.body || document.documentElement).appendChild(host); }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
