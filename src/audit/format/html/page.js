// The script of mindelta's HTML report (src/audit/format/html.rs inlines it; its hash is the
// only script the page's Content-Security-Policy allows). It reads the JSON data block, draws
// the history charts as inline SVG and the tables (paginated, sorted and filtered here), and
// writes what it drew into #mindelta-check for tests. Workspace text only ever goes through
// textContent and attribute setters, never through HTML parsing.
'use strict';
(function () {
  var started = performance.now();
  var problems = [];
  window.addEventListener('error', function (e) { problems.push('error: ' + e.message); });
  window.addEventListener('unhandledrejection', function (e) {
    problems.push('rejection: ' + String(e.reason && e.reason.message || e.reason));
  });
  document.addEventListener('securitypolicyviolation', function (e) {
    problems.push('csp: ' + e.violatedDirective + ' ' + e.blockedURI);
  });

  var PAGE = 100;
  var SVG = 'http://www.w3.org/2000/svg';
  var raw = JSON.parse(document.getElementById('mindelta-data').textContent);
  var T = raw.t;
  function str(i) { return i === undefined || i === null ? undefined : T[i]; }
  var fmt = new Intl.NumberFormat('en');
  function num(n) { return n === undefined || n === null ? '' : fmt.format(n); }

  // Decode the compact rows (see PagePackage, PagePatch, PageFinding in html.rs).
  var packages = raw.p.map(function (p, i) {
    return {
      i: i, name: p.n, version: p.v, latest: p.l, outdated: p.o, kind: str(p.u), manifest: p.m,
      patches: p.pc, files: p.fc, added: p.a, removed: p.r, lines: p.a + p.r,
      status: p.st.map(function (s) { return [str(s[0]), s[1]]; }),
      noExpiry: p.x, cves: p.c, expired: p.e, oldest: p.op, release: p.rl,
      verdicts: (p.vd || []).map(function (v) { return [str(v[0]), v[1]]; }),
      errors: 0, warnings: 0, infos: 0, list: [], findings: []
    };
  });
  var patches = raw.q.map(function (q) {
    var patch = {
      pkg: packages[q.k], file: q.f, status: str(q.s) || 'none', age: q.g, since: q.d,
      added: q.a, removed: q.r, lines: q.a + q.r, files: q.n, expiry: str(q.x), cves: q.c || [],
      why: q.w || '', verdict: str(q.v), reason: str(q.vr),
      evidence: (q.ev || []).map(function (e) { return [str(e[0]), str(e[1]), str(e[2])]; })
    };
    patch.pkg.list.push(patch);
    return patch;
  });
  var findings = raw.f.map(function (f) {
    var finding = {
      pkg: f.k === undefined ? null : packages[f.k], pkgName: f.k === undefined ? f.pn : packages[f.k].name,
      patch: f.p, rule: str(f.r), severity: str(f.s), message: str(f.m), help: str(f.h),
      at: str(f.lf) + ':' + f.ll
    };
    if (finding.pkg) {
      finding.pkg.findings.push(finding);
      if (finding.severity === 'error') finding.pkg.errors++;
      else if (finding.severity === 'warning') finding.pkg.warnings++;
      else finding.pkg.infos++;
    }
    return finding;
  });
  // What the search box looks in, lower case, once.
  packages.forEach(function (p) {
    var words = [p.name, p.version, p.latest || '', p.kind];
    p.list.forEach(function (q) { words.push(q.file, q.status, q.verdict || '', q.cves.join(' ')); });
    p.findings.forEach(function (f) { words.push(f.rule); });
    p.text = words.join('\n').toLowerCase();
  });
  patches.forEach(function (q) {
    q.text = [q.pkg.name, q.file, q.status, q.verdict || '', q.reason || '', q.cves.join(' '),
      q.why, q.expiry].join('\n').toLowerCase();
  });
  findings.forEach(function (f) {
    f.text = [f.pkgName, f.patch || '', f.rule, f.severity, f.message, f.at].join('\n').toLowerCase();
  });

  // Small DOM helpers: text only, never markup.
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { if (attrs[k] !== '') node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = String(text);
    return node;
  }
  // A coloured label for a status (prefix `s-`) or a verdict (`v-`); `text` defaults to the word.
  function badge(word, prefix, text) {
    var known = { pending: 1, submitted: 1, backport: 1, denied: 1, inappropriate: 1, none: 1,
      needed: 1, expired: 1, partial: 1, conflict: 1, unknown: 1 };
    var cls = word === 'inactive-upstream' ? 's-inactive' : known[word] ? prefix + word : 's-other';
    return el('span', { 'class': 'badge ' + cls }, text === undefined ? word : text);
  }
  function lines(td, added, removed) {
    td.appendChild(el('span', { 'class': 'add' }, '+' + num(added)));
    td.appendChild(document.createTextNode(' '));
    td.appendChild(el('span', { 'class': 'del' }, '−' + num(removed)));
  }

  // ---- Charts -------------------------------------------------------------------------------
  var drawn = {};
  // A round step for about four gridlines (whole numbers: every series counts things).
  function niceStep(max) {
    var rough = Math.max(1, max / 4);
    var power = Math.pow(10, Math.floor(Math.log10(rough)));
    var units = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < units.length; i++) {
      var step = units[i] * power;
      if (step >= rough && step === Math.round(step)) return step;
    }
    return 10 * power;
  }
  function chart(name, months, series, bars) {
    var root = document.querySelector('svg[data-chart="' + name + '"]');
    if (!root) return;
    var W = 640, H = 220, L = 58, R = 10, TOP = 10, B = 26, n = months.length;
    var max = 0, min = Infinity;
    series.forEach(function (s) {
      months.forEach(function (m) {
        var v = s.get(m);
        if (v === undefined || v === null) return;
        if (v > max) max = v;
        if (v < min) min = v;
      });
    });
    if (min === Infinity) min = 0;
    // Bars start at zero; a line whose values stay within the upper half of the range starts
    // at a round number below its lowest value, so a shrinking delta shows.
    var low = 0;
    if (!bars && min > max / 2) {
      var span = niceStep(max - min || 1);
      low = Math.floor(min / span) * span;
    }
    var step = niceStep(max - low), top = low + step * Math.max(1, Math.ceil((max - low) / step));
    var plotW = W - L - R, plotH = H - TOP - B;
    function y(v) { return TOP + plotH - ((v - low) / (top - low)) * plotH; }
    for (var gv = low; gv <= top; gv += step) {
      var gy = y(gv);
      root.appendChild(svg('line', { 'class': 'grid', x1: L, x2: W - R, y1: gy, y2: gy }));
      root.appendChild(svg('text', { 'class': 'axis', x: L - 6, y: gy + 4, 'text-anchor': 'end' }, num(gv)));
    }
    var band = plotW / Math.max(n, 1);
    function x(i) { return bars ? L + band * (i + 0.5) : L + (n > 1 ? plotW * i / (n - 1) : plotW / 2); }
    var every = Math.max(1, Math.ceil(n / 8));
    months.forEach(function (m, i) {
      // Labels counted back from the newest month, which always has one.
      if ((n - 1 - i) % every === 0) {
        var anchor = n === 1 || (i > 0 && i < n - 1) ? 'middle' : i === 0 ? 'start' : 'end';
        root.appendChild(svg('text', { 'class': 'axis', x: x(i), y: H - 8, 'text-anchor': anchor }, m.month));
      }
    });
    var points = 0;
    series.forEach(function (s, k) {
      var cls = 'series-' + k;
      if (bars) {
        var width = Math.max(1, band * 0.8 / series.length);
        months.forEach(function (m, i) {
          var v = s.get(m) || 0;
          var rect = svg('rect', { 'class': 'pt ' + cls, x: L + band * i + band * 0.1 + width * k,
            y: y(v), width: width, height: Math.max(0, y(low) - y(v)), 'data-month': m.month });
          rect.appendChild(svg('title', {}, m.month + ': ' + num(v) + ' ' + s.label));
          root.appendChild(rect);
          points++;
        });
        return;
      }
      var path = [];
      months.forEach(function (m, i) {
        var v = s.get(m);
        if (v === undefined || v === null) return;
        path.push(x(i).toFixed(1) + ',' + y(v).toFixed(1));
      });
      root.appendChild(svg('polyline', { 'class': 'line ' + cls, points: path.join(' ') }));
      months.forEach(function (m, i) {
        var v = s.get(m);
        if (v === undefined || v === null) return;
        var dot = svg('circle', { 'class': 'pt ' + cls, cx: x(i).toFixed(1), cy: y(v).toFixed(1),
          r: n > 60 ? 1.5 : 2.5, 'data-month': m.month });
        dot.appendChild(svg('title', {}, m.month + ': ' + num(v) + ' ' + s.label));
        root.appendChild(dot);
        points++;
      });
    });
    var caption = root.parentNode.querySelector('figcaption');
    if (series.length > 1 && caption) {
      series.forEach(function (s, k) {
        var key = el('span', { 'class': 'key' });
        key.appendChild(svgDot(k));
        key.appendChild(document.createTextNode(s.label));
        caption.appendChild(key);
      });
    }
    drawn[name] = points;
  }
  function svgDot(k) {
    var box = svg('svg', { width: 10, height: 10, viewBox: '0 0 10 10', style: 'display:inline;width:10px;margin-right:4px' });
    box.appendChild(svg('circle', { 'class': 'series-' + k, cx: 5, cy: 5, r: 4 }));
    return box;
  }
  if (raw.h && raw.h.months && raw.h.months.length) {
    var months = raw.h.months;
    chart('patches', months, [{ label: 'patches', get: function (m) { return m.patches; } }]);
    chart('lines', months, [{ label: 'lines', get: function (m) { return m.lines_added + m.lines_removed; } }]);
    chart('flow', months, [
      { label: 'added', get: function (m) { return m.patches_added; } },
      { label: 'expired', get: function (m) { return m.patches_expired; } }
    ], true);
    chart('age', months, [{ label: 'days', get: function (m) { return m.median_age_days; } }]);
  }

  // ---- Tables -------------------------------------------------------------------------------
  function cmp(a, b) {
    var an = a === undefined || a === null || a === '', bn = b === undefined || b === null || b === '';
    if (an || bn) return an === bn ? 0 : an ? 1 : -1; // unknowns last, whatever the direction
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    return String(a).localeCompare(String(b));
  }
  var views = {
    packages: {
      rows: packages, noun: 'packages', sort: 'lines', desc: true,
      columns: [
        { key: 'name', label: 'Package', get: function (p) { return p.name; } },
        { key: 'version', label: 'Version', get: function (p) { return p.version; } },
        { key: 'latest', label: 'Latest', get: function (p) { return p.latest; },
          cell: function (td, p) { td.textContent = p.latest || '?'; if (p.outdated) td.className = 'warning'; } },
        { key: 'patches', label: 'Patches', num: true, get: function (p) { return p.patches; } },
        { key: 'status', label: 'By status', get: function (p) { return p.status.map(function (s) { return s[0]; }).join(' '); },
          cell: function (td, p) {
            p.status.forEach(function (s) { td.appendChild(badge(s[0], 's-', s[0] + ' ' + s[1])); td.appendChild(document.createTextNode(' ')); });
          } },
        { key: 'lines', label: 'Lines', num: true, get: function (p) { return p.lines; },
          cell: function (td, p) { lines(td, p.added, p.removed); } },
        { key: 'files', label: 'Files', num: true, get: function (p) { return p.files; } },
        { key: 'noExpiry', label: 'No expiry', num: true, get: function (p) { return p.noExpiry; } },
        { key: 'oldest', label: 'Oldest pending (d)', num: true, get: function (p) { return p.oldest; } },
        { key: 'verdicts', label: 'Verdicts', get: function (p) { return p.verdicts.map(function (v) { return v[0]; }).join(' '); },
          cell: function (td, p) {
            p.verdicts.forEach(function (v) { td.appendChild(badge(v[0], 'v-', v[0] + ' ' + v[1])); td.appendChild(document.createTextNode(' ')); });
          } },
        { key: 'findings', label: 'Findings', num: true, get: function (p) { return p.errors * 1e6 + p.warnings * 1e3 + p.infos; },
          cell: function (td, p) {
            if (p.errors) td.appendChild(el('span', { 'class': 'sev-error' }, p.errors + 'E '));
            if (p.warnings) td.appendChild(el('span', { 'class': 'sev-warning' }, p.warnings + 'W '));
            if (p.infos) td.appendChild(el('span', { 'class': 'sev-info' }, p.infos + 'I'));
          } }
      ],
      detail: packageDetail
    },
    patches: {
      rows: patches, noun: 'patches', sort: 'age', desc: true,
      columns: [
        { key: 'package', label: 'Package', get: function (q) { return q.pkg.name; } },
        { key: 'file', label: 'Patch', get: function (q) { return q.file; }, cell: function (td, q) { td.className = 'wrap'; td.textContent = q.file; } },
        { key: 'status', label: 'Status', get: function (q) { return q.status; }, cell: function (td, q) { td.appendChild(badge(q.status, 's-')); } },
        { key: 'age', label: 'Age (d)', num: true, get: function (q) { return q.age; } },
        { key: 'lines', label: 'Lines', num: true, get: function (q) { return q.lines; }, cell: function (td, q) { lines(td, q.added, q.removed); } },
        { key: 'expiry', label: 'Expires', get: function (q) { return q.expiry; } },
        { key: 'verdict', label: 'Verdict', get: function (q) { return q.verdict; },
          cell: function (td, q) { if (q.verdict) { td.appendChild(badge(q.verdict, 'v-')); if (q.reason) td.appendChild(document.createTextNode(' ' + q.reason)); } } },
        { key: 'why', label: 'Why', get: function (q) { return q.why; }, cell: function (td, q) { td.className = 'wrap'; td.textContent = q.why; } }
      ],
      detail: patchDetail
    },
    findings: {
      rows: findings, noun: 'findings', sort: 'severity', desc: false,
      columns: [
        { key: 'severity', label: 'Severity', get: function (f) { return { error: 0, warning: 1, info: 2 }[f.severity]; },
          cell: function (td, f) { td.className = 'sev-' + f.severity; td.textContent = f.severity; } },
        { key: 'rule', label: 'Rule', get: function (f) { return f.rule; } },
        { key: 'package', label: 'Package', get: function (f) { return f.pkgName; } },
        { key: 'patch', label: 'Patch', get: function (f) { return f.patch; } },
        { key: 'message', label: 'Message', get: function (f) { return f.message; },
          cell: function (td, f) { td.className = 'wrap'; td.textContent = f.message; if (f.help) td.appendChild(el('div', { 'class': 'note' }, f.help)); } },
        { key: 'at', label: 'Location', get: function (f) { return f.at; }, cell: function (td, f) { td.appendChild(el('code', {}, f.at)); } }
      ]
    }
  };

  function packageDetail(p) {
    var box = el('div');
    box.appendChild(el('div', {}, p.manifest + ' · upstream ' + p.kind + (p.release ? ' · verdicts against ' + p.release : '') +
      ' · ' + num(p.expired) + ' expired so far'));
    var table = el('table');
    var head = el('tr');
    ['Patch', 'Status', 'Age (d)', 'Lines', 'Expires', 'Verdict', 'Why'].forEach(function (h) { head.appendChild(el('th', {}, h)); });
    table.appendChild(head);
    p.list.forEach(function (q) {
      var tr = el('tr');
      tr.appendChild(el('td', { 'class': 'wrap' }, q.file));
      var st = el('td'); st.appendChild(badge(q.status, 's-')); tr.appendChild(st);
      tr.appendChild(el('td', { 'class': 'num' }, q.age === undefined ? '?' : num(q.age)));
      var ln = el('td', { 'class': 'num' }); lines(ln, q.added, q.removed); tr.appendChild(ln);
      tr.appendChild(el('td', {}, q.expiry));
      var vd = el('td');
      if (q.verdict) { vd.appendChild(badge(q.verdict, 'v-')); vd.appendChild(evidenceList(q)); }
      tr.appendChild(vd);
      tr.appendChild(el('td', { 'class': 'wrap' }, q.why));
      table.appendChild(tr);
    });
    box.appendChild(table);
    if (p.findings.length) {
      var list = el('ul');
      p.findings.forEach(function (f) {
        var li = el('li');
        li.appendChild(el('span', { 'class': 'sev-' + f.severity }, f.severity + ' '));
        li.appendChild(el('code', {}, f.rule));
        li.appendChild(document.createTextNode(' ' + (f.patch ? f.patch + ': ' : '') + f.message + ' (' + f.at + ')'));
        list.appendChild(li);
      });
      box.appendChild(list);
    }
    return box;
  }
  function evidenceList(q) {
    var list = el('ul', { 'class': 'evidence' });
    q.evidence.forEach(function (e) {
      var li = el('li');
      li.appendChild(el('b', {}, e[0] + ' '));
      li.appendChild(el('span', { 'class': 'r-' + e[1] }, e[1]));
      if (e[2]) li.appendChild(document.createTextNode(': ' + e[2]));
      list.appendChild(li);
    });
    return list;
  }
  function patchDetail(q) {
    var box = el('div');
    box.appendChild(el('div', {}, q.pkg.name + '/' + q.file + (q.since ? ' · counts from ' + q.since : '') +
      ' · ' + num(q.files) + ' file(s)' + (q.cves.length ? ' · ' + q.cves.join(', ') : '')));
    if (q.why) box.appendChild(el('p', { 'class': 'wrap' }, q.why));
    if (q.verdict) {
      var v = el('div'); v.appendChild(document.createTextNode('Verdict: ')); v.appendChild(badge(q.verdict, 'v-'));
      if (q.reason) v.appendChild(document.createTextNode(' by ' + q.reason));
      box.appendChild(v);
      box.appendChild(evidenceList(q));
    } else {
      box.appendChild(el('div', { 'class': 'note' }, 'No verdict: run the audit with --check to judge the patches against the newest release.'));
    }
    return box;
  }

  var state = { tab: 'packages', query: '', page: 0, open: null, shown: [] };
  Object.keys(views).forEach(function (k) { views[k].page = 0; });
  var table = document.getElementById('table');
  var thead = table.querySelector('thead'), tbody = table.querySelector('tbody');
  var count = document.getElementById('count'), pageLabel = document.getElementById('page');
  var prev = document.getElementById('prev'), next = document.getElementById('next');

  function filtered(view) {
    var words = state.query.toLowerCase().split(/\s+/).filter(Boolean);
    var rows = words.length ? view.rows.filter(function (r) {
      return words.every(function (w) { return r.text.indexOf(w) >= 0; });
    }) : view.rows.slice();
    var column = view.columns.filter(function (c) { return c.key === view.sort; })[0];
    if (column) {
      rows.sort(function (a, b) {
        var ka = column.get(a), kb = column.get(b);
        var unknown = ka === undefined || ka === null || ka === '' || kb === undefined || kb === null || kb === '';
        var c = cmp(ka, kb);
        return unknown || !view.desc ? c : -c;
      });
    }
    return rows;
  }
  function render() {
    var view = views[state.tab];
    thead.textContent = '';
    var tr = el('tr');
    view.columns.forEach(function (c) {
      var th = el('th', { 'data-key': c.key, 'class': c.num ? 'num' : '' }, c.label);
      th.setAttribute('aria-sort', view.sort === c.key ? (view.desc ? 'descending' : 'ascending') : 'none');
      th.addEventListener('click', function () {
        if (view.sort === c.key) view.desc = !view.desc; else { view.sort = c.key; view.desc = !!c.num; }
        view.page = 0; render();
      });
      tr.appendChild(th);
    });
    thead.appendChild(tr);
    var rows = filtered(view);
    var pages = Math.max(1, Math.ceil(rows.length / PAGE));
    if (view.page >= pages) view.page = pages - 1;
    var shown = rows.slice(view.page * PAGE, view.page * PAGE + PAGE);
    var body = document.createDocumentFragment();
    shown.forEach(function (row) {
      var line = el('tr', { 'class': view.detail ? 'row' : '' });
      view.columns.forEach(function (c) {
        var td = el('td', { 'class': c.num ? 'num' : '' });
        if (c.cell) c.cell(td, row); else { var v = c.get(row); td.textContent = c.num ? num(v) : v === undefined ? '' : v; }
        line.appendChild(td);
      });
      body.appendChild(line);
      if (view.detail) {
        line.addEventListener('click', function () {
          var after = line.nextSibling;
          if (after && after.className === 'detail') { after.parentNode.removeChild(after); return; }
          var detail = el('tr', { 'class': 'detail' });
          var td = el('td', { colspan: view.columns.length });
          td.appendChild(view.detail(row));
          detail.appendChild(td);
          line.parentNode.insertBefore(detail, line.nextSibling);
        });
      }
    });
    tbody.textContent = '';
    tbody.appendChild(body);
    count.textContent = num(rows.length) + ' of ' + num(view.rows.length) + ' ' + view.noun;
    pageLabel.textContent = 'page ' + (view.page + 1) + ' of ' + pages;
    prev.disabled = view.page === 0;
    next.disabled = view.page >= pages - 1;
    state.shown = shown.length;
  }
  document.querySelectorAll('.tabs button').forEach(function (button) {
    button.addEventListener('click', function () {
      state.tab = button.getAttribute('data-tab');
      document.querySelectorAll('.tabs button').forEach(function (b) {
        b.setAttribute('aria-selected', b === button ? 'true' : 'false');
      });
      render();
    });
  });
  var search = document.getElementById('search');
  var timer = null;
  search.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      state.query = search.value;
      Object.keys(views).forEach(function (k) { views[k].page = 0; });
      render();
    }, 120);
  });
  prev.addEventListener('click', function () { views[state.tab].page--; render(); });
  next.addEventListener('click', function () { views[state.tab].page++; render(); });
  render();

  // ---- Self-check, for tests and for the curious -------------------------------------------
  var elapsed = performance.now();
  document.getElementById('render-time').textContent = 'drawn in ' + Math.round(elapsed - started) + ' ms';
  var check = document.getElementById('mindelta-check');
  check.textContent = JSON.stringify({
    ok: problems.length === 0, problems: problems,
    packages: packages.length, patches: patches.length, findings: findings.length,
    months: raw.h && raw.h.months ? raw.h.months.length : 0,
    points: drawn, rows: state.shown,
    script_ms: Math.round(elapsed - started), since_navigation_ms: Math.round(elapsed)
  });
  function amend(change) {
    var now = JSON.parse(check.textContent); change(now); check.textContent = JSON.stringify(now);
  }
  // Errors after the first drawing (a click, a late event) are recorded too.
  window.addEventListener('error', function () {
    amend(function (now) { now.ok = false; now.problems = problems; });
  });
  // The load event: the whole page parsed, drawn into the DOM and its layout ready.
  window.addEventListener('load', function () {
    amend(function (now) { now.load_ms = Math.round(performance.now()); });
  });
})();
