/* Chat panel inside the widget iframe: asks POST /api/ask and renders answers, departments and quoted passages. */
(function () {
  "use strict";

  var MAX = 500;
  var params = new URLSearchParams(location.search);
  var title = (params.get("title") || "").trim() || "园区政策问答";

  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("question");
  var sendBtn = document.getElementById("send");
  var counter = document.getElementById("counter");
  var welcome = document.getElementById("welcome");
  var busy = false;

  document.getElementById("title").textContent = title;
  document.title = title;

  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text != null) n.textContent = text;
    return n;
  }

  function requestClose() {
    // The host page owns the panel; without a parent (frame opened directly) there is nothing to close.
    if (window.parent !== window) window.parent.postMessage({ type: "policybot:close" }, "*");
  }

  document.getElementById("close").addEventListener("click", requestClose);
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") { ev.preventDefault(); requestClose(); }
  });
  window.addEventListener("message", function (ev) {
    if (ev.source === window.parent && ev.data && ev.data.type === "policybot:focus") input.focus();
  });

  function updateCounter() {
    var n = input.value.length;
    counter.textContent = n + "/" + MAX;
    counter.classList.toggle("near", n >= MAX - 50);
  }
  input.addEventListener("input", updateCounter);
  input.addEventListener("keydown", function (ev) {
    // Enter sends, Shift+Enter inserts a newline; never send while an IME is composing.
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing && ev.keyCode !== 229) {
      ev.preventDefault();
      submit();
    }
  });
  form.addEventListener("submit", function (ev) { ev.preventDefault(); submit(); });

  Array.prototype.forEach.call(document.querySelectorAll(".example"), function (b) {
    b.addEventListener("click", function () { ask(b.textContent); });
  });

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function submit() {
    var q = input.value.trim();
    if (!q || busy) return;
    ask(q);
  }

  function setBusy(on) {
    busy = on;
    sendBtn.disabled = on;
    sendBtn.textContent = on ? "发送中…" : "发送";
    log.setAttribute("aria-busy", on ? "true" : "false");
  }

  function ask(question) {
    if (busy) return;
    question = question.slice(0, MAX);
    if (welcome) { welcome.classList.add("compact"); }
    var you = el("div", "msg you");
    you.appendChild(el("div", "bubble", question));
    log.appendChild(you);
    input.value = "";
    updateCounter();

    var pending = el("div", "msg bot loading");
    var dots = el("div", "bubble");
    dots.appendChild(el("span", "dots", "正在查找政策原文"));
    pending.appendChild(dots);
    log.appendChild(pending);
    scrollDown();
    setBusy(true);

    fetch("/api/ask", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ question: question })
    }).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (body) {
        if (!res.ok) throw httpError(res.status, body, res.headers.get("Retry-After"));
        if (!body || typeof body.answer !== "string") throw httpError(502, null);
        return body;
      });
    }).then(function (data) {
      pending.replaceWith(renderAnswer(data));
    }, function (err) {
      pending.replaceWith(renderError(err, question));
    }).then(function () {
      setBusy(false);
      // Show the question with the start of its answer, not the end of a long answer.
      log.scrollTop = Math.max(0, you.offsetTop - log.offsetTop - 8);
      input.focus({ preventScroll: true });
    });
  }

  function httpError(status, body, retryAfter) {
    var e = new Error("http " + status);
    e.status = status;
    e.serverMessage = body && body.error && body.error.message;
    e.retryAfter = /^\d+$/.test(retryAfter || "") ? +retryAfter : null;
    return e;
  }

  function errorText(err) {
    if (!err.status) return "网络连接失败，请检查网络后重试。";
    if (err.status === 429) {
      return err.retryAfter ? "提问太频繁了，请 " + err.retryAfter + " 秒后再试。" : "提问太频繁了，请稍等一分钟再试。";
    }
    if (err.status === 413) return "问题太长了，请精简到 500 字以内。";
    if (err.status === 400 || err.status === 422) return "问题格式有误：" + (err.serverMessage || "请输入 1–500 字的问题。");
    if (err.status === 503) return "服务正在启动，请稍后再试。";
    if (err.status >= 500) return "服务暂时不可用，请稍后再试。";
    return "请求失败（" + err.status + "）" + (err.serverMessage ? "：" + err.serverMessage : "。");
  }

  function renderError(err, question) {
    var wrap = el("div", "msg bot error");
    var b = el("div", "bubble");
    b.setAttribute("role", "alert");
    b.appendChild(el("p", "err-text", errorText(err)));
    if (err.status !== 413 && err.status !== 400 && err.status !== 422) {
      var retry = el("button", "retry", "重试");
      retry.type = "button";
      retry.addEventListener("click", function () { wrap.remove(); ask(question); });
      b.appendChild(retry);
    }
    wrap.appendChild(b);
    return wrap;
  }

  function renderAnswer(data) {
    var wrap = el("div", "msg bot" + (data.answered ? "" : " uncovered"));
    var b = el("div", "bubble");
    wrap.appendChild(b);

    if (!data.answered) {
      // "not covered", "not stated" (a related measure is cited), or "not found" (e.g. a task number that does not exist).
      var badge = { out_of_scope: "政策未涉及", not_stated: "方案未写明" }[data.kind] || "未找到";
      b.appendChild(el("p", "badge-uncovered", badge));
    }
    data.answer.split(/\n+/).forEach(function (line) {
      if (line.trim()) b.appendChild(el("p", "answer", line));
    });

    var deps = Array.isArray(data.departments) ? data.departments : [];
    if (deps.length) {
      b.appendChild(el("p", "label", "负责部门"));
      var chips = el("ul", "depts");
      deps.forEach(function (name, i) {
        var li = el("li", "dept" + (i === 0 ? " lead" : ""));
        if (i === 0) li.appendChild(el("span", "lead-tag", "牵头"));
        li.appendChild(document.createTextNode(name));
        chips.appendChild(li);
      });
      b.appendChild(chips);
    }

    var cites = Array.isArray(data.citations) ? data.citations : [];
    if ((data.answered || data.kind === "not_stated") && cites.length) {
      b.appendChild(el("p", "label", "政策原文"));
      cites.forEach(function (c, i) {
        var d = el("details", "cite");
        if (i === 0) d.open = true;
        var s = el("summary");
        if (c.task != null) s.appendChild(el("span", "task-no", "第" + c.task + "项"));
        if (c.section) {
          // Sections arrive as a path ("一、… > （一）…"); the innermost heading is the useful part.
          var sec = el("span", "section", String(c.section).split(" > ").pop());
          sec.title = c.section;
          s.appendChild(sec);
        }
        s.appendChild(el("span", "snippet", short(c.text, 28)));
        d.appendChild(s);
        d.appendChild(el("blockquote", "quote", c.text));
        b.appendChild(d);
      });
    }

    if (!data.answered) {
      var hot = el("p", "hotline");
      hot.appendChild(document.createTextNode("如需进一步咨询，请拨打 "));
      var a = el("a", null, "12345");
      a.href = "tel:12345";
      hot.appendChild(a);
      hot.appendChild(document.createTextNode(" 政务服务便民热线。"));
      b.appendChild(hot);
    }
    return wrap;
  }

  function short(text, n) {
    text = String(text || "").replace(/\s+/g, " ");
    return text.length > n ? text.slice(0, n) + "…" : text;
  }

  updateCounter();
})();
