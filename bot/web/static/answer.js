/* Renders one answer of POST /api/ask for the chat panel: lead department and next step first, lists as
   grouped lists, each part of a multi-part question under its own heading, labels in the question's language. */
(function () {
  "use strict";

  var LIST_OPEN = 8;        // list rows shown before "show all"
  var LIST_KINDS = { department_tasks: true, category_tasks: true };

  var TEXT = {
    zh: {
      badge: { out_of_scope: "政策未涉及", not_stated: "方案未写明", other: "未找到" },
      depts: "负责部门", lead: "牵头", next: "下一步",
      nextStep: function (d) { return "可联系牵头部门" + d + "办理，或拨打 12345 政务服务便民热线。"; },
      hotline: ["如需进一步咨询，请拨打 ", " 政务服务便民热线。"],
      sources: "政策原文", task: function (n) { return "第" + n + "项"; },
      count: function (n) { return "共 " + n + " 项"; },
      showAll: function (n) { return "显示全部 " + n + " 项"; }, showLess: "收起",
      parts: function (n) { return "您的问题包含 " + n + " 个方面，逐一回答："; },
      part: function (i) { return "第" + i + "部分"; },
      noDept: "未写明牵头部门", sep: "、"
    },
    en: {
      badge: { out_of_scope: "Not covered by the plan", not_stated: "Not stated in the plan", other: "Not found" },
      depts: "Departments", lead: "Lead", next: "Next step",
      nextStep: function (d) { return "Contact the lead department, " + d + ", or call the 12345 government service hotline."; },
      hotline: ["For further help, call the ", " government service hotline."],
      sources: "Policy text (Chinese original)", task: function (n) { return "Task " + n; },
      count: function (n) { return n + (n === 1 ? " task" : " tasks"); },
      showAll: function (n) { return "Show all " + n + " tasks"; }, showLess: "Show fewer",
      parts: function (n) { return "Your question has " + n + " parts, answered one by one:"; },
      part: function (i) { return "Part " + i; },
      noDept: "no lead department stated", sep: ", "
    }
  };

  // Task number -> {lead, category}, from GET /api/tasks, and Chinese -> English names when the server has them.
  var catalog = { tasks: null, en: {} };

  function loadCatalog() {
    if (catalog.loading) return catalog.loading;
    var get = function (url) {
      return fetch(url, { headers: { Accept: "application/json" } }).then(function (r) { return r.ok ? r.json() : {}; });
    };
    catalog.loading = Promise.all([get("/api/tasks"), get("/api/departments"), get("/api/categories")]).then(function (all) {
      var tasks = {};
      (all[0].tasks || []).forEach(function (t) {
        tasks[t.number] = { lead: (t.departments || [])[0] || "", category: t.category || "", text: t.text || "" };
      });
      catalog.tasks = tasks;
      (all[1].departments || []).concat(all[2].categories || []).forEach(function (d) {
        if (d.name_en) catalog.en[d.name] = d.name_en;
      });
    }, function () { catalog.tasks = {}; });
    return catalog.loading;
  }

  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text != null) n.textContent = text;
    return n;
  }

  function isEnglish(question) {
    return !/[\u3400-\u9fff]/.test(question || "") && /[A-Za-z]{2,}/.test(question || "");
  }

  // Text with every 12345 turned into a tel: link, so the hotline is one tap on a phone.
  function withHotline(text) {
    var frag = document.createDocumentFragment();
    String(text).split(/(12345)/).forEach(function (piece) {
      if (piece === "12345") {
        var a = el("a", null, "12345");
        a.href = "tel:12345";
        frag.appendChild(a);
      } else if (piece) {
        frag.appendChild(document.createTextNode(piece));
      }
    });
    return frag;
  }

  function paragraph(cls, text) {
    var p = el("p", cls);
    p.appendChild(withHotline(text));
    return p;
  }

  function short(text, n) {
    text = String(text || "").replace(/\s+/g, " ");
    return text.length > n ? text.slice(0, n) + "…" : text;
  }

  // English names from the answer itself first (departments_en parallels departments), then the catalogue.
  function namer(data, lang) {
    var map = {};
    if (lang === "en") {
      Object.keys(catalog.en).forEach(function (k) { map[k] = catalog.en[k]; });
      var zh = data.departments || [], en = data.departments_en || [];
      zh.forEach(function (name, i) { if (en[i]) map[name] = en[i]; });
    }
    return function (name, withChinese) {
      if (lang !== "en" || !map[name] || map[name] === name) return name;
      return withChinese ? map[name] + " (" + name + ")" : map[name];
    };
  }

  function uniqueCitations(data) {
    var seen = {};
    return (Array.isArray(data.citations) ? data.citations : []).filter(function (c) {
      var key = c.task != null ? "t" + c.task : "x" + c.text;
      if (seen[key]) return false;
      seen[key] = true;
      return true;
    });
  }

  function isList(data, cites) {
    if (!data.answered) return false;
    if (LIST_KINDS[data.kind]) return cites.length >= 2;
    return cites.length >= 5;
  }

  function departmentsBlock(data, t, name) {
    var deps = Array.isArray(data.departments) ? data.departments : [];
    var wrap = el("div", "lead-first");
    if (!deps.length) return null;
    var label = el("p", "label", t.depts);
    wrap.appendChild(label);
    var chips = el("ul", "depts");
    chips.setAttribute("aria-label", t.depts);
    deps.forEach(function (d, i) {
      var li = el("li", "dept" + (i === 0 ? " lead" : ""));
      if (i === 0) li.appendChild(el("span", "lead-tag", t.lead));
      li.appendChild(document.createTextNode(name(d, true)));
      chips.appendChild(li);
    });
    wrap.appendChild(chips);
    return wrap;
  }

  function textLines(data) {
    return String(data.answer || "").split(/\n+/).filter(function (l) { return l.trim(); });
  }

  // A list answer as the server writes it: a heading line, group titles ending in a colon, and one
  // "· 第N项 …（X牵头）" / "· Task N: … (led by X)" line per task. Null when the answer is not one.
  var ROW = /^·\s*(第\d+项|Task \d+:?)\s*(.*)$/;
  var ROW_LEAD = /\s*(?:（([^（）]+)牵头）|\(led by (.+)\))$/;
  function listFromLines(lines) {
    if (!lines.some(function (l) { return ROW.test(l.trim()); })) return null;
    var out = { intro: [], groups: [], after: [], total: 0 };
    var group = null;
    lines.forEach(function (raw) {
      var line = raw.trim(), m = ROW.exec(line);
      if (m) {
        if (!group) { group = { title: "", rows: [] }; out.groups.push(group); }
        var text = m[2], lead = "", lm = ROW_LEAD.exec(text);
        if (lm) { lead = lm[1] || lm[2]; text = text.slice(0, lm.index); }
        group.rows.push({ no: m[1].replace(/:$/, ""), text: text, lead: lead });
        out.total++;
      } else if (/[：:]$/.test(line) && out.intro.length) {
        group = { title: line.replace(/[：:]$/, ""), rows: [] };
        out.groups.push(group);
      } else if (!out.groups.length) {
        out.intro.push(line);
      } else {
        out.after.push(line);
      }
    });
    return out;
  }

  // The same from the citations (a server that does not write list lines): grouped by topic for a
  // department's tasks, by lead department for a topic's, leads looked up in the task catalogue.
  function listFromCitations(data, cites, t, name) {
    var info = catalog.tasks || {};
    var byTopic = data.kind === "department_tasks";
    var groups = [], index = {};
    cites.forEach(function (c) {
      var known = info[c.task] || {};
      var key = byTopic ? (known.category || String(c.section || "").split(" > ").pop()) : (known.lead || "");
      if (!(key in index)) { index[key] = groups.length; groups.push({ title: key ? name(key, true) : t.noDept, rows: [] }); }
      groups[index[key]].rows.push({ no: c.task != null ? t.task(c.task) : "·", text: short(c.text, 60), lead: known.lead ? name(known.lead) : "" });
    });
    return { intro: [], groups: groups, after: [], total: cites.length };
  }

  // Rows: number, one line, lead department; grouped; rows past the first LIST_OPEN hidden until asked for.
  function taskList(list, t) {
    var box = el("div", "task-list");
    var shown = 0, hidden = [];
    list.groups.forEach(function (g) {
      var sec = el("section", "group");
      if (g.title) sec.appendChild(el("h4", "group-title", g.title));
      var ul = el("ul", "rows");
      g.rows.forEach(function (r) {
        var li = el("li", "row");
        li.appendChild(el("span", "task-no", r.no));
        var line = el("span", "one-line", r.text);
        line.title = r.text;
        li.appendChild(line);
        var lead = el("span", "row-lead", r.lead);
        if (r.lead) lead.title = r.lead;
        li.appendChild(lead);
        if (shown >= LIST_OPEN) { li.hidden = true; hidden.push(li); }
        shown++;
        ul.appendChild(li);
      });
      sec.appendChild(ul);
      if (g.rows.length && !ul.querySelector("li:not([hidden])")) { sec.hidden = true; hidden.push(sec); }
      box.appendChild(sec);
    });
    if (hidden.length) {
      var more = el("button", "more", t.showAll(list.total));
      more.type = "button";
      more.setAttribute("aria-expanded", "false");
      more.addEventListener("click", function () {
        var open = more.getAttribute("aria-expanded") !== "true";
        hidden.forEach(function (n) { n.hidden = !open; });
        more.setAttribute("aria-expanded", open ? "true" : "false");
        more.textContent = open ? t.showLess : t.showAll(list.total);
      });
      box.appendChild(more);
    }
    return box;
  }

  function citationsBlock(data, cites, t) {
    var frag = document.createDocumentFragment();
    // A passage the answer already quotes is not shown a second time.
    var said = String(data.answer || "");
    cites = cites.filter(function (c) { return said.indexOf(String(c.text || "").replace(/。$/, "").slice(0, 30)) < 0; });
    if (!cites.length) return frag;
    frag.appendChild(el("p", "label", t.sources));
    cites.forEach(function (c, i) {
      var d = el("details", "cite");
      if (i === 0) d.open = true;
      var s = el("summary");
      if (c.task != null) s.appendChild(el("span", "task-no", t.task(c.task)));
      if (c.section) {
        // Sections arrive as a path ("一、… > （一）…"); the innermost heading is the useful part.
        var sec = el("span", "section", String(c.section).split(" > ").pop());
        sec.title = c.section;
        s.appendChild(sec);
      }
      s.appendChild(el("span", "snippet", short(c.text, 28)));
      d.appendChild(s);
      var q = el("blockquote", "quote", c.text);
      q.lang = "zh-CN";
      d.appendChild(q);
      frag.appendChild(d);
    });
    return frag;
  }

  // One answer object (the whole answer, or one part of it) into `b`.
  function renderBody(b, data, lang) {
    var t = TEXT[lang];
    var name = namer(data, lang);
    var cites = uniqueCitations(data);
    var lines = textLines(data);
    var list = data.answered ? listFromLines(lines) : null;
    if (!list && data.answered && isList(data, cites)) {
      // Only the opening words of a run-on list answer; the rows come from the citations.
      var first = lines[0] || "", cut = first.search(/[：:]/);
      list = listFromCitations(data, cites, t, name);
      list.intro = cut > 0 && cut < 90 ? [first.slice(0, cut + 1)] : (first.length <= 90 ? [first] : []);
    }
    var said = (list ? list.intro.concat(list.after) : lines).join("\n");

    if (!data.answered) b.appendChild(el("p", "badge-uncovered", t.badge[data.kind] || t.badge.other));

    // Lead department and what to do next come first: the chips, then the answer's first line when it
    // is the lead-and-next-step line, else a next step composed here.
    var deps = departmentsBlock(data, t, name);
    if (deps) b.appendChild(deps);
    var text = list ? list.intro.concat(list.after) : lines.slice();
    var lead = (data.departments || [])[0];
    if (data.answered && text.length && text[0].indexOf("12345") >= 0) {
      b.appendChild(paragraph("next-step", text.shift()));
    } else if (lead && data.answered && said.indexOf("12345") < 0) {
      var next = el("p", "next-step");
      next.appendChild(el("strong", null, t.next + (lang === "en" ? ": " : "：")));
      next.appendChild(withHotline(t.nextStep(name(lead))));
      b.appendChild(next);
    }

    if (list) {
      var after = list.after.length ? text.splice(text.length - list.after.length) : [];
      text.forEach(function (line) { b.appendChild(paragraph("answer", line)); });
      if (!/\d/.test(said)) b.appendChild(el("p", "count", t.count(list.total)));
      b.appendChild(taskList(list, t));
      after.forEach(function (line) { b.appendChild(paragraph("answer", line)); });
    } else {
      text.forEach(function (line) { b.appendChild(paragraph("answer", line)); });
      if ((data.answered || data.kind === "not_stated") && cites.length) b.appendChild(citationsBlock(data, cites, t));
    }

    if (!data.answered && said.indexOf("12345") < 0) {
      var hot = el("p", "hotline");
      hot.appendChild(document.createTextNode(t.hotline[0]));
      hot.appendChild(withHotline("12345"));
      hot.appendChild(document.createTextNode(t.hotline[1]));
      b.appendChild(hot);
    }
  }

  function renderParts(b, data, lang) {
    var t = TEXT[lang];
    b.appendChild(el("p", "parts-intro", t.parts(data.parts.length)));
    data.parts.forEach(function (part, i) {
      var sec = el("section", "part" + (part.answered ? "" : " uncovered"));
      var h = el("h3", "part-title");
      h.appendChild(el("span", "part-no", t.part(i + 1)));
      h.appendChild(document.createTextNode(part.question || ""));
      sec.appendChild(h);
      renderBody(sec, part, lang);
      b.appendChild(sec);
    });
  }

  // The answer bubble; the caller adds feedback. Returns the bubble's wrapper.
  function render(data, question) {
    var lang = data.lang === "en" || (data.lang == null && isEnglish(question || data.question)) ? "en" : "zh";
    var multi = Array.isArray(data.parts) && data.parts.length >= 2;
    var answered = multi ? data.parts.some(function (p) { return p.answered; }) : data.answered;
    var wrap = el("div", "msg bot" + (answered ? "" : " uncovered") + (multi ? " multi" : ""));
    if (lang === "en") wrap.lang = "en";
    var b = el("div", "bubble");
    wrap.appendChild(b);
    if (multi) renderParts(b, data, lang); else renderBody(b, data, lang);
    return { node: wrap, bubble: b, lang: lang };
  }

  window.PolicybotAnswer = { render: render, loadCatalog: loadCatalog, isEnglish: isEnglish, el: el };
})();
