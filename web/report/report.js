// Draws behavtrack's report.html from the JSON in <script id="bt-data"> with ECharts.
// Each chart is one function taking the data; all share the behaviour and mouse colours.
'use strict';

const data = JSON.parse(document.getElementById('bt-data').textContent);
const charts = [];

const BEHAVIOR_COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f',
                         '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
const MOUSE_COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e',
                      '#17becf', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22'];

function behaviorColor(name) {
  const i = data.behaviors.indexOf(name);
  return BEHAVIOR_COLORS[(i < 0 ? data.behaviors.length : i) % BEHAVIOR_COLORS.length];
}
function mouseColor(id) { return MOUSE_COLORS[(data.mice.indexOf(id)) % MOUSE_COLORS.length]; }
function mouseName(id) { return 'mouse ' + id; }
function fmt(x, digits = 1) { return Number(x).toFixed(digits); }

function chartIn(id) {
  const c = echarts.init(document.getElementById(id), null, { renderer: 'canvas' });
  charts.push(c);
  return c;
}
function emptyNote(id, text) {
  document.getElementById(id).innerHTML = '<div class="empty">' + text + '</div>';
}

function drawHeader() {
  document.getElementById('title').textContent = data.title || 'behavtrack report';
  document.title = 'behavtrack: ' + (data.title || data.video);
  const facts = [
    ['video', data.video], ['duration', fmt(data.duration_s) + ' s'],
    ['frames', data.n_frames], ['frame rate', fmt(data.fps, 2) + ' fps'],
    ['size', data.width + ' x ' + data.height + ' px'], ['mice', data.mice.length],
  ];
  document.getElementById('facts').innerHTML =
      facts.map(([k, v]) => '<span>' + k + ' <b>' + v + '</b></span>').join('');
}

function drawEthogram() {
  if (!data.ethogram.length) return emptyNote('ethogram', 'No behaviour was classified.');
  const rows = data.mice.map(mouseName);
  const seen = new Set(data.ethogram.map((b) => b.behavior));
  const series = data.behaviors.concat([...seen].filter((b) => !data.behaviors.includes(b)))
      .filter((b) => seen.has(b))
      .map((behavior) => ({
        name: behavior, type: 'custom',
        renderItem: (params, api) => {
          const start = api.coord([api.value(1), api.value(0)]);
          const end = api.coord([api.value(2), api.value(0)]);
          const h = api.size([0, 1])[1] * 0.7;
          return { type: 'rect', shape: { x: start[0], y: start[1] - h / 2, width: Math.max(1, end[0] - start[0]), height: h },
                   style: { fill: behaviorColor(behavior) } };
        },
        encode: { x: [1, 2], y: 0 },
        data: data.ethogram.filter((b) => b.behavior === behavior)
            .map((b) => [data.mice.indexOf(b.id), b.start_s, b.end_s]),
        itemStyle: { color: behaviorColor(behavior) },
      }));
  chartIn('ethogram').setOption({
    tooltip: { formatter: (p) => p.seriesName + '<br>' + rows[p.value[0]] + ': ' +
               fmt(p.value[1]) + '-' + fmt(p.value[2]) + ' s' },
    legend: { top: 0 }, grid: { left: 80, right: 20, top: 40, bottom: 50 },
    xAxis: { type: 'value', name: 'time (s)', nameLocation: 'middle', nameGap: 28, min: 0, max: data.duration_s },
    yAxis: { type: 'category', data: rows, inverse: true },
    dataZoom: [{ type: 'inside', filterMode: 'weakFilter' }, { type: 'slider', height: 14, bottom: 4, filterMode: 'weakFilter' }],
    series,
  });
}

function drawBudget() {
  const behaviors = data.behaviors.filter((b) => data.mice.some((id) => (data.time_budget_s[id] || {})[b]));
  if (!behaviors.length) return emptyNote('budget', 'No behaviour was classified.');
  chartIn('budget').setOption({
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: { top: 0, type: 'scroll' }, grid: { left: 80, right: 20, top: 40, bottom: 30 },
    xAxis: { type: 'value', name: 's' },
    yAxis: { type: 'category', data: data.mice.map(mouseName), inverse: true },
    series: behaviors.map((b) => ({
      name: b, type: 'bar', stack: 'budget', itemStyle: { color: behaviorColor(b) },
      data: data.mice.map((id) => +fmt((data.time_budget_s[id] || {})[b] || 0, 2)),
    })),
  });
}

function drawSpeed() {
  document.getElementById('speed-note').textContent =
      'Body-centre speed averaged over ' + data.speed_bin_s + ' s bins, pixels per second.';
  chartIn('speed').setOption({
    tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { left: 60, right: 20, top: 40, bottom: 50 },
    xAxis: { type: 'value', name: 'time (s)', nameLocation: 'middle', nameGap: 28 },
    yAxis: { type: 'value', name: 'px/s' },
    dataZoom: [{ type: 'inside' }],
    series: data.mice.map((id) => ({
      name: mouseName(id), type: 'line', showSymbol: false, lineStyle: { width: 1.2 },
      itemStyle: { color: mouseColor(id) }, data: data.speed_px_s[id] || [],
    })),
  });
}

function drawTrajectories() {
  chartIn('trajectories').setOption({
    tooltip: { trigger: 'item', formatter: (p) => p.seriesName + ' at ' + fmt(p.value[2]) + ' s' },
    legend: { top: 0 }, grid: { left: 50, right: 20, top: 40, bottom: 30 },
    xAxis: { type: 'value', min: 0, max: data.width, name: 'x' },
    yAxis: { type: 'value', min: 0, max: data.height, inverse: true, name: 'y' },
    series: data.mice.map((id) => ({
      name: mouseName(id), type: 'line', showSymbol: false, lineStyle: { width: 1, opacity: 0.8 },
      itemStyle: { color: mouseColor(id) },
      data: (data.trajectories[id] || []).map(([t, x, y]) => [x, y, t]),
    })),
  });
}

