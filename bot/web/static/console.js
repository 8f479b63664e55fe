/* 12345 hotline console: search-as-you-type over the policy, task cards, one-key copy of the ready-to-read reply. */
(function () {
  "use strict";

  var $ = function (id) { return document.getElementById(id); };
  var qInput = $("q"), depSel = $("department"), catSel = $("category");
  var list = $("results"), status = $("status"), toast = $("toast");
  var card = $("card"), cardBody = $("card-body"), cardTitle = $("card-title"), cardEmpty = $("card-empty");

  var results = [];
  var selected = -1;
  var inflight = null;   // AbortController of the running search
  var timer = null;
  var lastSearch = Promise.resolve();
  var seq = 0;
  var openTask = null;   // the task dict shown in the card
  var composing = false; // an IME composition is under way: its pinyin steps are not queries

  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text != null) n.textContent = text;
    return n;
  }

  function getJSON(url, signal) {
    return fetch(url, { headers: { Accept: "application/json" }, signal: signal }).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (body) {
        if (!res.ok) {
          var e = new Error((body && body.error && body.error.message) || ("HTTP " + res.status));
          e.status = res.status;
          throw e;
        }
        return body;
      });
    });
  }

  function fillSelect(sel, items, label) {
    items.forEach(function (it) {
      var o = el("option", null, it.name + (it.tasks ? "（" + it.tasks.length + "）" : ""));
      o.value = it.name;
      sel.appendChild(o);
    });
    sel.setAttribute("data-loaded", "true");
  }

  getJSON("/api/departments").then(function (d) { fillSelect(depSel, d.departments || []); })
    .catch(function () { setStatus("部门列表加载失败", true); });
  getJSON("/api/categories").then(function (d) { fillSelect(catSel, d.categories || []); })
    .catch(function () { setStatus("类别列表加载失败", true); });

  function setStatus(text, bad) {
    status.textContent = text;
    status.classList.toggle("bad", !!bad);
  }

  // ---------------------------------------------------------------- search

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(function () { timer = null; runSearch(); }, 120);
  }

  // Enter pressed before the debounce fired: search now, then act on fresh results.
  function settled() {
    if (timer) { clearTimeout(timer); timer = null; runSearch(); }
    return lastSearch;
  }

  function runSearch() {
    var q = qInput.value.trim();
    var dep = depSel.value, cat = catSel.value;
    if (inflight) inflight.abort();
    if (!q && !dep && !cat) {
      inflight = null;
      render([], 0, "");
      setStatus("输入关键词开始检索");
      lastSearch = Promise.resolve();
      return lastSearch;
    }
    var params = new URLSearchParams({ q: q, limit: "50" });
    if (dep) params.set("department", dep);
    if (cat) params.set("category", cat);
    var ctl = new AbortController();
    inflight = ctl;
    var mine = ++seq;
    var t0 = performance.now();
    list.setAttribute("aria-busy", "true");
    lastSearch = getJSON("/api/search?" + params.toString(), ctl.signal).then(function (data) {
      if (mine !== seq) return; // a newer search already started
      render(data.results || [], data.total || 0, q);
      var ms = Math.round(performance.now() - t0);
      setStatus((data.total ? "共 " + data.total + " 条" : "没有找到匹配的内容，换个说法试试") + " · " + ms + " ms");
    }, function (err) {
      if (err.name === "AbortError" || mine !== seq) return;
      render([], 0, q);
      setStatus(err.status === 429 ? "请求太频繁，请稍后再试" : "检索失败：" + err.message, true);
    }).then(function () {
      if (mine === seq) list.removeAttribute("aria-busy");
    });
    return lastSearch;
  }

  // Wrap the [start, end) character ranges of `text` in <mark>, using text nodes only.
  function highlighted(text, ranges) {
    var frag = document.createDocumentFragment();
    var rs = (Array.isArray(ranges) ? ranges : [])
      .filter(function (r) { return Array.isArray(r) && r[1] > r[0]; })
      .map(function (r) { return [Math.max(0, r[0]), Math.min(text.length, r[1])]; })
      .sort(function (a, b) { return a[0] - b[0]; });
    var pos = 0;
    rs.forEach(function (r) {
      var s = Math.max(r[0], pos);
      if (r[1] <= s) return;
      if (s > pos) frag.appendChild(document.createTextNode(text.slice(pos, s)));
      frag.appendChild(el("mark", null, text.slice(s, r[1])));
      pos = r[1];
    });
    if (pos < text.length) frag.appendChild(document.createTextNode(text.slice(pos)));
    return frag;
  }

  // What an agent reads out for a row. A passage of the plan's body is read out with its task and lead
  // department (the server's reply), never as a bare sentence.
  function replyOf(r) {
    if (r.reply) return r.reply;
    var deps = r.departments || [];
    if (r.task != null && deps.length) {
      return "根据方案任务清单第" + r.task + "项：「" + r.text + "」该项由" + deps[0] + "牵头" +
        (deps.length > 1 ? "，" + deps.slice(1).join("、") + "共同负责" : "") + "。";
    }
    // A passage no task owns (the preamble): say where it comes from and where to turn.
    return r.text ? "《苏州工业园区2023年营商环境建设行动方案》正文写道：「" + r.text + "」办理具体事项可拨打 12345 咨询。" : "";
  }

  function isBody(r) { return r.kind ? r.kind !== "task" : r.task == null; }

  function render(items, total, q) {
    results = items;
    list.textContent = "";
    qInput.setAttribute("aria-expanded", items.length ? "true" : "false");
    if (!items.length) { qInput.removeAttribute("aria-activedescendant"); list.removeAttribute("aria-activedescendant"); }
    items.forEach(function (r, i) {
      var li = el("li", "result");
      li.id = "r-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      var meta = el("div", "meta");
      meta.appendChild(el("span", "no", r.task != null ? "第" + r.task + "项" : "正文"));
      if (r.task != null && isBody(r)) meta.appendChild(el("span", "kind", "正文"));
      if (r.category || r.section) meta.appendChild(el("span", "sec", r.category || r.section));
      var deps = el("span", "deps");
      (r.departments || []).forEach(function (d, j) {
        deps.appendChild(el("span", "dep" + (j === 0 ? " lead" : ""), d));
      });
      meta.appendChild(deps);
      li.appendChild(meta);
      var p = el("p", "text");
      p.appendChild(highlighted(String(r.text || ""), r.highlights));
      li.appendChild(p);
      li.addEventListener("click", function () { select(i); openCard(); });
      list.appendChild(li);
    });
    selected = -1;
    if (items.length) select(0);
  }

  function select(i) {
    if (!results.length) return;
    i = Math.max(0, Math.min(results.length - 1, i));
    var prev = list.children[selected];
    if (prev) { prev.classList.remove("sel"); prev.setAttribute("aria-selected", "false"); }
    selected = i;
    var cur = list.children[i];
    cur.classList.add("sel");
    cur.setAttribute("aria-selected", "true");
    // The input keeps focus while typing (combobox); after Enter the listbox has it: both point at the row.
    qInput.setAttribute("aria-activedescendant", cur.id);
    list.setAttribute("aria-activedescendant", cur.id);
    cur.scrollIntoView({ block: "nearest" });
  }

  // ---------------------------------------------------------------- card

  function openCard() {
    var r = results[selected];
    if (!r) return;
    if (r.task == null) {
      // A passage from the body of the plan: no task card, show the passage itself.
      showCard({ number: null, section: r.section, category: r.category, text: r.text, departments: r.departments || [], body: [], reply: replyOf(r) });
      return;
    }
    cardTitle.textContent = "第" + r.task + "项 · 加载中…";
    card.hidden = false;
    cardEmpty.hidden = true;
    getJSON("/api/tasks/" + encodeURIComponent(r.task)).then(function (task) {
      // The hit's own read-out: it quotes the body sentence the words were found in, when they were.
      if (r.reply) task.reply = r.reply;
      showCard(task);
    }, function (err) {
      cardTitle.textContent = "第" + r.task + "项";
      cardBody.textContent = "";
      cardBody.appendChild(el("p", "bad", "任务详情加载失败：" + err.message));
    });
  }

  function field(label, node) {
    var row = el("div", "field");
    row.appendChild(el("div", "flabel", label));
    var v = el("div", "fvalue");
    if (typeof node === "string") v.textContent = node; else v.appendChild(node);
    row.appendChild(v);
    return row;
  }

  function showCard(t) {
    openTask = t;
    card.hidden = false;
    cardEmpty.hidden = true;
    cardTitle.textContent = t.number != null ? "任务清单第" + t.number + "项" : "政策正文";
    cardBody.textContent = "";

    var reply = el("div", "reply");
    reply.appendChild(el("div", "flabel", "答复口径（可直接朗读）"));
    reply.appendChild(el("p", "reply-text", t.reply || t.text || ""));
    var copyBtn = el("button", "copy", "复制答复 (c)");
    copyBtn.type = "button";
    copyBtn.addEventListener("click", function () { copy(t.reply || t.text || ""); });
    reply.appendChild(copyBtn);
    cardBody.appendChild(reply);

    var deps = el("div", "chips");
    (t.departments || []).forEach(function (d, i) {
      var c = el("span", "chip" + (i === 0 ? " lead" : ""));
      if (i === 0) c.appendChild(el("b", null, "牵头 "));
      c.appendChild(document.createTextNode(d));
      deps.appendChild(c);
    });
    cardBody.appendChild(field("负责部门", deps));
    cardBody.appendChild(field("任务内容", t.text || ""));
    // `section` is the full heading path when known; otherwise build it from part and category.
    var where = t.section || [t.part, t.category].filter(Boolean).join(" > ");
    if (where) cardBody.appendChild(field("所属章节", where));
    if (t.number != null) cardBody.appendChild(field("任务编号", "第" + t.number + "项"));
    if (t.body && t.body.length) {
      var wrap = document.createDocumentFragment();
      t.body.forEach(function (b) { wrap.appendChild(el("blockquote", "body", b)); });
      cardBody.appendChild(field("正文对应段落", wrap));
    }
  }

  function closeCard() {
    card.hidden = true;
    cardEmpty.hidden = false;
    openTask = null;
  }
  $("card-close").addEventListener("click", closeCard);

  // ---------------------------------------------------------------- copy

  function copy(text) {
    if (!text) return;
    var done = function () { flash("已复制"); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { legacyCopy(text) ? done() : flash("复制失败，请手动选择文字", true); });
    } else if (legacyCopy(text)) {
      done();
    } else {
      flash("复制失败，请手动选择文字", true);
    }
  }

  // Plain-http deployments have no navigator.clipboard.
  function legacyCopy(text) {
    var ta = el("textarea");
    ta.value = text;
    ta.setAttribute("readonly", "");
    ta.className = "offscreen";
    document.body.appendChild(ta);
    ta.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    ta.remove();
    return ok;
  }

  var toastTimer = null;
  function flash(text, bad) {
    toast.textContent = text;
    toast.className = "toast show" + (bad ? " bad" : "");
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { toast.className = "toast"; }, 1800);
  }

  function currentReply() {
    if (openTask) return openTask.reply || openTask.text;
    var r = results[selected];
    return r ? replyOf(r) : "";
  }

  // ---------------------------------------------------------------- keyboard

  // A pinyin IME sends input events for every composition step ("z", "zh", "zhu" …): search once, on the
  // characters chosen, and leave the current list in place meanwhile.
  qInput.addEventListener("compositionstart", function () { composing = true; clearTimeout(timer); timer = null; });
  qInput.addEventListener("compositionend", function () { composing = false; schedule(); });
  qInput.addEventListener("input", function (ev) {
    if (composing || ev.isComposing) return;
    schedule();
  });
  depSel.addEventListener("change", runSearch);
  catSel.addEventListener("change", runSearch);
  $("filters").addEventListener("submit", function (ev) { ev.preventDefault(); });

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.isComposing || ev.keyCode === 229 || (composing && ev.target === qInput)) return; // keys the IME is using
    var inText = typing(ev.target);
    var inSearch = ev.target === qInput;
    if (ev.key === "/" && !inText) {
      ev.preventDefault();
      qInput.focus();
      qInput.select();
    } else if ((ev.key === "ArrowDown" || ev.key === "ArrowUp") && (!inText || inSearch)) {
      if (!results.length) return;
      ev.preventDefault();
      select(selected + (ev.key === "ArrowDown" ? 1 : -1));
      if (!card.hidden) openCard();
    } else if (ev.key === "Enter" && (!inText || inSearch) && ev.target.tagName !== "BUTTON") {
      ev.preventDefault();
      settled().then(function () {
        if (!results.length) return;
        openCard();
        // Leave the search field so the single-key shortcuts (c, arrows, Esc) work at once.
        list.focus();
      });
    } else if ((ev.key === "c" || ev.key === "C") && !inText) {
      ev.preventDefault();
      copy(currentReply());
    } else if (ev.key === "Escape") {
      if (!card.hidden) { ev.preventDefault(); closeCard(); if (!inText) list.focus(); }
      else if (inSearch && qInput.value) { /* the search field clears itself */ }
      else if (inText) ev.target.blur();
    }
  });
})();
