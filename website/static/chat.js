/*
 * Secure Base chat widget: a small, dependency-free client for Rasa's socket.io channel
 * (credentials.yml: secure_base.channels.TokenSocketIOInput, user_uttered / bot_uttered).
 *
 * Conversation identity comes from the server: the widget asks this site for a signed,
 * expiring session token (POST /chat/session), presents it in session_request, and never
 * sees the conversation id. The token lives in sessionStorage (this tab only) with its
 * expiry, and "End and forget this chat" removes it.
 *
 * Safety rule for this file: text from the visitor or the assistant only ever reaches the
 * page through textContent or DOM nodes built with createElement. Nothing here uses
 * innerHTML, outerHTML, insertAdjacentHTML or document.write.
 */
(function () {
  "use strict";

  var MAX_CHARS = 2000;
  var USER_EVENT = "user_uttered";
  var BOT_EVENT = "bot_uttered";
  var TOKEN_KEY = "secureBase.chatSession";
  // Earlier versions kept a conversation id in localStorage forever: remove it.
  var LEGACY_KEY = "secureBase.sessionId";
  var OPEN_KEY = "secureBase.chatOpen";
  var TOKEN_RE = /^v1\.[A-Za-z0-9_-]{32}\.[0-9]{1,12}\.[A-Za-z0-9_-]{43}$/;
  // Renew the token this long before it expires (seconds).
  var RENEW_MARGIN_S = 300;
  var REPLY_TIMEOUT_MS = 30000;
  var MAX_BUTTONS = 12;
  // A Markdown link [label](https://...) or a bare http(s) URL.
  var LINK_RE = /\[([^\]\n]{1,200})\]\((https?:\/\/[^\s()<>]+)\)|\bhttps?:\/\/[^\s<>"'`]+/gi;

  var HINT_EMPTY = "Please type a message first. There's no rush.";
  var HINT_TRUNCATED =
    "Messages can be up to 2,000 characters, so the extra text was removed.";
  var HINT_QUEUED = "You're offline right now. Your message will be sent when the connection is back.";
  var STATUS_SLOW =
    "The assistant is taking longer than usual. You can try sending your message again.";

  var panel = document.getElementById("sb-panel");
  if (!panel) {
    return;
  }
  var launcher = document.getElementById("sb-launcher");
  var closeButton = document.getElementById("sb-close");
  var log = document.getElementById("sb-log");
  var typing = document.getElementById("sb-typing");
  var form = document.getElementById("sb-form");
  var input = document.getElementById("sb-input");
  var sendButton = document.getElementById("sb-send");
  var hint = document.getElementById("sb-hint");
  var counter = document.getElementById("sb-counter");
  var statusLine = document.getElementById("sb-status");
  var presence = document.getElementById("sb-presence-text");

  var endButton = document.getElementById("sb-end");

  var rasaUrl = panel.getAttribute("data-rasa-url") || "http://localhost:5005";
  var socketPath = panel.getAttribute("data-socket-path") || "/socket.io";
  var sessionUrl = panel.getAttribute("data-session-url") || "/chat/session";

  // ---------- storage (may be unavailable: private modes, disabled cookies) ----------
  function storageGet(area, key) {
    try {
      return window[area].getItem(key);
    } catch (err) {
      return null;
    }
  }
  function storageSet(area, key, value) {
    try {
      if (value === null) {
        window[area].removeItem(key);
      } else {
        window[area].setItem(key, value);
      }
    } catch (err) {
      /* storage unavailable: the session simply won't survive a reload */
    }
  }

  function nowSeconds() {
    return Date.now() / 1000;
  }

  function asSession(value) {
    if (!value || typeof value !== "object") {
      return null;
    }
    if (typeof value.token !== "string" || !TOKEN_RE.test(value.token)) {
      return null;
    }
    if (typeof value.expires_at !== "number" || value.expires_at <= nowSeconds()) {
      return null;
    }
    return { token: value.token, expires_at: value.expires_at };
  }

  function loadSession() {
    var raw = storageGet("sessionStorage", TOKEN_KEY);
    var found = null;
    if (raw) {
      try {
        found = asSession(JSON.parse(raw));
      } catch (err) {
        found = null;
      }
    }
    if (!found) {
      storageSet("sessionStorage", TOKEN_KEY, null);
    }
    return found;
  }

  function storeSession(value) {
    session = value;
    storageSet("sessionStorage", TOKEN_KEY, value ? JSON.stringify(value) : null);
  }

  storageSet("localStorage", LEGACY_KEY, null);
  var session = loadSession();
  var resumed = session !== null;
  var renewTimer = null;
  var rejections = 0;

  var socket = null;
  var ready = false;
  var everConfirmed = false;
  var outbox = [];
  var replyTimer = null;
  var statusTimer = null;
  var introShown = false;

  // ---------- small DOM helpers ----------
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    return node;
  }

  function srOnly(text) {
    return el("span", "sr-only", text);
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  function appendToLog(node) {
    log.appendChild(node);
    scrollToEnd();
    return node;
  }

  function countChars(text) {
    return Array.from(text).length;
  }

  function formatCount(n) {
    return n.toLocaleString("en-US");
  }

  function safeHttpUrl(value, allowRelative) {
    if (typeof value !== "string" || !value.trim()) {
      return null;
    }
    try {
      var url = allowRelative ? new URL(value.trim(), window.location.href) : new URL(value.trim());
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (err) {
      return null;
    }
  }

  function externalLink(href, label, className) {
    var a = el("a", className || "", label);
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    a.appendChild(srOnly(" (opens in a new tab)"));
    return a;
  }

  // ---------- status, hints, typing ----------
  var PRESENCE = {
    idle: "Not connected",
    connecting: "Connecting…",
    connected: "Online",
    offline: "Offline, reconnecting…",
    unavailable: "Unavailable",
  };

  function setStatus(message, clearAfterMs) {
    window.clearTimeout(statusTimer);
    statusLine.textContent = message || "";
    if (message && clearAfterMs) {
      statusTimer = window.setTimeout(function () {
        statusLine.textContent = "";
      }, clearAfterMs);
    }
  }

  function setConnection(state, message, clearAfterMs) {
    panel.setAttribute("data-connection", state);
    presence.textContent = PRESENCE[state] || "";
    if (message !== undefined) {
      setStatus(message, clearAfterMs);
    }
  }

  function setHint(message, kind) {
    hint.textContent = message || "";
    hint.setAttribute("data-kind", message ? kind || "info" : "");
  }

  function hintKind() {
    return hint.getAttribute("data-kind") || "";
  }

  function showTyping() {
    typing.hidden = false;
    window.clearTimeout(replyTimer);
    replyTimer = window.setTimeout(function () {
      typing.hidden = true;
      setStatus(STATUS_SLOW);
    }, REPLY_TIMEOUT_MS);
  }

  function hideTyping() {
    typing.hidden = true;
    window.clearTimeout(replyTimer);
    if (statusLine.textContent === STATUS_SLOW) {
      setStatus("");
    }
  }

  function updateCounter() {
    var n = countChars(input.value);
    counter.textContent = formatCount(n) + " / " + formatCount(MAX_CHARS);
    counter.classList.toggle("sb-counter--near", n >= MAX_CHARS * 0.9);
  }

  function autoGrow() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 2, 144) + "px";
  }

  // ---------- rendering ----------
  function addSystemNote(text) {
    var note = el("p", "sb-system", text);
    return appendToLog(note);
  }

  function trimUrl(url) {
    var count = function (s, c) {
      return s.split(c).length - 1;
    };
    while (url.length) {
      var last = url.charAt(url.length - 1);
      if (".,;:!?'\"*_".indexOf(last) !== -1) {
        url = url.slice(0, -1);
      } else if (last === ")" && count(url, "(") < count(url, ")")) {
        url = url.slice(0, -1);
      } else if (last === "]" && count(url, "[") < count(url, "]")) {
        url = url.slice(0, -1);
      } else {
        break;
      }
    }
    return url;
  }

  // Appends text to parent, turning http(s) URLs and [label](url) links into <a> nodes.
  function appendLinkedText(parent, text) {
    var last = 0;
    var match;
    LINK_RE.lastIndex = 0;
    while ((match = LINK_RE.exec(text)) !== null) {
      var start = match.index;
      var raw = match[0];
      var label;
      var target;
      if (match[1] !== undefined) {
        label = match[1];
        target = match[2];
      } else {
        raw = trimUrl(raw);
        label = raw;
        target = raw;
      }
      if (!raw) {
        LINK_RE.lastIndex = start + 1;
        continue;
      }
      if (start > last) {
        parent.appendChild(document.createTextNode(text.slice(last, start)));
      }
      var href = safeHttpUrl(target, false);
      parent.appendChild(href ? externalLink(href, label) : document.createTextNode(raw));
      last = start + raw.length;
      LINK_RE.lastIndex = last;
    }
    if (last < text.length) {
      parent.appendChild(document.createTextNode(text.slice(last)));
    }
  }

  function addBubble(kind, text) {
    var bubble = el("div", "sb-msg sb-msg--" + kind);
    bubble.appendChild(srOnly(kind === "user" ? "You said: " : "Assistant: "));
    var body = el("span", "sb-msg__text");
    if (kind === "bot") {
      appendLinkedText(body, text);
    } else {
      body.textContent = text;
    }
    bubble.appendChild(body);
    return appendToLog(bubble);
  }

  function asArticle(value) {
    if (!value || typeof value !== "object" || value.type !== "article") {
      return null;
    }
    var title = typeof value.title === "string" ? value.title.trim() : "";
    if (!title) {
      return null;
    }
    return {
      title: title.slice(0, 300),
      summary: typeof value.summary === "string" ? value.summary.trim().slice(0, 600) : "",
      url: safeHttpUrl(value.url, true),
    };
  }

  function addCard(card, kicker, linkLabel) {
    var box = el("article", "sb-card");
    if (kicker) {
      box.appendChild(el("p", "sb-card__kicker", kicker));
    }
    box.appendChild(el("p", "sb-card__title", card.title));
    if (card.summary) {
      var summary = el("p", "sb-card__summary", card.summary);
      summary.title = card.summary;
      box.appendChild(summary);
    }
    if (card.url) {
      var link = externalLink(card.url, linkLabel || "Read", "sb-card__link");
      link.insertBefore(srOnly(": " + card.title), link.lastChild);
      box.appendChild(link);
    }
    box.setAttribute("aria-label", (kicker ? kicker + ": " : "") + card.title);
    return appendToLog(box);
  }

  function addQuickReplies(buttons) {
    var group = el("div", "sb-replies");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Suggested replies");
    buttons.slice(0, MAX_BUTTONS).forEach(function (button) {
      if (!button || typeof button !== "object") {
        return;
      }
      var rawTitle = button.title !== undefined && button.title !== null ? button.title : button.payload;
      var title = rawTitle === undefined || rawTitle === null ? "" : String(rawTitle).trim().slice(0, 200);
      if (!title) {
        return;
      }
      var url = safeHttpUrl(button.url, true);
      if (url) {
        group.appendChild(externalLink(url, title, "sb-reply sb-reply--link"));
        return;
      }
      var payload = button.payload !== undefined && button.payload !== null ? String(button.payload) : title;
      var node = el("button", "sb-reply", title);
      node.type = "button";
      node.addEventListener("click", function () {
        sendMessage(Array.from(payload).slice(0, MAX_CHARS).join(""), title);
        input.focus();
      });
      group.appendChild(node);
    });
    if (group.childElementCount) {
      appendToLog(group);
    }
  }

  function clearQuickReplies() {
    var groups = log.querySelectorAll(".sb-replies");
    for (var i = 0; i < groups.length; i += 1) {
      groups[i].parentNode.removeChild(groups[i]);
    }
  }

  function renderGenericElement(element) {
    if (!element || typeof element !== "object") {
      return;
    }
    var article = asArticle(element);
    if (article) {
      addCard(article, "Article", "Read");
      return;
    }
    var title = typeof element.title === "string" ? element.title.trim() : "";
    if (!title) {
      return;
    }
    var buttons = Array.isArray(element.buttons) ? element.buttons : [];
    var linkButton = buttons.filter(function (b) {
      return b && safeHttpUrl(b.url, true);
    })[0];
    addCard(
      {
        title: title.slice(0, 300),
        summary: typeof element.subtitle === "string" ? element.subtitle.trim().slice(0, 600) : "",
        url: linkButton ? safeHttpUrl(linkButton.url, true) : null,
      },
      "",
      linkButton && linkButton.title ? String(linkButton.title).slice(0, 60) : "Open"
    );
    var postbacks = buttons.filter(function (b) {
      return b && b.payload !== undefined && !b.url;
    });
    if (postbacks.length) {
      addQuickReplies(postbacks);
    }
  }

  function renderAttachment(attachment) {
    if (!attachment || typeof attachment !== "object") {
      return;
    }
    var payload = attachment.payload && typeof attachment.payload === "object" ? attachment.payload : {};
    if (attachment.type === "image") {
      var src = safeHttpUrl(payload.src, true);
      if (src) {
        var bubble = el("div", "sb-msg sb-msg--bot");
        var img = document.createElement("img");
        img.src = src;
        img.alt = typeof payload.alt === "string" ? payload.alt : "Image from the assistant";
        img.loading = "lazy";
        bubble.appendChild(img);
        appendToLog(bubble);
      }
    } else if (attachment.type === "template") {
      var elements = Array.isArray(payload.elements) ? payload.elements : [payload.elements];
      elements.slice(0, MAX_BUTTONS).forEach(renderGenericElement);
    } else {
      var article = asArticle(attachment) || asArticle(payload);
      if (article) {
        addCard(article, "Article", "Read");
      }
    }
  }

  // Renders one bot_uttered payload; see rasa/core/channels/socketio.py for the shapes.
  function renderBotMessage(message, depth) {
    if (message === null || message === undefined || depth > 2) {
      return;
    }
    if (Array.isArray(message)) {
      message.slice(0, 20).forEach(function (item) {
        renderBotMessage(item, depth + 1);
      });
      return;
    }
    if (typeof message === "string") {
      if (message.trim()) {
        addBubble("bot", message);
      }
      return;
    }
    if (typeof message !== "object") {
      return;
    }
    if (typeof message.text === "string" && message.text.trim()) {
      addBubble("bot", message.text);
    }
    var article = asArticle(message) || asArticle(message.custom) || asArticle(message.data);
    if (article) {
      addCard(article, "Article", "Read");
    } else if (Array.isArray(message.articles)) {
      message.articles.slice(0, MAX_BUTTONS).forEach(function (item) {
        var card = asArticle(item);
        if (card) {
          addCard(card, "Article", "Read");
        }
      });
    }
    if (message.attachment) {
      renderAttachment(message.attachment);
    }
    var buttons = Array.isArray(message.quick_replies)
      ? message.quick_replies
      : Array.isArray(message.buttons)
        ? message.buttons
        : null;
    if (buttons && buttons.length) {
      addQuickReplies(buttons);
    }
  }

  // ---------- session token (from this site) ----------
  // Resolves with a valid session: the stored one, a renewal of it, or a new one.
  function fetchSession(previous) {
    return window
      .fetch(sessionUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(previous ? { token: previous.token } : {}),
        credentials: "same-origin",
        cache: "no-store",
      })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("session " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        var fresh = asSession(data);
        if (!fresh) {
          throw new Error("unexpected session answer");
        }
        if (previous && data.continued !== true) {
          addSystemNote("Your earlier chat had ended, so this is a new conversation.");
        }
        storeSession(fresh);
        return fresh;
      });
  }

  function ensureSession() {
    if (session && session.expires_at - nowSeconds() > RENEW_MARGIN_S) {
      return Promise.resolve(session);
    }
    return fetchSession(session);
  }

  function requestSession() {
    ensureSession().then(
      function (current) {
        if (socket && socket.connected) {
          socket.emit("session_request", { token: current.token });
        }
      },
      function () {
        setConnection("offline", "Can't start the chat right now. Trying again…");
        window.setTimeout(function () {
          if (socket && socket.connected && !ready) {
            requestSession();
          }
        }, 5000);
      }
    );
  }

  function scheduleRenewal() {
    window.clearTimeout(renewTimer);
    if (!session) {
      return;
    }
    var delay = Math.max(10, session.expires_at - nowSeconds() - RENEW_MARGIN_S) * 1000;
    renewTimer = window.setTimeout(function () {
      fetchSession(session).then(function (fresh) {
        if (socket && socket.connected) {
          socket.emit("session_request", { token: fresh.token });
        }
      }, scheduleRenewal);
    }, Math.min(delay, 2147483647));
  }

  function onSessionRejected() {
    ready = false;
    storeSession(null);
    rejections += 1;
    if (rejections <= 2) {
      requestSession();
    } else {
      setConnection("offline", "The chat couldn't start. Please reload the page.");
    }
  }

  // ---------- socket.io connection ----------
  function emitMessage(item) {
    // No conversation id: the server knows it from this connection's session token.
    socket.emit(USER_EVENT, { message: item.message });
    item.bubble.classList.remove("sb-msg--pending");
    showTyping();
  }

  function flushOutbox() {
    while (outbox.length && ready && socket && socket.connected) {
      emitMessage(outbox.shift());
    }
    if (!outbox.length && hintKind() === "queued") {
      setHint("");
    }
  }

  function onSessionConfirm() {
    ready = true;
    rejections = 0;
    scheduleRenewal();
    if (everConfirmed) {
      setConnection("connected", "Reconnected.", 4000);
    } else {
      setConnection("connected", "");
    }
    everConfirmed = true;
    flushOutbox();
  }

  function onBotMessage(data) {
    hideTyping();
    try {
      renderBotMessage(data, 0);
    } catch (err) {
      if (window.console) {
        window.console.error("Secure Base chat: a message could not be shown", err);
      }
    }
    scrollToEnd();
  }

  function connect() {
    if (socket) {
      return;
    }
    if (typeof window.io !== "function") {
      setConnection(
        "unavailable",
        "The chat couldn't load. Please call or email the practice instead."
      );
      sendButton.disabled = true;
      return;
    }
    setConnection("connecting", "Connecting to the assistant…");
    socket = window.io(rasaUrl, {
      path: socketPath,
      // Long-polling first (plain HTTP: the Rasa server must allow the page's origin,
      // --cors), then an upgrade to a websocket; where the upgrade fails (a proxy that
      // breaks websockets) the chat stays on long-polling. Rasa's websocket works
      // through secure_base.websocket_compat (Sanic 21.12 on Python 3.11).
      transports: ["polling", "websocket"],
      upgrade: true,
      reconnection: true,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 10000,
      timeout: 10000,
    });
    socket.on("connect", requestSession);
    socket.on("session_confirm", onSessionConfirm);
    socket.on("session_rejected", onSessionRejected);
    socket.on(BOT_EVENT, onBotMessage);
    socket.on("disconnect", function (reason) {
      ready = false;
      hideTyping();
      setConnection("offline", "Connection lost. Trying to reconnect…");
      if (reason === "io server disconnect") {
        socket.connect();
      }
    });
    socket.on("connect_error", function () {
      ready = false;
      setConnection("offline", "Can't reach the assistant right now. Trying again…");
    });
  }

  // ---------- sending ----------
  function sendMessage(text, shown) {
    clearQuickReplies();
    var bubble = addBubble("user", shown);
    var item = { message: text, bubble: bubble };
    if (ready && socket && socket.connected) {
      emitMessage(item);
    } else {
      bubble.classList.add("sb-msg--pending");
      outbox.push(item);
      setHint(HINT_QUEUED, "queued");
      connect();
    }
  }

  function submit() {
    var text = input.value.trim();
    if (!text) {
      input.value = "";
      updateCounter();
      autoGrow();
      setHint(HINT_EMPTY, "empty");
      input.focus();
      return;
    }
    var chars = Array.from(text);
    if (chars.length > MAX_CHARS) {
      text = chars.slice(0, MAX_CHARS).join("");
      setHint(HINT_TRUNCATED, "truncated");
    } else if (hintKind() === "empty") {
      setHint("");
    }
    input.value = "";
    updateCounter();
    autoGrow();
    sendMessage(text, text);
  }

  // ---------- opening and closing ----------
  function openChat(options) {
    var focus = !options || options.focus !== false;
    if (panel.hidden) {
      panel.hidden = false;
      launcher.hidden = true;
      launcher.setAttribute("aria-expanded", "true");
      storageSet("sessionStorage", OPEN_KEY, "1");
      if (!introShown) {
        introShown = true;
        addSystemNote(
          resumed
            ? "Continuing your conversation"
            : "Ask about attachment, how therapy works, or the practice."
        );
      }
      connect();
    }
    if (focus) {
      input.focus();
    }
    scrollToEnd();
  }

  // Forgets this conversation in this browser: the token, the connection and the log.
  function endChat() {
    window.clearTimeout(renewTimer);
    storeSession(null);
    ready = false;
    outbox = [];
    if (socket) {
      socket.off();
      socket.disconnect();
      socket = null;
    }
    everConfirmed = false;
    while (log.firstChild) {
      log.removeChild(log.firstChild);
    }
    hideTyping();
    setHint("");
    setConnection(
      "idle",
      "This chat has ended and this browser no longer keeps it."
    );
    addSystemNote("Chat ended. A new message starts a new conversation.");
    input.focus();
  }

  function closeChat() {
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    storageSet("sessionStorage", OPEN_KEY, null);
    launcher.focus();
  }

  // ---------- wiring ----------
  var openers = document.querySelectorAll("[data-chat-open]");
  for (var i = 0; i < openers.length; i += 1) {
    openers[i].addEventListener("click", function () {
      openChat();
    });
  }
  closeButton.addEventListener("click", closeChat);
  if (endButton) {
    endButton.addEventListener("click", endChat);
  }
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      closeChat();
    }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submit();
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  input.addEventListener("input", function () {
    var chars = Array.from(input.value);
    if (chars.length > MAX_CHARS) {
      input.value = chars.slice(0, MAX_CHARS).join("");
      setHint(HINT_TRUNCATED, "truncated");
    } else if (hintKind() === "empty" || hintKind() === "truncated") {
      setHint("");
    }
    updateCounter();
    autoGrow();
  });

  updateCounter();
  if (storageGet("sessionStorage", OPEN_KEY) === "1") {
    openChat({ focus: false });
  }
})();
