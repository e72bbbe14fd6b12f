// The demo page: plain JavaScript, no build step, no library. Four independent parts.
'use strict';

const $ = (id) => document.getElementById(id);
const fmt = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });

// ---- a small line chart on a canvas -----------------------------------------------------------
// series: [{ values: [numbers], color, label, axis: 'left' | 'right' }]
function drawChart(canvas, series, { xLabel = '' } = {}) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || canvas.width, h = Math.round(w * canvas.height / canvas.width) || canvas.height;
  if (canvas.width !== Math.round(w * dpr)) { canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr); }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  const pad = { l: 46, r: 46, t: 18, b: 18 };
  const pw = w - pad.l - pad.r, ph = h - pad.t - pad.b;
  const maxOf = (axis) => {
    const vals = series.filter((s) => (s.axis || 'left') === axis).flatMap((s) => s.values);
    const m = Math.max(1, ...vals.filter(Number.isFinite));
    const p = Math.pow(10, Math.floor(Math.log10(m)));
    return Math.ceil(m / p) * p;
  };
  const max = { left: maxOf('left'), right: maxOf('right') };
  ctx.font = '11px system-ui, sans-serif';
  ctx.strokeStyle = '#e3e8ee'; ctx.fillStyle = '#6b7886'; ctx.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = pad.t + ph - (ph * i) / 4;
    ctx.beginPath(); ctx.moveTo(pad.l, y); ctx.lineTo(pad.l + pw, y); ctx.stroke();
    ctx.textAlign = 'right'; ctx.fillText(fmt.format((max.left * i) / 4), pad.l - 6, y + 4);
    if (series.some((s) => s.axis === 'right')) {
      ctx.textAlign = 'left'; ctx.fillText(fmt.format((max.right * i) / 4), pad.l + pw + 6, y + 4);
    }
  }
  let lx = pad.l;
  for (const s of series) {
    const n = s.values.length;
    ctx.strokeStyle = s.color; ctx.lineWidth = 2; ctx.beginPath();
    s.values.forEach((v, i) => {
      const x = pad.l + (n <= 1 ? pw : (pw * i) / (n - 1));
      const y = pad.t + ph - (ph * Math.min(v, max[s.axis || 'left'])) / max[s.axis || 'left'];
      i ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
    });
    ctx.stroke();
    ctx.fillStyle = s.color; ctx.textAlign = 'left';
    ctx.fillRect(lx, 4, 10, 3); ctx.fillText(s.label, lx + 14, 10); lx += ctx.measureText(s.label).width + 30;
  }
  if (xLabel) { ctx.fillStyle = '#6b7886'; ctx.textAlign = 'right'; ctx.fillText(xLabel, pad.l + pw, h - 4); }
}

// ---- chat over WebSocket --------------------------------------------------------------------
const chat = (() => {
  const nameInput = $('chat-name');
  nameInput.value = sessionStorage.getItem('name') || 'guest-' + Math.random().toString(36).slice(2, 6);
  nameInput.addEventListener('change', () => sessionStorage.setItem('name', nameInput.value));
  let ws = null, delay = 500;

  function line(cls, html) {
    const log = $('chat-log'), li = document.createElement('li');
    if (cls) li.className = cls;
    li.innerHTML = html;
    log.append(li);
    while (log.children.length > 200) log.firstChild.remove();
    log.scrollTop = log.scrollHeight;
  }
  const esc = (s) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

  function connect() {
    ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/chat`);
    ws.onopen = () => { delay = 500; $('chat-status').textContent = 'connected'; $('chat-status').className = 'pill ok'; };
    ws.onclose = () => {
      $('chat-status').textContent = 'reconnecting…'; $('chat-status').className = 'pill bad';
      setTimeout(connect, delay); delay = Math.min(delay * 2, 8000);
    };
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.type === 'presence') { $('chat-online').textContent = m.online; return; }
      if (m.type !== 'chat') return;
      const t = new Date(m.time).toLocaleTimeString();
      line(m.name === nameInput.value ? 'me' : '', `<time>${t}</time><b>${esc(m.name)}</b> ${esc(m.text)}`);
    };
  }
  $('chat-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = $('chat-text').value.trim();
    if (!text || !ws || ws.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify({ name: nameInput.value || 'guest', text }));
    $('chat-text').value = '';
  });
  connect();
  line('sys', 'Messages go to every open tab, whichever worker serves it.');
  return { get socket() { return ws; } };
})();

// ---- dashboard over Server-Sent Events ------------------------------------------------------
const dashboard = (() => {
  const history = { rps: [], rss: [] };
  let samples = 0;
  const es = new EventSource('/events/stats');
  es.addEventListener('stats', (e) => {
    const s = JSON.parse(e.data);
    samples++;
    $('stat-rps').textContent = fmt.format(s.rps);
    $('stat-conns').textContent = s.connections;
    $('stat-rss').textContent = fmt.format(s.rss_kib / 1024) + ' MiB';
    $('stat-cpu').textContent = fmt.format(s.cpu_percent) + ' %';
    history.rps.push(s.rps); history.rss.push(s.rss_kib / 1024);
    if (history.rps.length > 60) { history.rps.shift(); history.rss.shift(); }
    drawChart($('dash-chart'), [
      { values: history.rps, color: '#0b6e99', label: 'requests/s' },
      { values: history.rss, color: '#e07a1f', label: 'RSS MiB', axis: 'right' },
    ], { xLabel: 'last minute' });
    $('workers').tBodies[0].innerHTML = s.workers.map((w) =>
      `<tr><td>#${w.worker}</td><td>${w.requests}</td><td>${fmt.format(w.rps)}</td><td>${w.websockets}</td><td>${w.streams}</td></tr>`).join('');
    $('dash-updated').textContent = `updated ${new Date(s.time).toLocaleTimeString()} · ${s.online} in chat · sample ${samples}`;
    document.body.dataset.samples = samples;
  });
  es.onerror = () => { $('dash-updated').textContent = 'stream interrupted; EventSource reconnects by itself…'; };
  return { get samples() { return samples; } };
})();