function drawOccupancy() {
  const o = data.occupancy;
  document.getElementById('occupancy-note').textContent =
      'Share of time spent in each ' + o.cell_px + ' px cell, all mice together.';
  const total = o.counts.reduce((a, b) => a + b, 0) || 1;
  const cells = [];
  let max = 0;
  for (let gy = 0; gy < o.grid_h; ++gy) {
    for (let gx = 0; gx < o.grid_w; ++gx) {
      const v = (100 * o.counts[gy * o.grid_w + gx]) / total;
      max = Math.max(max, v);
      cells.push([gx, gy, +v.toFixed(3)]);
    }
  }
  chartIn('occupancy').setOption({
    tooltip: { formatter: (p) => fmt(p.value[2], 2) + ' % of time' },
    grid: { left: 50, right: 20, top: 10, bottom: 70 },
    // About eight labels per axis: one per cell crowds them into an unreadable column.
    xAxis: { type: 'category', data: [...Array(o.grid_w).keys()].map((i) => i * o.cell_px), splitArea: { show: false },
             axisLabel: { interval: Math.ceil(o.grid_w / 8) - 1 }, name: 'x (px)' },
    yAxis: { type: 'category', data: [...Array(o.grid_h).keys()].map((i) => i * o.cell_px), inverse: true,
             axisLabel: { interval: Math.ceil(o.grid_h / 8) - 1 }, name: 'y (px)', nameLocation: 'start' },
    visualMap: { min: 0, max: max || 1, calculable: true, orient: 'horizontal', left: 'center', bottom: 0,
                 inRange: { color: ['#f7fbff', '#6baed6', '#08306b'] } },
    series: [{ type: 'heatmap', data: cells, progressive: 0 }],
  });
}

function drawSocial() {
  document.getElementById('social-note').textContent =
      'Seconds in contact (a nose within ' + fmt(data.contact_distance_px) + ' px of the other mouse).';
  if (!data.social.length) {
    emptyNote('social', 'Fewer than two mice were tracked.');
    return;
  }
  const names = data.mice.map(mouseName);
  const cells = [];
  let max = 0;
  for (const p of data.social) {
    const i = data.mice.indexOf(p.a), j = data.mice.indexOf(p.b);
    cells.push([i, j, +fmt(p.contact_s, 2)], [j, i, +fmt(p.contact_s, 2)]);
    max = Math.max(max, p.contact_s);
  }
  chartIn('social').setOption({
    tooltip: { formatter: (p) => names[p.value[0]] + ' & ' + names[p.value[1]] + ': ' + p.value[2] + ' s' },
    grid: { left: 80, right: 20, top: 10, bottom: 70 },
    xAxis: { type: 'category', data: names }, yAxis: { type: 'category', data: names, inverse: true },
    visualMap: { min: 0, max: max || 1, calculable: true, orient: 'horizontal', left: 'center', bottom: 0,
                 inRange: { color: ['#fff5eb', '#fd8d3c', '#7f2704'] } },
    series: [{ type: 'heatmap', data: cells, label: { show: true } }],
  });
  const rows = data.social.map((p) => '<tr><td>' + mouseName(p.a) + ' & ' + mouseName(p.b) +
      '</td><td class="num">' + fmt(p.contact_s) + '</td><td class="num">' + p.contact_bouts +
      '</td><td class="num">' + fmt(p.mean_distance_px) + '</td></tr>');
  document.getElementById('social-table').innerHTML =
      '<table><tr><th>pair</th><th>contact (s)</th><th>contact bouts</th><th>mean distance (px)</th></tr>' +
      rows.join('') + '</table>';
}

// Flattens nested JSON into "a.b.c" rows for a two-column table. Arrays of named objects
// (per-keypoint metrics) become one row per field under each name, not a JSON blob.
function flatten(obj, prefix = '', out = []) {
  const isObject = (v) => v && typeof v === 'object' && !Array.isArray(v);
  for (const [k, v] of Object.entries(obj || {})) {
    const key = prefix ? prefix + '.' + k : k;
    if (isObject(v)) {
      flatten(v, key, out);
    } else if (Array.isArray(v) && v.length && v.every((e) => isObject(e) && typeof e.name === 'string')) {
      for (const { name, ...fields } of v) flatten(fields, key + '.' + name, out);
    } else {
      out.push([key, Array.isArray(v) ? JSON.stringify(v) : v]);
    }
  }
  return out;
}

function drawMetaTables() {
  const table = (title, rows) => '<h3 style="font-size:13px;margin:10px 0 4px">' + title + '</h3>' +
      (rows.length ? '<table>' + rows.map(([k, v]) => '<tr><th>' + k + '</th><td>' +
        (typeof v === 'number' ? fmt(v, 4).replace(/\.?0+$/, '') : String(v)) + '</td></tr>').join('') + '</table>'
                   : '<div class="empty">none recorded</div>');
  document.getElementById('meta-tables').innerHTML =
      table('Metrics', flatten(data.metrics)) + table('Options', flatten(data.options));
}

drawHeader();
drawEthogram();
drawBudget();
drawSpeed();
drawTrajectories();
drawOccupancy();
drawSocial();
drawMetaTables();
window.addEventListener('resize', () => charts.forEach((c) => c.resize()));
document.body.dataset.rendered = 'true';
