/* Chat panel inside the widget iframe: a conversation with POST /api/ask (earlier turns go along as
   `history`, kept for this tab in sessionStorage), answers rendered by answer.js, feedback to /api/feedback. */
(function () {
  "use strict";

  var MAX = 500;
  var MAX_TURNS = 10;                     // history the server accepts, and what the panel keeps
  var STORE = "policybot.thread.v1";
  var A = window.PolicybotAnswer;
  var el = A.el;
  var params = new URLSearchParams(location.search);
  var title = (params.get("title") || "").trim() || "园区政策问答";

  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("question");
  var sendBtn = document.getElementById("send");
  var counter = document.getElementById("counter");
  var welcome = document.getElementById("welcome");
  var restart = document.getElementById("restart");
  var busy = false;
  var lang = "zh";                        // the language of the last question: the panel's own words follow it
  var modal = false;                      // the host shows the panel full screen: keep Tab inside it

  var FEEDBACK = {
    zh: { ask: "这个回答有帮助吗？", yes: "有帮助", no: "没帮助", comment: "补充说明（可选）", send: "提交反馈",
          thanks: "感谢您的反馈！", failed: "反馈提交失败，请稍后再试。", expired: "这条回答已过期，无法再反馈。" },
    en: { ask: "Was this answer helpful?", yes: "Helpful", no: "Not helpful", comment: "Comment (optional)", send: "Send feedback",
          thanks: "Thank you for your feedback!", failed: "Feedback could not be sent; please try again later.",
          expired: "This answer has expired; feedback is no longer possible." }
  };

  document.getElementById("title").textContent = title;
  document.title = title;
  A.loadCatalog();

  // ---------------------------------------------------------------- the thread, kept for this tab

  var thread = readThread();

  function readThread() {
    try {
      var v = JSON.parse(sessionStorage.getItem(STORE) || "[]");
      return Array.isArray(v) ? v.filter(function (t) { return t && typeof t.question === "string" && t.answer; }) : [];
    } catch (e) { return []; }  // storage blocked (third-party frame settings) or corrupt: start afresh
  }

  function saveThread() {
    thread = thread.slice(-MAX_TURNS);
    try { sessionStorage.setItem(STORE, JSON.stringify(thread)); } catch (e) { /* the thread lives in memory only */ }
    restart.hidden = !thread.length;
  }

  function tasksOf(data) {
    if (Array.isArray(data.tasks)) return data.tasks.filter(function (n) { return Number.isInteger(n); });
    var seen = [];
    (data.citations || []).forEach(function (c) { if (Number.isInteger(c.task) && seen.indexOf(c.task) < 0) seen.push(c.task); });
    return seen;
  }

  function history() {
    return thread.slice(-MAX_TURNS).map(function (t) { return { question: t.question, tasks: tasksOf(t.answer) }; });
  }

  restart.addEventListener("click", function () {
    thread = [];
    saveThread();
    Array.prototype.slice.call(log.children).forEach(function (n) { if (n !== welcome) n.remove(); });
    welcome.classList.remove("compact");
    input.focus();
  });

  // ---------------------------------------------------------------- host page

  function requestClose() {
    // The host page owns the panel; without a parent (frame opened directly) there is nothing to close.
    if (window.parent !== window) window.parent.postMessage({ type: "policybot:close" }, "*");
  }

  document.getElementById("close").addEventListener("click", requestClose);
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") { ev.preventDefault(); requestClose(); return; }
    if (ev.key === "Tab" && modal) trapTab(ev);
  });
  window.addEventListener("message", function (ev) {
    if (ev.source !== window.parent || !ev.data) return;
    if (ev.data.type === "policybot:focus") input.focus();
    if (ev.data.type === "policybot:modal") modal = !!ev.data.modal;
  });

  // Full screen on a phone the panel is a modal dialog: Tab wraps around inside it instead of leaving for the page behind.
  function trapTab(ev) {
    var items = Array.prototype.filter.call(
      document.querySelectorAll("button, [href], textarea, input, select, summary, [tabindex]:not([tabindex='-1'])"),
      function (n) { return !n.disabled && n.getClientRects().length > 0 && !n.closest("[hidden]"); }
    );
    if (!items.length) return;
    var first = items[0], last = items[items.length - 1];
    if (ev.shiftKey && (document.activeElement === first || !document.hasFocus())) { ev.preventDefault(); last.focus(); }
    else if (!ev.shiftKey && document.activeElement === last) { ev.preventDefault(); first.focus(); }
  }

  // ---------------------------------------------------------------- composer

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

  function submit() {
    var q = input.value.trim();
    if (!q || busy) return;
    ask(q);
  }

  var CHROME = {
    zh: { send: "发送", sending: "发送中…", looking: "正在查找政策原文", restart: "新对话", restartLabel: "新对话：清除上文，重新开始",
          placeholder: "输入您的问题，Enter 发送，Shift+Enter 换行", foot: "答案摘自政策原文，仅供参考；具体办理请以部门答复为准。",
          close: "关闭", input: "输入您的问题" },
    en: { send: "Send", sending: "Sending…", looking: "Looking up the policy", restart: "New chat",
          restartLabel: "New chat: forget this conversation and start again",
          placeholder: "Type your question; Enter sends, Shift+Enter adds a line",
          foot: "Answers quote the policy text and are for reference; the department's reply is authoritative.",
          close: "Close", input: "Type your question" }
  };

  function setLanguage(next) {
    lang = next;
    var t = CHROME[lang];
    sendBtn.textContent = busy ? t.sending : t.send;
    restart.textContent = t.restart;
    restart.setAttribute("aria-label", t.restartLabel);
    input.placeholder = t.placeholder;
    document.querySelector("label[for=question]").textContent = t.input;
    document.getElementById("close").setAttribute("aria-label", t.close);
    document.querySelector(".foot").textContent = t.foot;
    document.querySelector(".foot").lang = lang === "en" ? "en" : "zh-CN";
  }

  function setBusy(on) {
    busy = on;
    sendBtn.disabled = on;
    sendBtn.textContent = on ? CHROME[lang].sending : CHROME[lang].send;
    log.setAttribute("aria-busy", on ? "true" : "false");
  }

  function youBubble(question) {
    var you = el("div", "msg you");
    you.appendChild(el("div", "bubble", question));
    if (A.isEnglish(question)) you.lang = "en";
    log.appendChild(you);
    return you;
  }

  function ask(question) {
    if (busy) return;
    question = question.slice(0, MAX);
    welcome.classList.add("compact");
    setLanguage(A.isEnglish(question) ? "en" : "zh");
    var you = youBubble(question);
    input.value = "";
    updateCounter();

    var pending = el("div", "msg bot loading");
    var dots = el("div", "bubble");
    dots.appendChild(el("span", "dots", CHROME[lang].looking));
    pending.appendChild(dots);
    log.appendChild(pending);
    log.scrollTop = log.scrollHeight;
    setBusy(true);

    var body = { question: question };
    var earlier = history();
    if (earlier.length) body.history = earlier;
    fetch("/api/ask", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (data) {
        if (!res.ok) throw httpError(res.status, data, res.headers.get("Retry-After"));
        if (!data || typeof data.answer !== "string") throw httpError(502, null);
        return data;
      });
    }).then(function (data) {
      return A.loadCatalog().then(function () {
        var turn = { question: question, answer: data, feedback: null };
        thread.push(turn);
        saveThread();
        pending.replaceWith(answerNode(turn));
      });
    }).catch(function (err) {
      pending.replaceWith(renderError(err, question, you));
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

  function renderError(err, question, you) {
    var wrap = el("div", "msg bot error");
    var b = el("div", "bubble");
    b.setAttribute("role", "alert");
    b.appendChild(el("p", "err-text", errorText(err)));
    if (err.status !== 413 && err.status !== 400 && err.status !== 422) {
      var retry = el("button", "retry", "重试");
      retry.type = "button";
      retry.addEventListener("click", function () { wrap.remove(); you.remove(); ask(question); });
      b.appendChild(retry);
    }
    wrap.appendChild(b);
    return wrap;
  }

  // ---------------------------------------------------------------- answers and feedback

  function answerNode(turn) {
    var r = A.render(turn.answer, turn.question);
    if (turn.answer.id) r.bubble.appendChild(feedbackNode(turn, FEEDBACK[r.lang]));
    return r.node;
  }

  function feedbackNode(turn, t) {
    var box = el("div", "feedback");
    if (turn.feedback) {
      box.appendChild(el("p", "fb-done", t.thanks));
      return box;
    }
    var group = el("div", "fb-choice");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", t.ask);
    group.appendChild(el("span", "fb-ask", t.ask));
    var yes = el("button", "fb-btn", t.yes), no = el("button", "fb-btn", t.no);
    var chosen = null;
    var more = el("form", "fb-more");
    more.hidden = true;
    var fieldId = "fb-" + String(turn.answer.id).replace(/[^A-Za-z0-9_-]/g, "") + "-" + Math.random().toString(36).slice(2, 7);
    var label = el("label", "fb-label", t.comment);
    label.htmlFor = fieldId;
    var comment = el("textarea", "fb-comment");
    comment.id = fieldId;
    comment.rows = 2;
    comment.maxLength = 500;
    var send = el("button", "fb-send", t.send);
    send.type = "submit";
    var status = el("p", "fb-status");
    status.setAttribute("role", "status");
    more.appendChild(label);
    more.appendChild(comment);
    more.appendChild(send);
    [[yes, true], [no, false]].forEach(function (pair) {
      var btn = pair[0];
      btn.type = "button";
      btn.setAttribute("aria-pressed", "false");
      btn.addEventListener("click", function () {
        chosen = pair[1];
        yes.setAttribute("aria-pressed", chosen ? "true" : "false");
        no.setAttribute("aria-pressed", chosen ? "false" : "true");
        more.hidden = false;
        comment.focus();
      });
      group.appendChild(btn);
    });
    more.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (chosen === null) return;
      send.disabled = true;
      var body = { id: turn.answer.id, helpful: chosen };
      var text = comment.value.trim();
      if (text) body.comment = text;
      fetch("/api/feedback", {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: JSON.stringify(body)
      }).then(function (res) {
        if (res.ok) {
          turn.feedback = { helpful: chosen };
          saveThread();
          box.textContent = "";
          var done = el("p", "fb-done", t.thanks);
          done.setAttribute("role", "status");
          box.appendChild(done);
          return;
        }
        send.disabled = false;
        status.textContent = res.status === 404 ? t.expired : t.failed;
      }, function () {
        send.disabled = false;
        status.textContent = t.failed;
      });
    });
    box.appendChild(group);
    box.appendChild(more);
    box.appendChild(status);
    return box;
  }

  // ---------------------------------------------------------------- restore this tab's thread

  if (thread.length) {
    welcome.classList.add("compact");
    if (A.isEnglish(thread[thread.length - 1].question)) setLanguage("en");
    A.loadCatalog().then(function () {
      thread.forEach(function (turn) {
        youBubble(turn.question);
        log.appendChild(answerNode(turn));
      });
      log.scrollTop = log.scrollHeight;
    });
  }
  restart.hidden = !thread.length;
  updateCounter();
  document.documentElement.setAttribute("data-ready", "true");  // the composer now sends on Enter
})();
