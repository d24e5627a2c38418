/*
 * Live notifications for the page header. Plain JavaScript, no dependencies, no build step.
 *
 * The page provides (templates/base.html):
 *   [data-unread-count]        the badge: its text is the unread count, hidden at 0
 *   [data-notification-list]   the dropdown list: newest first, one <li> per notification;
 *                              data-mark-read-label gives the per-item button's accessible name
 *   [data-notification-mark-all]  optional button: marks all read
 *   [data-notifications]       optional wrapper: gets data-live="open|connecting|offline"
 *   <meta name="ws-url">       optional: the socket's path (default /ws/notifications/)
 *
 * How nothing is lost (DESIGN.md invariant 4): a notification is a row first and a push second.
 * 1. The client keeps a cursor: the id up to which it has every notification of its user.
 * 2. Each time the socket opens (first time and every reconnect) it asks
 *    GET /api/v1/notifications/?after=<cursor> and takes what it missed, oldest first, page by
 *    page; pushes arriving meanwhile wait in a queue and are then de-duplicated by id.
 * 3. Each pushed notification names the user's notification before it ("previous"). If that is
 *    newer than the cursor, a push was lost: the client catches up the same way.
 * 4. The socket reconnects with growing, jittered delays (1 s up to 30 s), at once when the
 *    browser comes back online or the tab is shown again. Close code 4401 (logged out) and an
 *    API answer of 401/403 stop it.
 * Other scripts may listen: document.addEventListener("notification", e => e.detail).
 */