// ---- upload with progress -------------------------------------------------------------------
function upload(blob, name) {
  const bar = $('upload-progress'), out = $('upload-result');
  bar.value = 0; bar.max = blob.size || 1;
  out.textContent = `uploading ${name}…`;
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();   // fetch() has no upload progress events
    const started = performance.now();
    xhr.open('POST', '/upload');
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = e.loaded; };
    xhr.onload = () => {
      let r = {};
      try { r = JSON.parse(xhr.responseText); } catch { /* shown below */ }
      if (xhr.status === 201) {
        bar.value = bar.max;
        const secs = (performance.now() - started) / 1000;
        out.textContent = `${name}: ${fmt.format(r.bytes / 1048576)} MiB stored as ${r.file} ` +
          `(${fmt.format(r.bytes / 1048576 / secs)} MiB/s end to end; server busy ${fmt.format(r.ms)} ms)`;
        out.dataset.bytes = r.bytes;
      } else {
        out.textContent = `failed: ${xhr.status} ${r.detail || xhr.statusText}`;
      }
      resolve(xhr.status);
    };
    xhr.onerror = () => { out.textContent = 'failed: network error'; resolve(0); };
    xhr.send(blob);
  });
}
$('upload-go').addEventListener('click', () => {
  const f = $('upload-file').files[0];
  if (f) upload(f, f.name); else $('upload-result').textContent = 'pick a file first';
});
$('upload-gen').addEventListener('click', () => {
  const mib = new Uint8Array(1 << 20);
  for (let i = 0; i < mib.length; i++) mib[i] = (i * 2654435761) >>> 24;
  upload(new Blob(Array(64).fill(mib)), '64 MiB of generated data');
});

// ---- load test from the browser -------------------------------------------------------------
async function loadTest(concurrency, seconds) {
  const bucketMs = 100, start = performance.now(), end = start + seconds * 1000;
  const buckets = Array.from({ length: Math.ceil((seconds * 1000) / bucketMs) }, () => ({ n: 0, lat: [] }));
  const all = [];
  let errors = 0;
  async function worker() {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        const r = await fetch('/api/ping', { cache: 'no-store' });
        await r.arrayBuffer();
        if (!r.ok) errors++;
      } catch { errors++; }
      const t1 = performance.now(), b = buckets[Math.floor((t1 - start) / bucketMs)];
      if (b) { b.n++; b.lat.push(t1 - t0); }
      all.push(t1 - t0);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const pct = (xs, p) => { if (!xs.length) return 0; const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(s.length * p))]; };
  return {
    rps: buckets.map((b) => (b.n * 1000) / bucketMs),
    p50: buckets.map((b) => pct(b.lat, 0.5)),
    total: all.length, errors,
    seconds: (performance.now() - start) / 1000,
    p50all: pct(all, 0.5), p99all: pct(all, 0.99),
  };
}
$('load-go').addEventListener('click', async () => {
  const btn = $('load-go'), out = $('load-result');
  btn.disabled = true;
  const conc = +$('load-conc').value, secs = +$('load-secs').value;
  out.textContent = `running: ${conc} requests in flight for ${secs} s…`;
  const r = await loadTest(conc, secs);
  drawChart($('load-chart'), [
    { values: r.rps, color: '#0b6e99', label: 'requests/s (per 100 ms)' },
    { values: r.p50, color: '#e07a1f', label: 'median latency ms', axis: 'right' },
  ], { xLabel: `${secs} s` });
  out.textContent = `${r.total} requests in ${fmt.format(r.seconds)} s = ${fmt.format(r.total / r.seconds)} req/s · ` +
    `latency p50 ${fmt.format(r.p50all)} ms, p99 ${fmt.format(r.p99all)} ms · ${r.errors} errors. ` +
    'The browser is the bottleneck (6 connections per origin); compare the Server panel (requests/s, CPU).';
  out.dataset.total = r.total;
  btn.disabled = false;
});
