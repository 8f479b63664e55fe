/* Staff admin: edit the eval question set (ETag / If-Match), review the question log, run the evaluation. */
(function () {
  "use strict";

  var TOKEN_KEY = "policybot.adminToken";
  var KINDS = [
    ["department", "找部门"], ["content", "问内容"], ["department_tasks", "部门任务"],
    ["category_tasks", "类别任务"], ["task_number", "任务编号"], ["not_stated", "方案未写明"], ["out_of_scope", "超出范围"]
  ];
  var KIND_LABEL = {};
  KINDS.forEach(function (k) { KIND_LABEL[k[0]] = k[1]; });
  var LOG_PAGE = 50;

  var $ = function (id) { return document.getElementById(id); };
  var state = { token: sessionStorage.getItem(TOKEN_KEY) || "", etag: null, questions: [], logOffset: 0, logTotal: 0, pollTimer: null };

  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text != null) n.textContent = text;
    return n;
  }
  function button(text, cls, onClick) {
    var b = el("button", cls || "ghost small", text);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }
  // Rows of buttons with one visible label each say in their accessible name which question they act on.
  function named(b, label) {
    b.setAttribute("aria-label", label);
    return b;
  }
  function td(content, cls) {
    var c = el("td", cls);
    if (content == null) return c;
    if (typeof content === "string" || typeof content === "number") c.textContent = String(content);
    else c.appendChild(content);
    return c;
  }
  function fmtTime(v) {
    if (v == null || v === "") return "—";
    var d = typeof v === "number" ? new Date(v * (v < 1e12 ? 1000 : 1)) : new Date(v);
    if (isNaN(d)) return String(v);
    var p = function (n) { return (n < 10 ? "0" : "") + n; };
    return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + " " + p(d.getHours()) + ":" + p(d.getMinutes()) + ":" + p(d.getSeconds());
  }

  // ---------------------------------------------------------------- HTTP

  function ApiError(status, body) {
    var err = (body && body.error) || {};
    this.status = status;
    this.code = err.code || "";
    this.message = err.message || ("HTTP " + status);
    this.details = Array.isArray(err.details) ? err.details : [];
  }

  function api(method, path, opts) {
    opts = opts || {};
    var headers = { Accept: "application/json", Authorization: "Bearer " + state.token };
    if (opts.body !== undefined) headers["Content-Type"] = "application/json";
    if (opts.ifMatch) headers["If-Match"] = opts.ifMatch;
    return fetch(path, {
      method: method, headers: headers, cache: "no-store",
      body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined
    }).then(function (res) {
      var parse = opts.text ? res.text() : res.json().catch(function () { return null; });
      return parse.then(function (body) {
        if (res.status === 401 && !opts.login) { logout("令牌无效或已失效，请重新输入。"); }
        if (!res.ok) throw new ApiError(res.status, opts.text ? null : body);
        return { status: res.status, body: body, etag: res.headers.get("ETag") };
      });
    }, function () {
      throw new ApiError(0, { error: { code: "network", message: "网络连接失败，请检查网络后重试。" } });
    });
  }

  var noticeTimer = null;
  function notice(text, kind) {
    var n = $("notice");
    n.textContent = text;
    n.className = "notice show " + (kind || "ok");
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(function () { n.className = "notice"; }, kind === "bad" ? 8000 : 4000);
  }
  function describe(err) {
    if (err.status === 0) return err.message;
    if (err.status === 409) return "评测集已被其他人修改，已重新加载最新内容，请核对后再保存。";
    if (err.status === 428) return "缺少版本信息（If-Match），已重新加载，请重试。";
    if (err.status === 429) return "操作太频繁，请稍后再试。";
    return err.message;
  }

  // ---------------------------------------------------------------- login

  function showApp(on) {
    $("login").hidden = on;
    $("app").hidden = !on;
    $("logout").hidden = !on;
  }

  function logout(message) {
    state.token = "";
    state.etag = null;
    sessionStorage.removeItem(TOKEN_KEY);
    stopPolling();
    showApp(false);
    $("login-error").textContent = message || "";
    $("token").value = "";
    $("token").focus();
  }

  $("login-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var t = $("token").value.trim();
    if (!t) { $("login-error").textContent = "请输入令牌。"; return; }
    state.token = t;
    $("login-error").textContent = "";
    api("GET", "/api/admin/questions", { login: true }).then(function (r) {
      sessionStorage.setItem(TOKEN_KEY, t);
      start(r);
    }, function (err) {
      state.token = "";
      $("login-error").textContent = err.status === 401 ? "令牌不正确。" : err.status === 404 ? "管理功能未启用。" : describe(err);
    });
  });
  $("logout").addEventListener("click", function () { logout(""); });

  function start(firstQuestions) {
    showApp(true);
    fillKindSelect($("q-kind"), true);
    fillKindSelect($("f-kind"), false);
    if (firstQuestions) acceptQuestions(firstQuestions); else loadQuestions();
    var tab = location.hash.slice(1);
    selectTab(TABS.indexOf(tab) >= 0 ? tab : "questions", false);
    // The login form is gone: start keyboard and screen-reader users at the page's heading, not at <body>.
    $("app-heading").focus();
  }

  function fillKindSelect(sel, withAll) {
    if (sel.getAttribute("data-filled")) return;
    KINDS.forEach(function (k) {
      var o = el("option", null, k[1] + "（" + k[0] + "）");
      o.value = k[0];
      sel.appendChild(o);
    });
    sel.setAttribute("data-filled", "1");
  }

  // ---------------------------------------------------------------- tabs

  var TABS = ["questions", "log", "feedback", "eval"];
  function selectTab(name, focus) {
    TABS.forEach(function (t) {
      var tab = $("tab-" + t), on = t === name;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tabIndex = on ? 0 : -1;
      $("panel-" + t).hidden = !on;
      if (on && focus) tab.focus();
    });
    history.replaceState(null, "", "#" + name);
    if (name === "log") { loadLog(); loadTopics(); loadAttention(); }
    if (name === "feedback") loadFeedback();
    if (name === "eval") loadRuns(); else stopPolling();
  }
  TABS.forEach(function (t, i) {
    var tab = $("tab-" + t);
    tab.addEventListener("click", function () { selectTab(t, false); });
    tab.addEventListener("keydown", function (ev) {
      var step = ev.key === "ArrowRight" ? 1 : ev.key === "ArrowLeft" ? -1 : 0;
      if (!step) return;
      ev.preventDefault();
      selectTab(TABS[(i + step + TABS.length) % TABS.length], true);
    });
  });

  // ---------------------------------------------------------------- questions

  function questionParams() {
    var p = new URLSearchParams();
    if ($("q-search").value.trim()) p.set("q", $("q-search").value.trim());
    if ($("q-kind").value) p.set("kind", $("q-kind").value);
    if ($("q-split").value) p.set("split", $("q-split").value);
    var s = p.toString();
    return s ? "?" + s : "";
  }

  function loadQuestions() {
    return api("GET", "/api/admin/questions" + questionParams()).then(acceptQuestions, function (err) {
      if (err.status !== 401) notice("加载评测问题失败：" + describe(err), "bad");
    });
  }

  function acceptQuestions(r) {
    state.etag = (r.body && r.body.etag) || r.etag;
    state.questions = (r.body && r.body.questions) || [];
    renderQuestions();
  }

  var qTimer = null;
  $("q-search").addEventListener("input", function () { clearTimeout(qTimer); qTimer = setTimeout(loadQuestions, 200); });
  $("q-kind").addEventListener("change", loadQuestions);
  $("q-split").addEventListener("change", loadQuestions);
  $("q-filters").addEventListener("submit", function (ev) { ev.preventDefault(); loadQuestions(); });
  $("q-add").addEventListener("click", function () { openEditor("add", null); });

  function tasksText(q) {
    var parts = [];
    if (q.tasks_any && q.tasks_any.length) parts.push("任一 " + q.tasks_any.join("、"));
    if (q.tasks_all && q.tasks_all.length) parts.push("全部 " + q.tasks_all.join("、"));
    return parts.join("；") || "—";
  }

  function renderQuestions() {
    var body = $("q-table").tBodies[0];
    body.textContent = "";
    $("q-count").textContent = "共 " + state.questions.length + " 条";
    if (!state.questions.length) {
      var tr = el("tr");
      var c = td("没有符合条件的问题", "empty");
      c.colSpan = 7;
      tr.appendChild(c);
      body.appendChild(tr);
      return;
    }
    state.questions.forEach(function (q) {
      var tr = el("tr");
      tr.setAttribute("data-id", q.id);
      tr.appendChild(td(q.id, "mono"));
      var qc = el("div");
      qc.appendChild(el("span", null, q.question));
      if (q.refuse) qc.appendChild(el("span", "tag warn", "应拒答"));
      if (q.lang === "en") qc.appendChild(el("span", "tag", "EN"));
      if (q.note) qc.appendChild(el("div", "muted small", q.note));
      tr.appendChild(td(qc, "qtext"));
      tr.appendChild(td(KIND_LABEL[q.kind] || q.kind, "nowrap"));
      tr.appendChild(td(q.split, "nowrap"));
      tr.appendChild(td(tasksText(q)));
      tr.appendChild(td((q.departments || []).join("、") || "—"));
      var act = el("div", "row-actions");
      act.appendChild(named(button("编辑", "ghost small", function () { openEditor("edit", q); }), "编辑：" + q.question));
      act.appendChild(named(button("删除", "danger small", function () { removeQuestion(q); }), "删除：" + q.question));
      tr.appendChild(td(act));
      body.appendChild(tr);
    });
  }

  function removeQuestion(q) {
    if (!window.confirm("确定删除评测问题 " + q.id + "？\n" + q.question)) return;
    api("DELETE", "/api/admin/questions/" + encodeURIComponent(q.id), { ifMatch: state.etag }).then(function (r) {
      if (r.body && r.body.etag) state.etag = r.body.etag;
      notice("已删除 " + q.id);
      loadQuestions();
    }, function (err) {
      notice(describe(err), "bad");
      if (err.status === 409 || err.status === 428 || err.status === 404) loadQuestions();
    });
  }

  // ---------------------------------------------------------------- editor dialog

  var dialog = $("editor");
  var editing = null; // {mode, record, source: {type: log | feedback, item}}

  function listOf(text) {
    return String(text || "").split(/[\s,，、;；]+/).filter(Boolean);
  }
  function intsOf(text, label, errors) {
    var out = [];
    listOf(text).forEach(function (t) {
      if (/^\d+$/.test(t) && +t > 0) out.push(+t);
      else errors.push(label + "：“" + t + "”不是有效的任务编号（正整数）");
    });
    return out;
  }

  function showRows(names) {
    Array.prototype.forEach.call(dialog.querySelectorAll(".row"), function (r) {
      r.hidden = names.indexOf(r.getAttribute("data-f")) < 0;
    });
  }

  // The bot's answer beside the form, for reference only: the expected answer starts empty.
  function showReference(source) {
    var box = $("editor-reference"), dl = $("reference-list");
    dl.textContent = "";
    box.hidden = !source;
    if (!source) return;
    var it = source.item;
    var rows = [["问题", it.question]];
    if (source.type === "feedback") {
      rows.push(["用户评价", it.helpful ? "有帮助" : "没帮助"]);
      if (it.comment) rows.push(["用户留言", it.comment]);
      rows.push(["回答类型", KIND_LABEL[it.answer_kind] || it.answer_kind || "—"]);
      rows.push(["引用任务", (it.tasks || []).length ? it.tasks.map(function (n) { return "第" + n + "项"; }).join("、") : "—"]);
    } else {
      rows.push(["结果", (it.answered ? "已回答" : "未回答") + (it.kind ? "（" + (KIND_LABEL[it.kind] || it.kind) + "）" : "")]);
      rows.push(["首个任务", it.top_task != null ? "第" + it.top_task + "项" : "—"]);
      rows.push(["部门", (it.departments || []).join("、") || "—"]);
      if (typeof it.score === "number") rows.push(["得分", scoreText(it.score)]);
    }
    rows.forEach(function (r) {
      dl.appendChild(el("dt", null, r[0]));
      dl.appendChild(el("dd", null, r[1]));
    });
  }

  function openEditor(mode, rec, source) {
    editing = { mode: mode, record: rec, source: source };
    rec = rec || {};
    $("editor-title").textContent = mode === "add" ? "新增评测问题" : mode === "edit" ? "编辑评测问题 " + rec.id : "加入评测集";
    $("editor-source").textContent = mode !== "promote" ? "" :
      (source.type === "feedback" ? "来自用户反馈：" : "来自提问日志 #" + source.item.id + "：") + source.item.question;
    $("f-question").value = rec.question || "";
    $("f-kind").value = rec.kind || (mode === "add" ? "department" : "");
    $("f-split").value = rec.split || "dev";
    $("f-lang").value = rec.lang || "zh";
    $("f-tasks-any").value = (rec.tasks_any || []).join(", ");
    $("f-tasks-all").value = (rec.tasks_all || []).join(", ");
    $("f-departments").value = (rec.departments || []).join("、");
    $("f-contains").value = (rec.contains || []).join("、");
    $("f-refuse").checked = !!rec.refuse;
    $("f-note").value = rec.note || "";
    clearErrors();
    showReference(mode === "promote" ? source : null);
    dialog.classList.toggle("with-reference", mode === "promote");
    showRows(mode === "promote"
      ? ["kind", "split", "refuse", "tasks_any", "tasks_all", "departments", "contains", "note"]
      : ["question", "kind", "split", "lang", "refuse", "tasks_any", "tasks_all", "departments", "contains", "note"]);
    $("editor-save").disabled = false;
    hintFor = undefined;
    departmentHint();
    dialog.showModal();
    (mode === "promote" ? $("f-kind") : $("f-question")).focus();
  }

  function closeEditor() { dialog.close(); editing = null; }
  $("editor-cancel").addEventListener("click", closeEditor);

  // Valid examples: once one task is expected, offer exactly its departments (the set accepts nothing else).
  var hintSeq = 0, hintFor = null;
  function departmentHint() {
    var fill = $("fill-departments");
    var nums = listOf($("f-tasks-any").value).filter(function (t) { return /^\d+$/.test(t); });
    var key = nums.length === 1 ? nums[0] : null;
    if (key === hintFor && (key === null || !fill.hidden)) return; // unchanged: keep the offer where it is
    hintFor = key;
    var mine = ++hintSeq;
    fill.hidden = true;
    if (key === null) return;
    fetch("/api/tasks/" + encodeURIComponent(nums[0]), { headers: { Accept: "application/json" } }).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (task) {
      if (mine !== hintSeq || !task || !task.departments || !task.departments.length) return;
      var names = task.departments.join("、");
      fill.textContent = "填入第" + task.number + "项的负责部门：" + names;
      fill.onclick = function () { $("f-departments").value = names; $("f-departments").focus(); };
      fill.hidden = false;
    }, function () {});
  }
  $("f-tasks-any").addEventListener("change", departmentHint);

  // Fields the server names in its message or details, so the one to fix is marked.
  var FIELD_IDS = {
    question: "f-question", kind: "f-kind", split: "f-split", lang: "f-lang", refuse: "f-refuse",
    tasks_any: "f-tasks-any", tasks_all: "f-tasks-all", departments: "f-departments", contains: "f-contains", note: "f-note"
  };
  var FIELD_LABELS = {
    question: "问题", kind: "题型", split: "划分", lang: "语言", refuse: "应拒答", tasks_any: "任一命中任务",
    tasks_all: "须全部引用任务", departments: "期望部门", contains: "答案须包含", note: "备注"
  };

  function clearErrors() {
    $("editor-errors").textContent = "";
    Array.prototype.forEach.call(dialog.querySelectorAll("[aria-invalid]"), function (n) { n.removeAttribute("aria-invalid"); });
    Array.prototype.forEach.call(dialog.querySelectorAll(".row.invalid"), function (n) { n.classList.remove("invalid"); });
  }

  function showErrors(lines, fields) {
    clearErrors();
    var ul = $("editor-errors");
    lines.forEach(function (line) { if (line) ul.appendChild(el("li", null, line)); });
    var first = null;
    (fields || []).forEach(function (f) {
      var input = $(FIELD_IDS[f]);
      if (!input || input.closest(".row").hidden) return;
      input.setAttribute("aria-invalid", "true");
      input.closest(".row").classList.add("invalid");
      first = first || input;
    });
    if (first) first.focus();
  }

  // A marked field is unmarked as soon as it is edited; the list goes once nothing is marked.
  function unmark(ev) {
    var row = ev.target.closest && ev.target.closest(".row.invalid");
    if (!row) return;
    row.classList.remove("invalid");
    Array.prototype.forEach.call(row.querySelectorAll("[aria-invalid]"), function (n) { n.removeAttribute("aria-invalid"); });
    if (!dialog.querySelector(".row.invalid")) $("editor-errors").textContent = "";
  }
  $("editor-form").addEventListener("input", unmark);
  $("editor-form").addEventListener("change", unmark);

  function detailField(d) {
    if (!d || typeof d !== "object") return null;
    if (d.field) return d.field;
    if (Array.isArray(d.loc)) {
      for (var i = d.loc.length - 1; i >= 0; i--) if (FIELD_IDS[d.loc[i]]) return d.loc[i];
    }
    return null;
  }

  function detailText(d) {
    if (typeof d === "string") return d;
    if (!d || typeof d !== "object") return String(d);
    var f = detailField(d);
    var msg = d.msg_zh && d.msg ? d.msg_zh + " / " + d.msg : d.message || d.msg || JSON.stringify(d);
    return f ? (FIELD_LABELS[f] || f) + "（" + f + "）：" + msg : msg;
  }

  // Which fields a server error is about: from structured details, else the field names its lines
  // mention ("q0930: departments：应为… / departments: …").
  function fieldsOf(err) {
    var found = [];
    var add = function (f) { if (f && found.indexOf(f) < 0) found.push(f); };
    err.details.forEach(function (d) { add(detailField(d)); });
    if (!found.length) {
      var text = [err.message].concat(err.details.filter(function (d) { return typeof d === "string"; })).join("\n");
      Object.keys(FIELD_IDS).forEach(function (f) {
        if (new RegExp("(^|[^A-Za-z_])" + f + "([^A-Za-z_]|$)").test(text)) add(f);
      });
    }
    return found;
  }

  function feedbackNote(item) {
    return "用户反馈" + (item.helpful ? "（有帮助）" : "（没帮助）") + (item.comment ? "：" + item.comment : "");
  }

  function confirmTestSplit(rec) {
    var before = editing.mode === "edit" ? editing.record.split : null;
    if (rec.split !== "test" || before === "test") return true;
    return window.confirm(
      "确定放入 test 划分？\n\ntest 划分只用于报告准确率，放入后不应再据它调整方法；日常新增请用 dev。\n" +
      "Move this question into the test split? Test questions are only for reporting; use dev for everyday additions."
    );
  }

  $("editor-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (!editing) return;
    var errors = [], bad = [];
    var n = errors.length;
    var rec = {
      kind: $("f-kind").value,
      split: $("f-split").value,
      tasks_any: intsOf($("f-tasks-any").value, "任一命中任务", errors),
      tasks_all: [],
      departments: listOf($("f-departments").value),
      refuse: $("f-refuse").checked
    };
    if (errors.length > n) bad.push("tasks_any");
    n = errors.length;
    rec.tasks_all = intsOf($("f-tasks-all").value, "须全部引用任务", errors);
    if (errors.length > n) bad.push("tasks_all");
    var mode = editing.mode, source = editing.source;
    rec.contains = listOf($("f-contains").value);
    rec.note = $("f-note").value.trim();
    if (mode !== "promote") {
      rec.question = $("f-question").value.trim();
      rec.lang = $("f-lang").value;
      if (!rec.question) { errors.push("问题：不能为空 / question: must not be empty"); bad.push("question"); }
    }
    if (!rec.kind) { errors.push("题型：请选择期望的题型 / kind: choose the expected kind"); bad.push("kind"); }
    if ((rec.kind === "out_of_scope" || rec.kind === "not_stated") && !rec.refuse) {
      errors.push("应拒答：题型为“超出范围”或“方案未写明”时应勾选 / refuse: tick it for out_of_scope and not_stated");
      bad.push("refuse");
    }
    if (errors.length) { showErrors(errors, bad); return; }
    if (!confirmTestSplit(rec)) { $("f-split").focus(); return; }

    var req;
    if (mode === "add") req = api("POST", "/api/admin/questions", { body: rec, ifMatch: state.etag });
    else if (mode === "edit") req = api("PUT", "/api/admin/questions/" + encodeURIComponent(editing.record.id), { body: rec, ifMatch: state.etag });
    else if (source.type === "feedback" && source.item.log_id == null) {
      rec.question = source.item.question;
      rec.note = rec.note || feedbackNote(source.item);
      req = ensureEtag().then(function () { return api("POST", "/api/admin/questions", { body: rec, ifMatch: state.etag }); });
    } else {
      // A feedback item is a logged question too: promoting it through the log keeps the link.
      var logId = source.type === "feedback" ? source.item.log_id : source.item.id;
      if (source.type === "feedback") rec.note = rec.note || feedbackNote(source.item);
      req = ensureEtag().then(function () {
        return api("POST", "/api/admin/log/" + encodeURIComponent(logId) + "/promote", { body: rec, ifMatch: state.etag });
      });
    }
    $("editor-save").disabled = true;
    req.then(function (r) {
      if (r.body && r.body.etag) state.etag = r.body.etag;
      var q = r.body && r.body.question;
      notice(mode === "add" ? "已新增 " + (q && q.id || "") : mode === "edit" ? "已保存 " + editing.record.id : "已加入评测集 " + (q && q.id || ""));
      closeEditor();
      loadQuestions();
    }, function (err) {
      $("editor-save").disabled = false;
      if (err.status === 422 || err.status === 400) {
        showErrors([err.message].concat(err.details.map(detailText)), fieldsOf(err));
      } else {
        showErrors([describe(err)]);
        if (err.status === 409 || err.status === 428) { notice(describe(err), "bad"); loadQuestions(); }
      }
    });
  });

  function ensureEtag() {
    return state.etag ? Promise.resolve() : loadQuestions();
  }

  // ---------------------------------------------------------------- question log

  function logParams() {
    var p = new URLSearchParams({ limit: String(LOG_PAGE), offset: String(state.logOffset) });
    if ($("log-search").value.trim()) p.set("q", $("log-search").value.trim());
    if ($("log-answered").value) p.set("answered", $("log-answered").value);
    return p.toString();
  }

  function loadLog() {
    api("GET", "/api/admin/log?" + logParams()).then(function (r) {
      state.logTotal = r.body.total || 0;
      renderLog(r.body.items || []);
    }, function (err) { if (err.status !== 401) notice("加载提问日志失败：" + describe(err), "bad"); });
  }

  function resultCell(item) {
    var wrap = el("span");
    wrap.appendChild(el("span", "tag " + (item.answered ? "ok" : "warn"), item.answered ? "已回答" : "未回答"));
    if (item.kind) wrap.appendChild(el("span", "muted small kind-line", KIND_LABEL[item.kind] || item.kind));
    return wrap;
  }
  function scoreText(s) { return typeof s === "number" ? s.toFixed(2) : "—"; }

  function renderLog(items) {
    var body = $("log-table").tBodies[0];
    body.textContent = "";
    var from = items.length ? state.logOffset + 1 : 0;
    $("log-count").textContent = from + "–" + (state.logOffset + items.length) + " / 共 " + state.logTotal + " 条";
    $("log-prev").disabled = state.logOffset <= 0;
    $("log-next").disabled = state.logOffset + items.length >= state.logTotal;
    if (!items.length) {
      var tr = el("tr"), c = td("暂无提问记录", "empty");
      c.colSpan = 6; tr.appendChild(c); body.appendChild(tr);
      return;
    }
    items.forEach(function (it) {
      var tr = el("tr");
      tr.appendChild(td(fmtTime(it.ts), "mono small"));
      var qc = el("div", null, it.question);
      if (it.departments && it.departments.length) qc.appendChild(el("div", "muted small", it.departments.join("、")));
      tr.appendChild(td(qc, "qtext"));
      tr.appendChild(td(resultCell(it)));
      tr.appendChild(td(it.top_task != null ? "第" + it.top_task + "项" : "—"));
      tr.appendChild(td(scoreText(it.score), "mono"));
      tr.appendChild(td(named(button("加入评测集", "ghost small", function () { promote(it); }), "加入评测集：" + it.question), "nowrap"));
      body.appendChild(tr);
    });
  }

  // Promotion starts from an empty expected answer; the bot's answer is shown beside the form.
  function promote(item) {
    openEditor("promote", { split: "dev" }, { type: "log", item: item });
  }

  var logTimer = null;
  $("log-search").addEventListener("input", function () {
    clearTimeout(logTimer);
    logTimer = setTimeout(function () { state.logOffset = 0; loadLog(); }, 200);
  });
  $("log-answered").addEventListener("change", function () { state.logOffset = 0; loadLog(); });
  $("log-filters").addEventListener("submit", function (ev) { ev.preventDefault(); });
  $("log-prev").addEventListener("click", function () { state.logOffset = Math.max(0, state.logOffset - LOG_PAGE); loadLog(); });
  $("log-next").addEventListener("click", function () { state.logOffset += LOG_PAGE; loadLog(); });

  function loadTopics() {
    api("GET", "/api/admin/log/topics").then(function (r) {
      var tasks = $("topic-tasks"), qs = $("topic-questions");
      tasks.textContent = ""; qs.textContent = "";
      (r.body.tasks || []).forEach(function (t) {
        var li = el("li");
        li.appendChild(el("b", null, "第" + t.task + "项"));
        li.appendChild(el("span", "count-pill", t.count + " 次"));
        if (t.text) li.appendChild(el("div", "muted small", t.text));
        tasks.appendChild(li);
      });
      (r.body.questions || []).forEach(function (q) {
        var li = el("li");
        li.appendChild(el("span", null, q.question));
        li.appendChild(el("span", "count-pill", q.count + " 次"));
        qs.appendChild(li);
      });
      if (!tasks.children.length) tasks.appendChild(el("li", "muted", "暂无数据"));
      if (!qs.children.length) qs.appendChild(el("li", "muted", "暂无数据"));
    }, function (err) { if (err.status !== 401) notice("加载高频话题失败：" + describe(err), "bad"); });
  }

  function attentionItem(it) {
    var li = el("li");
    li.appendChild(el("span", null, it.question));
    var meta = el("div", "muted small", fmtTime(it.ts) + (typeof it.score === "number" ? " · 得分 " + scoreText(it.score) : ""));
    meta.appendChild(document.createTextNode(" "));
    meta.appendChild(named(button("加入评测集", "link", function () { promote(it); }), "加入评测集：" + it.question));
    li.appendChild(meta);
    return li;
  }

  function loadAttention() {
    var th = parseFloat($("threshold").value);
    var qs = isFinite(th) ? "?threshold=" + encodeURIComponent(th) : "";
    api("GET", "/api/admin/log/attention" + qs).then(function (r) {
      [["att-unanswered", r.body.unanswered], ["att-low", r.body.low_confidence]].forEach(function (pair) {
        var ul = $(pair[0]);
        ul.textContent = "";
        (pair[1] || []).forEach(function (it) { ul.appendChild(attentionItem(it)); });
        if (!ul.children.length) ul.appendChild(el("li", "muted", "暂无"));
      });
    }, function (err) { if (err.status !== 401) notice("加载待关注问题失败：" + describe(err), "bad"); });
  }
  $("threshold").addEventListener("change", loadAttention);

  // ---------------------------------------------------------------- feedback

  function loadFeedback() {
    api("GET", "/api/admin/feedback").then(function (r) {
      renderFeedback((r.body && r.body.items) || []);
    }, function (err) {
      if (err.status !== 401) notice("加载用户反馈失败：" + describe(err), "bad");
    });
  }
  $("fb-reload").addEventListener("click", loadFeedback);

  function renderFeedback(items) {
    var body = $("fb-table").tBodies[0];
    body.textContent = "";
    $("fb-count").textContent = "共 " + items.length + " 条";
    if (!items.length) {
      var tr = el("tr"), c = td("暂无用户反馈", "empty");
      c.colSpan = 6; tr.appendChild(c); body.appendChild(tr);
      return;
    }
    items.forEach(function (it) {
      var tr = el("tr");
      tr.setAttribute("data-feedback", it.id);
      tr.appendChild(td(fmtTime(it.created), "mono small"));
      var qc = el("div", null, it.question);
      if (it.answer_kind) qc.appendChild(el("div", "muted small", KIND_LABEL[it.answer_kind] || it.answer_kind));
      tr.appendChild(td(qc, "qtext"));
      tr.appendChild(td(el("span", "tag " + (it.helpful ? "ok" : "warn"), it.helpful ? "有帮助" : "没帮助"), "nowrap"));
      tr.appendChild(td(it.comment || "—", "comment"));
      tr.appendChild(td((it.tasks || []).length ? it.tasks.map(function (n) { return "第" + n + "项"; }).join("、") : "—"));
      tr.appendChild(td(named(button("加入评测集", "ghost small", function () {
        openEditor("promote", { split: "dev" }, { type: "feedback", item: it });
      }), "加入评测集：" + it.question), "nowrap"));
      body.appendChild(tr);
    });
  }

  // ---------------------------------------------------------------- eval runs

  function stopPolling() { clearTimeout(state.pollTimer); state.pollTimer = null; }

  function loadRuns() {
    stopPolling();
    return api("GET", "/api/admin/eval/runs").then(function (r) {
      var runs = r.body.runs || [];
      renderRuns(runs);
      var active = runs.some(function (x) { return x.status === "running" || x.status === "queued"; });
      $("eval-run").disabled = active;
      if (active && !$("panel-eval").hidden) state.pollTimer = setTimeout(loadRuns, 2000);
    }, function (err) { if (err.status !== 401) notice("加载评测记录失败：" + describe(err), "bad"); });
  }

  var STATUS = { running: "运行中", queued: "排队中", done: "完成", finished: "完成", succeeded: "完成", failed: "失败", error: "失败" };

  function fmtMetric(v) {
    return typeof v === "number" && !Number.isInteger(v) ? v.toFixed(3) : String(v);
  }

  function metricLine(obj, cls) {
    var line = el("div", "summary" + (cls ? " " + cls : ""));
    Object.keys(obj).forEach(function (k) {
      var v = obj[k];
      if (v === null || v === undefined || typeof v === "object") return;
      var item = el("span", "metric");
      item.appendChild(el("span", "muted", k + " "));
      item.appendChild(el("b", null, fmtMetric(v)));
      line.appendChild(item);
    });
    return line;
  }

  // Scalars on one line, then one line per system (`systems: {full: {top1: …}, bm25: {…}}`), full first.
  function summaryNode(s) {
    if (s == null) return el("span", "muted", "—");
    if (typeof s !== "object") return el("span", null, String(s));
    var wrap = el("div");
    wrap.appendChild(metricLine(s));
    var systems = s.systems && typeof s.systems === "object" ? s.systems : {};
    Object.keys(systems).sort(function (a, b) { return (b === "full") - (a === "full"); }).forEach(function (name) {
      var line = metricLine(systems[name] || {}, name === "full" ? "main" : "other");
      line.insertBefore(el("span", "system", name), line.firstChild);
      wrap.appendChild(line);
    });
    return wrap;
  }

  function renderRuns(runs) {
    var body = $("runs-table").tBodies[0];
    body.textContent = "";
    if (!runs.length) {
      var tr = el("tr"), c = td("还没有运行过评测", "empty");
      c.colSpan = 6; tr.appendChild(c); body.appendChild(tr);
      return;
    }
    runs.forEach(function (run) {
      var tr = el("tr");
      tr.appendChild(td(String(run.id), "mono"));
      var st = el("span", "tag " + (run.status === "failed" || run.status === "error" ? "warn" : run.status === "running" || run.status === "queued" ? "" : "ok"), STATUS[run.status] || run.status);
      tr.appendChild(td(st));
      tr.appendChild(td(fmtTime(run.started), "mono small"));
      tr.appendChild(td(fmtTime(run.finished), "mono small"));
      tr.appendChild(td(run.error ? el("span", "tag warn", run.error) : summaryNode(run.summary)));
      var done = STATUS[run.status] === "完成";
      tr.appendChild(td(done ? button("查看报告", "ghost small", function () { openReport(run.id); }) : null, "nowrap"));
      body.appendChild(tr);
    });
  }

  $("eval-run").addEventListener("click", function () {
    $("eval-run").disabled = true;
    api("POST", "/api/admin/eval/run?split=" + encodeURIComponent($("eval-split").value)).then(function (r) {
      notice("评测已开始（" + r.body.run + "），完成后可查看报告。");
      loadRuns();
    }, function (err) {
      $("eval-run").disabled = false;
      notice(err.status === 409 ? "已有评测正在运行，请等待完成。" : "无法开始评测：" + describe(err), "bad");
      loadRuns();
    });
  });

  // The report needs the bearer token, so it is fetched here and shown with srcdoc. A srcdoc frame
  // inherits this page's CSP, which forbids inline styles: the report's <style> elements and style
  // attributes are taken out before it is shown (so the browser has nothing to refuse) and applied
  // through the CSSOM instead, which CSP allows. The frame stays script-less (sandbox="allow-same-origin").
  function openReport(id) {
    api("GET", "/api/admin/eval/reports/" + encodeURIComponent(id) + "/", { text: true }).then(function (r) {
      var frame = $("report-frame");
      var prepared = withoutInlineStyles(r.body || "");
      frame.onload = function () { restyle(frame, prepared.css); };
      $("report-title").textContent = "评测报告 " + id;
      frame.srcdoc = prepared.html;
      $("report").hidden = false;
      $("report").scrollIntoView({ block: "start" });
    }, function (err) { notice("无法打开报告：" + describe(err), "bad"); });
  }

  // On the text, not through a parser: any HTML parser in this page would apply the page's CSP to the
  // styles it meets and log a refusal. The report is our own generated, escaped HTML, so quoted
  // style attributes and <style> elements are all there is to find (quotes in text are entities).
  function withoutInlineStyles(html) {
    var css = [];
    html = html.replace(/<style\b[^>]*>([\s\S]*?)<\/style>/gi, function (_, text) { css.push(text); return ""; });
    html = html.replace(/(<[^>]*?\s)style=("[^"]*"|'[^']*')/gi, "$1data-report-style=$2");
    return { html: html, css: css };
  }

  // The report is plain HTML (tables, SVG charts); this page gives it a readable look of its own.
  var REPORT_CSS = [
    "body{margin:16px 20px;font:14px/1.6 system-ui,'PingFang SC','Microsoft YaHei','Noto Sans CJK SC',sans-serif;color:#1b2430}",
    "h1{font-size:20px;margin:0 0 6px}h2{font-size:16px;margin:18px 0 6px}h3{font-size:14px;margin:12px 0 4px}",
    "table{border-collapse:collapse;margin:6px 0 12px;font-size:13px}",
    "th,td{border:1px solid #dbe1e8;padding:3px 8px;text-align:left;vertical-align:top}",
    "th{background:#f4f6f9;font-weight:600}td[align=right],th[align=right]{text-align:right}",
    "svg{max-width:100%;height:auto}"
  ].join("");

  function restyle(frame, css) {
    var doc, win;
    try { doc = frame.contentDocument; win = frame.contentWindow; } catch (e) { return; }
    if (!doc) return;
    try {
      doc.adoptedStyleSheets = [REPORT_CSS].concat(css).map(function (text) {
        var sheet = new win.CSSStyleSheet();
        sheet.replaceSync(text);
        return sheet;
      });
      Array.prototype.forEach.call(doc.querySelectorAll("[data-report-style]"), function (node) {
        node.style.cssText = node.getAttribute("data-report-style");
      });
    } catch (e) { /* an old browser: the report stays readable, only unstyled */ }
  }
  $("report-close").addEventListener("click", function () { $("report").hidden = true; $("report-frame").srcdoc = ""; });

  // ---------------------------------------------------------------- boot

  if (state.token) {
    api("GET", "/api/admin/questions", { login: true }).then(start, function (err) {
      logout(err.status === 401 ? "令牌已失效，请重新输入。" : describe(err));
    });
  } else {
    showApp(false);
    $("token").focus();
  }
})();
