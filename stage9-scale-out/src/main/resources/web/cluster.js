// The cluster page (docs/08-web-edge.md, "The cluster page"): polls GET /api/cluster of the node that served it
// every 2 s and draws what it says. No framework, no build step; text goes in with textContent only.
'use strict';

(function () {
  const REFRESH_MS = 2000;
  const SVG = 'http://www.w3.org/2000/svg';
  const tbody = document.querySelector('#nodes tbody');
  const noNodes = document.getElementById('no-nodes');
  const events = document.getElementById('events');
  const status = document.getElementById('status');
  let eventsShown = '';

  function text(value, digits) {
    if (value === null || value === undefined) return '\u2013';
    return digits === undefined ? String(value) : Number(value).toFixed(digits);
  }

  function ms(value) {
    return value === null || value === undefined ? '\u2013' : (value < 10 ? value.toFixed(1) : Math.round(value)) + ' ms';
  }

  function cell(row, cls, numeric) {
    const td = document.createElement('td');
    td.className = cls + (numeric ? ' num' : '');
    row.appendChild(td);
    return td;
  }

  // A sparkline: the series as a polyline in a 100 x 24 box (missing points skipped). The x axis spans what there is
  // (at least 20 s, at most the server's history), so a page opened a moment ago already draws a line.
  function spark(label) {
    const box = document.createElement('div');
    box.className = 'spark';
    const caption = document.createElement('span');
    caption.textContent = label;
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', '0 0 100 24');
    svg.setAttribute('preserveAspectRatio', 'none');
    const line = document.createElementNS(SVG, 'polyline');
    svg.appendChild(line);
    box.appendChild(caption);
    box.appendChild(svg);
    return box;
  }

  function draw(box, t, values, historyMs, now) {
    const line = box.querySelector('polyline');
    let max = 0;
    values.forEach(v => { if (v !== null && v > max) max = v; });
    const first = t.find(v => v !== null);
    const span = Math.min(historyMs, Math.max(20000, first === undefined ? 0 : now - first));
    const points = [];
    for (let i = 0; i < values.length; i++) {
      if (values[i] === null || t[i] === null) continue;
      const x = Math.max(0, 100 - (now - t[i]) * 100 / span);
      const y = max === 0 ? 23 : 23 - (values[i] / max) * 21;
      points.push(x.toFixed(1) + ',' + y.toFixed(1));
    }
    line.setAttribute('points', points.join(' '));
    box.title = 'max ' + (Math.round(max * 100) / 100);
  }

  function row(node) {
    let tr = tbody.querySelector('tr.node[data-node-id="' + CSS.escape(node.nodeId) + '"]');
    if (!tr) {
      tr = document.createElement('tr');
      tr.className = 'node';
      tr.dataset.nodeId = node.nodeId;
      cell(tr, 'node-id');
      const link = document.createElement('a');
      cell(tr, 'http').appendChild(link);
      cell(tr, 'connections', true);
      cell(tr, 'inbox-lag', true);
      cell(tr, 'msgs-per-sec', true);
      cell(tr, 'pushed-per-sec', true);
      cell(tr, 'p50', true);
      cell(tr, 'p99', true);
      const sparks = cell(tr, 'sparks-cell');
      const holder = document.createElement('div');
      holder.className = 'sparks';
      ['connections', 'msgs/s in+pushed', 'p99 ms'].forEach((label, i) => {
        const s = spark(label);
        s.classList.add(['spark-connections', 'spark-msgs', 'spark-p99'][i]);
        holder.appendChild(s);
      });
      sparks.appendChild(holder);
    }
    return tr;
  }

  function render(cluster) {
    const seen = new Set();
    cluster.nodes.forEach(node => {
      const tr = row(node);
      seen.add(node.nodeId);
      tbody.appendChild(tr); // keeps the server's order (sorted by node id)
      tr.classList.toggle('self', node.self);
      tr.classList.toggle('unreachable', !node.reachable);
      tr.querySelector('.node-id').textContent = node.nodeId;
      const link = tr.querySelector('.http a');
      link.href = node.url + 'cluster.html';
      link.textContent = node.url;
      tr.querySelector('.connections').textContent = text(node.connections);
      tr.querySelector('.inbox-lag').textContent = text(node.inboxLag);
      tr.querySelector('.msgs-per-sec').textContent = text(node.msgsPerSec, 1);
      tr.querySelector('.pushed-per-sec').textContent = text(node.pushedPerSec, 1);
      tr.querySelector('.p50').textContent = ms(node.p50Ms);
      tr.querySelector('.p99').textContent = ms(node.p99Ms);
      const s = node.series;
      draw(tr.querySelector('.spark-connections'), s.t, s.connections, cluster.historyMillis, cluster.now);
      draw(tr.querySelector('.spark-msgs'), s.t, s.msgsPerSec.map((v, i) => v === null && s.pushedPerSec[i] === null
        ? null : (v || 0) + (s.pushedPerSec[i] || 0)), cluster.historyMillis, cluster.now);
      draw(tr.querySelector('.spark-p99'), s.t, s.p99Ms, cluster.historyMillis, cluster.now);
    });
    tbody.querySelectorAll('tr.node').forEach(tr => { if (!seen.has(tr.dataset.nodeId)) tr.remove(); });
    noNodes.hidden = cluster.nodes.length > 0;

    const key = cluster.events.length + ':' + (cluster.events.length ? cluster.events[cluster.events.length - 1].at : 0);
    if (key !== eventsShown) {
      eventsShown = key;
      events.replaceChildren();
      cluster.events.slice().reverse().forEach(e => {
        const li = document.createElement('li');
        li.className = 'event ' + e.type;
        li.dataset.type = e.type;
        li.dataset.node = e.node;
        const time = document.createElement('time');
        time.dateTime = new Date(e.at).toISOString();
        time.textContent = new Date(e.at).toLocaleTimeString();
        const type = document.createElement('span');
        type.className = 'type';
        type.textContent = e.type;
        const detail = document.createElement('span');
        detail.className = 'detail';
        detail.textContent = e.detail;
        li.append(time, type, detail);
        events.appendChild(li);
      });
    }
    status.textContent = 'via ' + cluster.self + ' \u00b7 ' + new Date(cluster.now).toLocaleTimeString();
    status.className = 'status ok';
  }

  async function refresh() {
    try {
      const response = await fetch('/api/cluster', { cache: 'no-store' });
      if (!response.ok) throw new Error('HTTP ' + response.status);
      render(await response.json());
    } catch (e) {
      status.textContent = 'this node does not answer (' + e.message + '); open another node\'s page';
      status.className = 'status down';
    } finally {
      setTimeout(refresh, REFRESH_MS);
    }
  }

  refresh();
}());
