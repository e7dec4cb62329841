// DOM building, labels and formatting. Every element is built with
// createElement and textContent: no HTML is parsed from data.

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(el, attrs, children) {
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
      else if (k === 'text') el.textContent = String(v);
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
      else if (k === 'style') throw new Error('style attributes are refused by the CSP; use a class');
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** h('div', {class: 'x', dataset: {id: 1}}, child, 'text', ...) */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** The same for SVG elements. */
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

/** Chinese label with its English secondary: 批次 <span class="en">Batches</span>. */
export function bi(zh, en) {
  const f = document.createDocumentFragment();
  f.append(zh);
  if (en) f.append(' ', h('span', {class: 'en', text: en}));
  return f;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export const KIND = {
  TEMPERATURE_OUT_OF_RANGE: ['温度超限', 'Temperature out of range'],
  SUSTAINED_EXCURSION: ['持续温度偏离', 'Sustained excursion'],
  CUMULATIVE_EXCURSION: ['累计温度偏离', 'Cumulative excursion'],
  LOGGING_GAP: ['温度记录中断', 'Logging gap'],
  INSPECTION_FAILED: ['检验不合格', 'Inspection failed'],
  OVER_LEGAL_LIMIT: ['超出法定限量', 'Over legal limit'],
  MEASUREMENT_OUTLIER: ['检测值异常', 'Measurement outlier'],
  TRANSIT_OUTLIER: ['运输时长异常', 'Transit outlier'],
  OVER_SHELVED: ['上架量超出', 'Over-shelved'],
  OVER_SHIPPED: ['发货量超出', 'Over-shipped'],
  EXPIRED_ON_SHELF: ['过期仍在架', 'Expired on shelf'],
  SCAN_BURST: ['扫码激增', 'Scan burst'],
  SCAN_SPREAD: ['跨省扫码', 'Scan spread'],
  RECALL_NOTICE: ['召回通知', 'Recall notice'],
};

export const SEVERITY = {
  LOW: ['低', 'Low'],
  MEDIUM: ['中', 'Medium'],
  HIGH: ['高', 'High'],
  CRITICAL: ['严重', 'Critical'],
};
export const SEVERITY_RANK = {LOW: 1, MEDIUM: 2, HIGH: 3, CRITICAL: 4};

export const ALERT_STATUS = {
  OPEN: ['待处理', 'Open'],
  ACKNOWLEDGED: ['已确认', 'Acknowledged'],
  RESOLVED: ['已解决', 'Resolved'],
  DISMISSED: ['已驳回', 'Dismissed'],
};

export const BATCH_STATUS = {
  ACTIVE: ['正常', 'Active'],
  ON_HOLD: ['暂扣', 'On hold'],
  RECALLED: ['已召回', 'Recalled'],
  EXHAUSTED: ['已售完', 'Exhausted'],
  DESTROYED: ['已销毁', 'Destroyed'],
};

export const COLD_CHAIN = {
  OK: ['冷链正常', 'OK'],
  EXCURSION: ['温度偏离', 'Excursion'],
  NO_DATA: ['无温度记录', 'No data'],
  NOT_REQUIRED: ['无需冷链', 'Not required'],
};

export const REMOVAL = {
  SOLD_OUT: ['售罄', 'Sold out'],
  EXPIRED: ['过期', 'Expired'],
  RECALLED: ['召回', 'Recalled'],
  DAMAGED: ['损坏', 'Damaged'],
};

export const RECALL_DEPTH = {
  WHOLESALE: ['批发', 'Wholesale'],
  RETAIL: ['零售', 'Retail'],
  CONSUMER: ['消费者', 'Consumer'],
};

export const ROLE = {
  ADMIN: ['管理员', 'Administrator'],
  REGULATOR: ['监管人员', 'Regulator'],
  ORG_ADMIN: ['企业管理员', 'Organisation admin'],
  STAFF: ['企业员工', 'Staff'],
  PARTNER: ['合作方', 'Partner'],
};

/** Label of an enum value from one of the tables above: 'zh English', or the raw value. */
export function label(table, value) {
  const l = table[value];
  return l ? bi(l[0], l[1]) : document.createTextNode(value ?? '');
}
export function labelText(table, value) {
  const l = table[value];
  return l ? `${l[0]} ${l[1]}` : String(value ?? '');
}

export const TZ = 'Asia/Shanghai';

const dtf = new Intl.DateTimeFormat('en-CA', {
  timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
});

function parts(t) {
  const d = t instanceof Date ? t : new Date(t);
  if (Number.isNaN(d.getTime())) return null;
  const p = {};
  for (const {type, value} of dtf.formatToParts(d)) p[type] = value;
  return p;
}

/** 2026-11-28 14:03, China time; '' for null. */
export function fmtTime(t) {
  if (!t) return '';
  const p = parts(t);
  return p ? `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}` : String(t);
}

/** 2026-11-28, China time. */
export function fmtDay(t) {
  if (!t) return '';
  const p = parts(t);
  return p ? `${p.year}-${p.month}-${p.day}` : String(t);
}

/** 3 分钟前 · 3 min ago, for recent times; the date otherwise. */
export function fmtAgo(t, now = Date.now()) {
  const ms = now - new Date(t).getTime();
  if (!Number.isFinite(ms)) return '';
  const m = Math.round(ms / 60000);
  if (m < 1) return '刚刚 just now';
  if (m < 60) return `${m} 分钟前 ${m} min ago`;
  const hrs = Math.round(m / 60);
  if (hrs < 24) return `${hrs} 小时前 ${hrs} h ago`;
  return fmtTime(t);
}

/** Unix seconds of China midnight of a "2026-11-28" day. */
export function daySeconds(day) {
  return Date.parse(`${day}T00:00:00+08:00`) / 1000;
}

/** An integer as plain digits, a fraction with up to 2 decimals. */
export function fmtNum(n) {
  if (n === null || n === undefined || Number.isNaN(Number(n))) return '–';
  const x = Number(n);
  if (Number.isInteger(x)) return String(x);
  return String(Math.round(x * 100) / 100);
}

/** A 0..1 ratio as a percentage with one decimal, without the sign. */
export function fmtPct(r) {
  if (r === null || r === undefined || Number.isNaN(Number(r))) return '–';
  return (Math.round(Number(r) * 1000) / 10).toFixed(1);
}

export const CATEGORY = {
  MEAT: ['肉类', 'Meat'], POULTRY: ['禽类', 'Poultry'], AQUATIC: ['水产', 'Aquatic'],
  EGG: ['蛋类', 'Eggs'], DAIRY: ['乳品', 'Dairy'], VEGETABLE: ['蔬菜', 'Vegetables'],
  FRUIT: ['水果', 'Fruit'], GRAIN: ['粮食', 'Grain'], TEA: ['茶叶', 'Tea'],
  PROCESSED: ['加工食品', 'Processed'], OTHER: ['其他', 'Other'],
};

export const UNIT = {G: 'g', KG: 'kg', T: 't', ML: 'mL', L: 'L', PIECE: '件', BOX: '箱', HEAD: '头'};
export function fmtQty(q, unit) {
  return `${fmtNum(q)} ${UNIT[unit] ?? (unit ?? '')}`.trim();
}

export function fmtTemp(c) {
  return c === null || c === undefined ? '–' : `${fmtNum(c)} °C`;
}

// Region names, [Chinese, English] by 6-digit code (Ya'an and its districts
// and counties) or 2-digit province prefix, from regions.json, which the
// server builds beside this file from its own table.
let REGIONS = {};

/** Fetch the region names; the page shows bare codes if this fails. */
export function loadRegionNames() {
  return fetch(new URL('../regions.json', import.meta.url))
    .then((r) => (r.ok ? r.json() : {}))
    .then((m) => { REGIONS = m && typeof m === 'object' ? m : {}; })
    .catch(() => {});
}

/**
 * [Chinese, English] name of a region code (6 digits, or a 4- or 2-digit
 * prefix for a city or province), with its city if that is known; the
 * province and the code for another code in a known province; null otherwise.
 */
export function regionName(code) {
  if (!code) return null;
  if (code.length === 2) return REGIONS[code] || null; // a province
  const full = code.length === 4 ? `${code}00` : code; // a city as its 4-digit prefix
  const n = REGIONS[full];
  if (n) {
    const city = REGIONS[`${full.slice(0, 4)}00`];
    return city && city !== n ? [city[0] + n[0], `${n[1]}, ${city[1]}`] : n;
  }
  const p = REGIONS[full.slice(0, 2)];
  return p ? [`${p[0]} ${code}`, `${p[1]} ${code}`] : null;
}

/** The Chinese name of a region code, or the code. */
export function regionText(code) {
  const n = regionName(code);
  return n ? n[0] : code || '';
}

/** A region as 雅安市雨城区 <span class="en">Yucheng District, Ya'an</span>, its code in the title. */
export function regionLabel(code) {
  const n = regionName(code);
  return h('span', {class: 'place', title: code || null, dataset: {region: code || ''}}, n ? bi(n[0], n[1]) : code || '');
}
