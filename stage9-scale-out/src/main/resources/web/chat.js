// The browser client (docs/08-web-edge.md, "The browser client"). It keeps stage 7's guarantees the way
// client/ChatClient.java does: every message has a client_msg_id and is sent again with the same id until a SendAck
// comes (the server stores it once); messages are shown by seq, each once and in order; one cumulative Ack per burst;
// the login says how far the page got (lastSeq), so a reconnect resumes exactly there, on any node.
// Plain JavaScript, no build step, no CDN; text is only ever put on the page with textContent.
'use strict';

(() => {
  const RESEND_MS = 5000;        // ChatClient.RESEND_MILLIS
  const MAX_UNACKED = 1000;      // ChatClient.MAX_UNACKED
  const PING_MS = 5000;          // a ping (with lastSeq) every 5 s
  const SILENCE_MS = 15000;      // nothing heard for this long: the link is dead
  const BACKOFF_BASE_MS = 200;
  const BACKOFF_MAX_MS = 5000;
  const SUBPROTOCOL = 'im.v1.json';

  const $ = (id) => document.getElementById(id);

  // --- state, kept across reconnects (a reload starts again from -1: "resume after what was acknowledged") -------
  let uid = null;
  let token = null;
  let nodes = [];                // the last /api/nodes list
  let current = null;            // the node of the current connection
  let ws = null;
  let loggedIn = false;
  let closing = false;           // stopped for good (kicked, bad token)
  let attempt = 0;
  let lastHeard = 0;
  let last = -1n;                // highest contiguous seq shown; -1: none yet, the server resumes from its cursor
  let acked = -1n;               // the last seq acknowledged to the server
  let ackScheduled = false;
  const unacked = new Map();     // client_msg_id -> {frame, sentAt, to, text}

  // --- small helpers --------------------------------------------------------------------------------------------
  function log(text) {
    const li = document.createElement('li');
    li.textContent = new Date().toLocaleTimeString() + '  ' + text;
    $('log').prepend(li);
    while ($('log').children.length > 50) $('log').lastChild.remove();
  }

  function setStatus(kind, text) {
    const s = $('status');
    s.className = 'status ' + kind;
    s.textContent = text;
  }

  function big(v) { return v === undefined || v === null || v === '' ? 0n : BigInt(v); }

  function newClientMsgId() {
    if (window.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16)); // outside a secure context randomUUID is missing
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  // Where a node's pages and WebSocket are: its advertised HTTP address from /api/nodes (stage 9: httpHost, which a
  // stage-8 node does not send — then its TCP host), never this page's own location: that is one node of several.
  function httpHostPort(node) {
    const h = node.httpHost || node.host;
    return (h.includes(':') && !h.startsWith('[') ? '[' + h + ']' : h) + ':' + node.httpPort;
  }

  function httpBase(node) {
    return (node.tls ? 'https://' : 'http://') + httpHostPort(node);
  }

  function wsUrl(node) {
    return (node.tls ? 'wss://' : 'ws://') + httpHostPort(node) + '/ws';
  }

  async function fetchJson(url, options, timeoutMs) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs || 3000);
    try {
      return await fetch(url, Object.assign({ signal: abort.signal, cache: 'no-store' }, options || {}));
    } finally {
      clearTimeout(timer);
    }
  }

  // --- the node list --------------------------------------------------------------------------------------------
  function showNodes(self) {
    const select = $('node-choice');
    const chosen = select.value || self;
    select.replaceChildren();
    for (const n of nodes) {
      const o = document.createElement('option');
      o.value = n.nodeId;
      o.textContent = n.nodeId + ' (' + httpHostPort(n) + ', ' + n.connections + ' connected)';
      select.append(o);
    }
    if (nodes.some((n) => n.nodeId === chosen)) select.value = chosen;
  }

  async function loadNodes() {
    const r = await fetchJson('/api/nodes');
    const body = await r.json();
    nodes = body.nodes || [];
    showNodes(body.self);
  }

  /** Asks the nodes we know, the lost one last, for a fresh list; keeps the old one if nobody answers. */
  async function refreshNodes(lost) {
    const candidates = nodes.filter((n) => !lost || n.nodeId !== lost.nodeId);
    if (lost) candidates.push(lost);
    for (const n of candidates) {
      try {
        const r = await fetchJson(httpBase(n) + '/api/nodes', {}, 2000);
        if (r.ok) {
          const body = await r.json();
          if (Array.isArray(body.nodes) && body.nodes.length > 0) {
            nodes = body.nodes;
            return;
          }
        }
      } catch (e) {
        // that node is down too: ask the next
      }
    }
  }

  /** The next node to try: another one than the one we lost, in turn, when there is one. */
  function pickNode(lost) {
    if (nodes.length === 0) return lost;
    const others = lost ? nodes.filter((n) => n.nodeId !== lost.nodeId) : nodes;
    const pool = others.length > 0 ? others : nodes;
    return pool[attempt % pool.length];
  }

  // --- the connection -------------------------------------------------------------------------------------------
  function send(envelope) {
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify(envelope));
      return true;
    }
    return false;
  }

  function connect(node) {
    current = node;
    loggedIn = false;
    $('node').textContent = node.nodeId;
    setStatus('connecting', 'connecting');
    log('connecting to ' + node.nodeId + ' at ' + wsUrl(node));
    const socket = new WebSocket(wsUrl(node), SUBPROTOCOL);
    ws = socket;
    socket.onopen = () => {
      if (socket !== ws) return;
      lastHeard = Date.now();
      // Stage 7: the login says how far this page got; the server pushes what follows (offline messages too).
      send({ login: { uid: uid, lastSeq: last.toString(), token: token } });
    };
    socket.onmessage = (event) => {
      if (socket !== ws) return;
      lastHeard = Date.now();
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        log('unreadable frame from the server');
        return;
      }
      onFrame(socket, frame);
    };
    socket.onclose = (event) => {
      if (socket !== ws) return;
      lost(socket, 'connection closed' + (event.code ? ' (' + event.code + (event.reason ? ' ' + event.reason : '')
        + ')' : ''));
    };
    socket.onerror = () => { /* onclose follows */ };
  }

  function lost(socket, reason) {
    ws = null;
    loggedIn = false;
    if (closing) {
      return; // the status says why already
    }
    const goingAway = socket.goingAway === true;
    const delay = goingAway ? 0 : Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 10))
      * (0.5 + Math.random() / 2);
    setStatus('connecting', 'reconnecting');
    log(reason + '; reconnecting in ' + Math.round(delay) + ' ms');
    const from = current;
    setTimeout(async () => {
      attempt++;
      await refreshNodes(from);
      if (!closing && ws === null) connect(pickNode(from));
    }, delay);
  }

  function onFrame(socket, frame) {
    if (frame.loginAck) {
      loggedIn = true;
      attempt = 0;
      acked = acked < last ? acked : last;
      setStatus('up', 'connected');
      log('logged in as ' + frame.loginAck.uid + ' on ' + current.nodeId);
      // Stage 7: what was sent before and never acknowledged goes again, with the same ids.
      for (const u of unacked.values()) {
        send(u.frame);
        u.sentAt = Date.now();
      }
    } else if (frame.chat) {
      onChat(frame.chat);
    } else if (frame.gap) {
      const to = big(frame.gap.toSeq);
      showGap(big(frame.gap.fromSeq), to);
      if (to > last) last = to;
      scheduleAck();
    } else if (frame.sendAck) {
      const id = frame.sendAck.clientMsgId;
      const u = unacked.get(id);
      if (u) {
        unacked.delete(id);
        showSent(u, frame.sendAck);
      }
      showWaiting();
    } else if (frame.error) {
      onError(socket, frame.error);
    } else if (frame.goAway) {
      // The node is leaving: go to another one now.
      log('node ' + current.nodeId + ' is going away (' + (frame.goAway.reason || '') + ')');
      socket.goingAway = true;
      socket.close();
      lost(socket, 'go-away');
    }
    // pongs need nothing beyond lastHeard
  }

  function onChat(chat) {
    const seq = big(chat.seq);
    if (seq !== 0n) {
      if (last >= 0n && seq !== last + 1n) {
        if (seq <= last) {
          // Shown already: the server has not taken our ack; ack again, show nothing.
          if (acked > seq - 1n) acked = seq - 1n;
          scheduleAck();
        }
        // seq > last + 1: a resend's tail; the missing ones come first (as ChatClient does).
        return;
      }
      last = seq;
      scheduleAck();
    }
    showMessage(chat, seq);
  }

  function onError(socket, error) {
    const code = error.code || 'ERROR';
    log('error ' + code + ': ' + (error.text || ''));
    if (error.clientMsgId && code !== 'UNAVAILABLE') {
      const u = unacked.get(error.clientMsgId);
      if (u) {
        unacked.delete(error.clientMsgId);
        $('send-note').textContent = 'not sent to ' + u.to + ': ' + (error.text || code);
        showWaiting();
      }
    } else if (code === 'OFFLINE' || code === 'BAD_INPUT') {
      $('send-note').textContent = error.text || code;
    }
    if (code === 'UNAUTHENTICATED' || code === 'KICKED') {
      closing = true; // never reconnect after these: a bad token stays bad; two pages would kick each other forever
      setStatus('down', code === 'KICKED' ? 'logged in elsewhere' : 'refused: ' + (error.text || code));
      socket.close();
    }
  }

  /** One cumulative Ack for everything shown in this burst of frames. */
  function scheduleAck() {
    if (ackScheduled) return;
    ackScheduled = true;
    setTimeout(() => {
      ackScheduled = false;
      if (last >= 0n && last > acked && loggedIn && send({ ack: { seq: last.toString() } })) acked = last;
    }, 0);
  }

  // Pings carry lastSeq; silence means a dead link. Unacknowledged messages go again after RESEND_MS.
  setInterval(() => {
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    if (Date.now() - lastHeard > SILENCE_MS) {
      const dead = ws;
      dead.close();
      lost(dead, 'no answer for ' + SILENCE_MS / 1000 + ' s');
      return;
    }
    send({ ping: { sentAt: String(Date.now()), lastSeq: last.toString() } });
  }, PING_MS);

  setInterval(() => {
    if (!loggedIn) return;
    const now = Date.now();
    for (const u of unacked.values()) {
      if (now - u.sentAt >= RESEND_MS) {
        send(u.frame);
        u.sentAt = now;
      }
    }
  }, 1000);

  // --- the page -------------------------------------------------------------------------------------------------
  function showMessage(chat, seq) {
    const li = document.createElement('li');
    li.className = 'msg';
    li.dataset.seq = seq.toString();
    li.dataset.from = chat.fromUid || '';
    li.dataset.msgId = chat.msgId || '';
    const meta = document.createElement('span');
    meta.className = 'meta';
    meta.textContent = (chat.toUidList && chat.toUidList.length ? 'group · ' : '')
      + (chat.timestamp ? new Date(Number(chat.timestamp)).toLocaleTimeString() : '');
    const who = document.createElement('span');
    who.className = 'who';
    who.textContent = chat.fromUid || '?';
    const text = document.createElement('span');
    text.className = 'text';
    text.textContent = chat.content || '';
    li.append(meta, who, text);
    $('messages').append(li);
    li.scrollIntoView({ block: 'nearest' });
  }

  function showGap(from, to) {
    const li = document.createElement('li');
    li.className = 'gap';
    li.textContent = 'messages ' + from + '..' + to + ' were trimmed before they reached you';
    $('messages').append(li);
  }

  function showSent(u, ack) {
    const li = document.createElement('li');
    li.className = 'sent';
    li.dataset.clientMsgId = u.id;
    li.dataset.msgId = ack.msgId || '';
    const meta = document.createElement('span');
    meta.className = 'meta';
    meta.textContent = ack.offlineUids && ack.offlineUids.length ? 'offline: ' + ack.offlineUids.join(', ') : '';
    const who = document.createElement('span');
    who.className = 'who';
    who.textContent = '→ ' + u.to;
    const text = document.createElement('span');
    text.className = 'text';
    text.textContent = u.text;
    li.append(meta, who, text);
    $('sent').append(li);
    li.scrollIntoView({ block: 'nearest' });
  }

  function showWaiting() {
    $('waiting').textContent = unacked.size > 0 ? '(' + unacked.size + ' waiting for the server)' : '';
  }

  async function onLogin(event) {
    event.preventDefault();
    const wanted = $('uid').value.trim();
    if (!/^[A-Za-z0-9_.-]{1,32}$/.test(wanted)) {
      $('login-note').textContent = 'a uid is 1-32 of A-Z a-z 0-9 _ . -';
      return;
    }
    let t = $('token').value.trim();
    if (!t) {
      try {
        const r = await fetchJson('/dev/token', {
          method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ uid: wanted }),
        });
        if (r.status === 404) {
          $('token-row').hidden = false;
          $('login-note').textContent = 'this node has no development token issuer; get a token from your issuer '
            + 'and paste it here';
          return;
        }
        if (!r.ok) {
          $('login-note').textContent = 'token request failed: ' + (await r.text());
          return;
        }
        t = (await r.json()).token;
      } catch (e) {
        $('login-note').textContent = 'token request failed: ' + e;
        return;
      }
    }
    uid = wanted;
    token = t;
    $('login-note').textContent = '';
    $('me').textContent = uid;
    $('login-panel').hidden = true;
    $('chat-panel').hidden = false;
    const chosen = nodes.find((n) => n.nodeId === $('node-choice').value) || nodes[0]
      || { nodeId: '?', host: location.hostname, httpPort: location.port, tls: location.protocol === 'https:' };
    connect(chosen);
    $('to').focus();
  }

  function onSend(event) {
    event.preventDefault();
    const to = $('to').value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    const text = $('text').value;
    if (to.length === 0 || text.length === 0) return;
    if (unacked.size >= MAX_UNACKED) {
      $('send-note').textContent = MAX_UNACKED + ' messages are still waiting for the server; try again later';
      return;
    }
    const id = newClientMsgId();
    const chat = { content: text, clientMsgId: id };
    if (to.length === 1) chat.toUid = to[0]; else chat.toUidList = to;
    const u = { id: id, frame: { chat: chat }, sentAt: Date.now(), to: to.join(', '), text: text };
    unacked.set(id, u);
    if (loggedIn) send(u.frame); // otherwise it goes after the next login
    $('send-note').textContent = '';
    $('text').value = '';
    showWaiting();
    $('text').focus();
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('login-form').addEventListener('submit', onLogin);
    $('send-form').addEventListener('submit', onSend);
    loadNodes().catch((e) => log('could not load the node list: ' + e));
  });
})();