(function () {
  "use strict";

  var badge = document.querySelector("[data-unread-count]");
  var list = document.querySelector("[data-notification-list]");
  if (!badge && !list) return;

  var API = "/api/v1/notifications/";
  var PAGE = 100; // rows per catch-up request
  var SHOWN = 20; // rows kept in the dropdown
  var MAX_DELAY = 30000;
  var LOGGED_OUT = 4401;

  var wrapper = document.querySelector("[data-notifications]");
  var markAll = document.querySelector("[data-notification-mark-all]");
  var meta = document.querySelector('meta[name="ws-url"]');
  var wsPath = (meta && meta.getAttribute("content")) || "/ws/notifications/";

  var state = {
    cursor: null, // null until the first load: then the id everything up to is known
    seen: new Set(),
    unread: 0,
    socket: null,
    connected: false,
    syncing: false,
    queue: [],
    attempt: 0,
    timer: null,
    stopped: false,
    received: 0,
    caughtUp: 0,
  };
  var tabs = "BroadcastChannel" in window ? new BroadcastChannel("notifications") : null;

  // --- HTTP ------------------------------------------------------------------------------------

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function api(path, options) {
    options = options || {};
    var init = {
      method: options.method || "GET",
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      keepalive: !!options.keepalive,
    };
    if (options.body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.headers["X-CSRFToken"] = csrfToken();
      init.body = JSON.stringify(options.body);
    }
    return fetch(API + path, init).then(function (response) {
      if (response.status === 401 || response.status === 403) {
        stop();
        throw new Error("logged out");
      }
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    });
  }

  // --- Rendering -------------------------------------------------------------------------------

  function showUnread(count) {
    state.unread = Math.max(0, count);
    if (!badge) return;
    badge.textContent = state.unread > 99 ? "99+" : String(state.unread);
    badge.hidden = state.unread === 0;
  }

  function formatTime(iso) {
    try {
      return new Date(iso).toLocaleString(document.documentElement.lang || undefined, {
        month: "numeric",
        day: "numeric",
        hour: "2-digit",
        minute: "2-digit",
      });
    } catch (e) {
      return iso;
    }
  }

  function itemFor(note) {
    var li = document.createElement("li");
    li.dataset.notificationId = String(note.id);
    if (!note.read) li.classList.add("unread");
    var text = document.createElement(note.link ? "a" : "span");
    text.textContent = note.text; // never innerHTML: the text carries people's comments
    if (note.link) {
      text.href = note.link;
      text.addEventListener("click", function () {
        if (li.classList.contains("unread")) markRead([note.id], true);
      });
    }
    li.appendChild(text);
    var time = document.createElement("time");
    time.dateTime = note.created_at;
    time.textContent = formatTime(note.created_at);
    li.appendChild(time);
    if (!note.read) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn-link";
      button.dataset.markRead = "";
      button.textContent = "✓";
      var label = list && list.getAttribute("data-mark-read-label");
      if (label) {
        button.setAttribute("aria-label", label);
        button.title = label;
      }
      button.addEventListener("click", function (event) {
        event.preventDefault();
        markRead([note.id]);
      });
      li.appendChild(button);
    }
    return li;
  }

  function render(note) {
    if (!list) return;
    var li = itemFor(note);
    // Newest first: place before the first item with a smaller id.
    var before = null;
    for (var i = 0; i < list.children.length; i++) {
      if (Number(list.children[i].dataset.notificationId) < note.id) {
        before = list.children[i];
        break;
      }
    }
    list.insertBefore(li, before);
    while (list.children.length > SHOWN) list.removeChild(list.lastElementChild);
  }

  function showRead(ids) {
    if (!list) return;
    Array.prototype.forEach.call(list.children, function (li) {
      if (ids === "all" || ids.indexOf(Number(li.dataset.notificationId)) !== -1) {
        li.classList.remove("unread");
        var button = li.querySelector("[data-mark-read]");
        if (button) button.remove();
      }
    });
  }

  // --- Notifications in, in order --------------------------------------------------------------

  function take(note, counted) {
    if (state.seen.has(note.id)) return false;
    state.seen.add(note.id);
    if (state.cursor === null || note.id > state.cursor) state.cursor = note.id;
    render(note);
    if (counted && !note.read) showUnread(state.unread + 1);
    document.dispatchEvent(new CustomEvent("notification", { detail: note }));
    return true;
  }

  function onPush(note) {
    state.received += 1;
    if (state.syncing || state.cursor === null) {
      state.queue.push(note);
      return;
    }
    if (state.seen.has(note.id)) return;
    if (note.previous !== null && note.previous !== undefined && note.previous > state.cursor) {
      state.queue.push(note); // a push before this one was lost: fetch from the rows
      sync();
      return;
    }
    take(note, true);
  }

  function fetchAfter(cursor) {
    return api("?after=" + cursor + "&limit=" + PAGE).then(function (rows) {
      rows.forEach(function (note) {
        take(note, false);
      });
      if (rows.length) state.cursor = rows[rows.length - 1].id;
      return rows.length === PAGE ? fetchAfter(state.cursor) : null;
    });
  }

  function sync() {
    if (state.syncing) return;
    state.syncing = true;
    var first =
      state.cursor === null
        ? api("?limit=" + SHOWN).then(function (rows) {
            rows.forEach(function (note) {
              take(note, false);
            });
            state.cursor = rows.length ? rows[rows.length - 1].id : 0;
          })
        : fetchAfter(state.cursor);
    first
      .then(function () {
        return api("unread/");
      })
      .then(function (counts) {
        showUnread(counts.unread);
        state.caughtUp += 1;
        state.syncing = false;
        var queued = state.queue.splice(0);
        queued.forEach(onPush);
      })
      .catch(function () {
        state.syncing = false;
        // The rows are still there: reconnecting syncs again.
        if (state.socket) state.socket.close();
      });
  }

  // --- Marking read ----------------------------------------------------------------------------

  function markRead(ids, keepalive) {
    showRead(ids);
    var body = ids === "all" ? { all: true } : { ids: ids };
    return api("read/", { method: "POST", body: body, keepalive: keepalive }).then(function (answer) {
      showUnread(answer.unread);
      if (tabs) tabs.postMessage({ read: ids, unread: answer.unread });
    });
  }

  if (markAll) {
    markAll.addEventListener("click", function (event) {
      event.preventDefault();
      markRead("all");
    });
  }
  if (tabs) {
    tabs.onmessage = function (event) {
      if (!event.data || event.data.read === undefined) return;
      showRead(event.data.read);
      showUnread(event.data.unread);
    };
  }

  // --- The socket ------------------------------------------------------------------------------

  function setLive(value) {
    if (wrapper) wrapper.setAttribute("data-live", value);
  }

  function connect() {
    if (state.stopped || state.socket) return;
    clearTimeout(state.timer);
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + wsPath);
    state.socket = socket;
    setLive("connecting");
    var opened = false;
    socket.onopen = function () {
      opened = true;
      state.connected = true;
      state.attempt = 0;
      setLive("open");
      sync(); // whatever was committed while we were away
    };
    socket.onmessage = function (event) {
      var note;
      try {
        note = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (note && typeof note.id === "number") onPush(note);
    };
    socket.onclose = function (event) {
      state.socket = null;
      state.connected = false;
      setLive("offline");
      if (event.code === LOGGED_OUT) return stop();
      if (!opened) {
        // Refused at the handshake: if it is because we are logged out, the API says so.
        api("unread/").then(
          function () {
            schedule();
          },
          function () {
            schedule();
          }
        );
        return;
      }
      schedule();
    };
  }

  function schedule() {
    if (state.stopped) return;
    var delay = Math.min(MAX_DELAY, 1000 * Math.pow(2, state.attempt));
    delay = delay / 2 + Math.random() * (delay / 2);
    state.attempt += 1;
    clearTimeout(state.timer);
    state.timer = setTimeout(connect, delay);
  }

  function reconnectNow() {
    if (state.stopped || state.socket) return;
    state.attempt = 0;
    connect();
  }

  function stop() {
    state.stopped = true;
    clearTimeout(state.timer);
    setLive("offline");
    if (state.socket) state.socket.close();
  }

  window.addEventListener("online", reconnectNow);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") reconnectNow();
  });
  window.addEventListener("pagehide", function () {
    if (state.socket) state.socket.close(1000);
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) reconnectNow(); // back from the browser's page cache
  });

  // For other scripts and for tests: a read-only view, and a way to reconnect at once.
  window.liveNotifications = {
    state: function () {
      return {
        cursor: state.cursor,
        unread: state.unread,
        connected: state.connected,
        stopped: state.stopped,
        received: state.received,
        caughtUp: state.caughtUp,
      };
    },
    reconnect: reconnectNow,
  };

  connect();
})();
