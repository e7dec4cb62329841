// The three daily charts, drawn with uPlot (vendored, global `uPlot`).

import {daySeconds, TZ} from './format.js';

const C = {
  green: '#0b6e4f', blue: '#1565c0', purple: '#6a1b9a', red: '#c62828',
  orange: '#e65100', grey: '#5b6660', grid: '#e4e8e6', light: '#8fc9b0',
};

const charts = new Map(); // container id -> uPlot
let observer = null;

// Whole numbers only on count axes.
const COUNT_INCRS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6];

function height(el) {
  return el.clientWidth < 520 ? 190 : 230;
}

function width(el) {
  return Math.max(240, Math.floor(el.clientWidth));
}

function xAxis() {
  return {
    stroke: C.grey,
    grid: {stroke: C.grid, width: 1},
    ticks: {stroke: C.grid, width: 1},
    space: 50,
    values: [
      // tick spacing in seconds, format; uPlot picks the row by the spacing
      [86400 * 28, '{YYYY}-{MM}', null, null, null, null, null, null, 1],
      [86400, '{M}/{D}', null, null, null, null, null, null, 1],
      [3600, '{H}:00', null, null, null, null, null, null, 1],
    ],
  };
}

function countAxis(side) {
  return {
    stroke: C.grey,
    grid: {stroke: C.grid, width: 1, show: side !== 1},
    ticks: {stroke: C.grid, width: 1},
    incrs: COUNT_INCRS,
    size: 48,
    side,
    values: (u, vals) => vals.map((v) => String(v)),
  };
}

function baseOptions(el, series, axes, scales) {
  const U = window.uPlot;
  return {
    width: width(el),
    height: height(el),
    tzDate: (ts) => U.tzDate(new Date(ts * 1e3), TZ),
    cursor: {drag: {x: false, y: false}, points: {size: 7}},
    legend: {show: true, live: true},
    scales: Object.assign({
      x: {time: true, range: (u, min, max) => [min - 43200, max + 43200]},
      y: {range: (u, min, max) => [0, Math.max(4, Math.ceil(max * 1.1))]},
    }, scales || {}),
    axes,
    series: [{label: '日期 Day', value: (u, v) => (v == null ? '–' : dayLabel(v))}, ...series],
  };
}

function dayLabel(ts) {
  const d = new Date(ts * 1000);
  return new Intl.DateTimeFormat('en-CA', {timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit'}).format(d);
}

function bars(size) {
  const U = window.uPlot;
  return U.paths && U.paths.bars ? U.paths.bars({size: [size, 40], align: 0}) : undefined;
}

function line(labelText, color, fill) {
  return {
    label: labelText, stroke: color, width: 2,
    fill: fill ? `${color}1f` : undefined,
    points: {show: (u) => u.data[0].length <= 31, size: 4, fill: color},
    value: (u, v) => (v == null ? '–' : String(v)),
  };
}

function draw(id, opts, data) {
  const el = document.getElementById(id);
  if (!el || !window.uPlot) return;
  const old = charts.get(id);
  if (old) old.destroy();
  const u = new window.uPlot(opts, data, el);
  charts.set(id, u);
  watch(el);
}

function watch(el) {
  if (!('ResizeObserver' in window)) return;
  if (!observer) {
    observer = new ResizeObserver((entries) => {
      for (const e of entries) {
        const u = charts.get(e.target.id);
        if (!u) continue;
        const w = width(e.target);
        const hgt = height(e.target);
        if (Math.abs(u.width - w) > 1 || u.height !== hgt) u.setSize({width: w, height: hgt});
      }
    });
  }
  observer.observe(el);
}

/** Draw (or redraw) the three charts from dashboard.days. */
export function renderCharts(days) {
  if (!window.uPlot) throw new Error('uPlot did not load');
  const x = days.map((d) => daySeconds(d.day));

  draw('chart-activity', baseOptions(document.getElementById('chart-activity'), [
    line('生产批次 Batches', C.green, true),
    line('运输 Shipments', C.blue, false),
    line('上架 Shelf events', C.purple, false),
  ], [{}, countAxis(3)]), [x, days.map((d) => d.batches), days.map((d) => d.shipments), days.map((d) => d.shelfEvents)]);

  const passRate = days.map((d) => (d.inspections > 0 ? Math.round((1 - d.inspectionsFailed / d.inspections) * 1000) / 10 : null));
  draw('chart-inspections', baseOptions(document.getElementById('chart-inspections'), [
    {label: '检验 Inspections', stroke: C.light, fill: `${C.light}b0`, width: 0, paths: bars(0.7), points: {show: false},
      value: (u, v) => (v == null ? '–' : String(v))},
    {label: '不合格 Failed', stroke: C.red, fill: `${C.red}cc`, width: 0, paths: bars(0.7), points: {show: false},
      value: (u, v) => (v == null ? '–' : String(v))},
    {label: '合格率 Pass rate', scale: '%', stroke: C.green, width: 2, spanGaps: false,
      points: {show: (u) => u.data[0].length <= 31, size: 4, fill: C.green},
      value: (u, v) => (v == null ? '–' : `${v.toFixed(1)}%`)},
  ], [{}, countAxis(3), {
    scale: '%', side: 1, stroke: C.green, size: 48, grid: {show: false}, ticks: {stroke: C.grid, width: 1},
    values: (u, vals) => vals.map((v) => `${v}%`),
  }], {'%': {range: [0, 100]}}), [x, days.map((d) => d.inspections), days.map((d) => d.inspectionsFailed), passRate]);

  draw('chart-alerts', baseOptions(document.getElementById('chart-alerts'), [
    {label: '告警 Alerts', stroke: C.orange, fill: `${C.orange}cc`, width: 0, paths: bars(0.7), points: {show: false},
      value: (u, v) => (v == null ? '–' : String(v))},
  ], [{}, countAxis(3)]), [x, days.map((d) => d.alerts)]);
}

/** Set the alerts-per-day series without rebuilding the chart. */
export function updateAlertsChart(days) {
  const u = charts.get('chart-alerts');
  if (!u) return;
  u.setData([days.map((d) => daySeconds(d.day)), days.map((d) => d.alerts)]);
}

export function destroyCharts() {
  for (const [id, u] of charts) {
    u.destroy();
    const el = document.getElementById(id);
    if (el && observer) observer.unobserve(el);
  }
  charts.clear();
}
