// Chinese wording of an alert's evidence, built from its kind and the
// structured fields (observed, threshold, unit, from, to, values, regions).
// The server's summary is English; the page shows it as the secondary line.
// A part whose field is missing is left out, and a kind this file does not
// know gets no Chinese sentence.

import {fmtNum, fmtTime, regionText} from './format.js';

const UNIT_ZH = {min: '分钟', h: '小时', scans: '次', pieces: '件', boxes: '箱', head: '头'};

const num = (x) => typeof x === 'number' && Number.isFinite(x);

/** The value named name (case ignored) among the evidence's values. */
function val(ev, name) {
  const n = name.toLowerCase();
  const v = (ev.values || []).find((x) => x && String(x.name).toLowerCase() === n);
  return v && num(v.value) ? v.value : undefined;
}

function qty(x, unit) {
  if (!num(x)) return '';
  const u = UNIT_ZH[unit] ?? (unit || '');
  return `${fmtNum(x)}${u ? ` ${u}` : ''}`;
}

const temp = (c) => `${fmtNum(c)} °C`;

/** Minutes as 2 小时 5 分钟. */
function dur(min) {
  if (!num(min)) return '';
  const m = Math.round(min);
  if (m < 60) return `${m} 分钟`;
  const hrs = Math.floor(m / 60);
  const rest = m % 60;
  if (hrs < 48) return rest ? `${hrs} 小时 ${rest} 分钟` : `${hrs} 小时`;
  const days = Math.floor(hrs / 24);
  return hrs % 24 ? `${days} 天 ${hrs % 24} 小时` : `${days} 天`;
}

/** Which side of the range a temperature rule saw: its limit and wording. */
function side(ev) {
  const min = val(ev, 'minimum');
  return min !== undefined ? {limit: min, zh: '下限', dir: '低于'} : {limit: val(ev, 'maximum'), zh: '上限', dir: '高于'};
}

function measurements(ev) {
  return (ev.values || []).filter((v) => v && num(v.value) && String(v.name).toLowerCase() !== 'inspection');
}

const SENTENCE = {
  TEMPERATURE_OUT_OF_RANGE(ev) {
    if (!num(ev.observed)) return null;
    const s = side(ev);
    const out = val(ev, 'outside');
    const n = val(ev, 'readings beyond hard limit');
    let t = `${s.zh === '下限' ? '最低' : '最高'}温度 ${temp(ev.observed)}`;
    if (num(s.limit)) t += `，${s.dir}${s.zh} ${temp(s.limit)}${num(out) ? ` 达 ${temp(out)}` : ''}`;
    if (num(ev.threshold)) t += `，已越过硬性限值 ${temp(ev.threshold)}`;
    if (n > 1) t += `（${fmtNum(n)} 个读数越限）`;
    return t;
  },
  SUSTAINED_EXCURSION(ev) {
    if (!num(ev.observed)) return null;
    const s = side(ev);
    const peak = val(ev, 'peak');
    const out = val(ev, 'outside');
    const n = val(ev, 'excursions');
    let t = `温度持续${s.dir}${s.zh}${num(s.limit) ? ` ${temp(s.limit)}` : ''} 达 ${dur(ev.observed)}`;
    if (num(ev.threshold)) t += `（允许 ${dur(ev.threshold)}）`;
    if (num(peak)) t += `，峰值 ${temp(peak)}${num(out) ? `，偏离 ${temp(out)}` : ''}`;
    if (n > 1) t += `；共 ${fmtNum(n)} 次此类偏离`;
    return t;
  },
  CUMULATIVE_EXCURSION(ev) {
    if (!num(ev.observed)) return null;
    const trips = val(ev, 'trips');
    const n = val(ev, 'excursions');
    const longest = val(ev, 'longest');
    const peak = val(ev, 'peak');
    let t = `累计超出温度范围 ${dur(ev.observed)}`;
    if (num(ev.threshold)) t += `，超过允许的 ${dur(ev.threshold)}`;
    const bits = [];
    if (num(trips) && num(n)) bits.push(`${fmtNum(trips)} 趟运输中 ${fmtNum(n)} 次偏离`);
    if (num(longest)) bits.push(`最长 ${dur(longest)}`);
    if (num(peak)) bits.push(`峰值 ${temp(peak)}`);
    return bits.length ? `${t}（${bits.join('，')}）` : t;
  },
  LOGGING_GAP(ev) {
    if (!num(ev.observed)) return null;
    const median = val(ev, 'median interval');
    const n = val(ev, 'gaps');
    let t = `${ev.from ? `${fmtTime(ev.from)} 起 ` : ''}${dur(ev.observed)}无温度记录`;
    if (num(median) && median > 0) t += `，为本趟中位记录间隔 ${dur(median)}的 ${fmtNum(Math.round((ev.observed / median) * 10) / 10)} 倍`;
    if (num(ev.threshold)) t += `（允许 ${dur(ev.threshold)}）`;
    if (n > 1) t += `；共 ${fmtNum(n)} 处中断`;
    return t;
  },
  INSPECTION_FAILED(ev) {
    const id = val(ev, 'inspection');
    const ms = measurements(ev);
    let t = `检验${num(id) ? ` #${id} ` : ''}结果不合格`;
    if (ms.length) {
      t += `：${ms.slice(0, 3).map((m) => `${m.name} ${qty(m.value, m.unit)}`).join('、')}`;
      if (ms.length > 3) t += ` 等 ${ms.length} 项`;
    }
    return t;
  },
  OVER_LEGAL_LIMIT(ev) {
    if (!num(ev.observed)) return null;
    const id = val(ev, 'inspection');
    // Values: each measurement over its limit, then "<name> maximum" or "<name> minimum".
    const overs = [];
    for (const v of ev.values || []) {
      const m = /^(.*) (maximum|minimum)$/.exec(String(v && v.name));
      if (m && num(v.value)) overs.push({name: m[1], below: m[2] === 'minimum', limit: v.value});
    }
    const worst = overs.find((o) => o.limit === ev.threshold && val(ev, o.name) === ev.observed) || overs[0];
    const below = worst ? worst.below : ev.observed < ev.threshold;
    let t = `检验${num(id) ? ` #${id}` : ''}：${worst ? `${worst.name} ` : ''}${qty(ev.observed, ev.unit)}`;
    if (num(ev.threshold)) t += `，${below ? '低于下限' : '超过限量'} ${qty(ev.threshold, ev.unit)}`;
    if (overs.length > 1) t += `（共 ${overs.length} 项超限）`;
    return t;
  },
  MEASUREMENT_OUTLIER(ev) {
    const v = val(ev, 'value');
    if (!num(v) || !num(ev.observed)) return null;
    const unit = (ev.values.find((x) => String(x.name).toLowerCase() === 'value') || {}).unit;
    const median = val(ev, 'median');
    const n = val(ev, 'sample size');
    let t = `检测值 ${qty(v, unit)} 明显偏离`;
    t += num(median) ? `${num(n) ? `同类 ${fmtNum(n)} 个数值的` : ''}中位数 ${qty(median, unit)}` : '同类数值';
    t += `（修正 z 分数 ${fmtNum(ev.observed)}${num(ev.threshold) ? `，阈值 ±${fmtNum(ev.threshold)}` : ''}）`;
    return t;
  },
  TRANSIT_OUTLIER(ev) {
    const v = val(ev, 'value');
    if (!num(v) || !num(ev.observed)) return null;
    const median = val(ev, 'median');
    const n = val(ev, 'sample size');
    let t = `运输用时 ${dur(v)}，明显长于`;
    t += num(median) ? `${num(n) ? ` ${fmtNum(n)} 趟运输的` : ''}中位数 ${dur(median)}` : '同线路运输';
    t += `（修正 z 分数 ${fmtNum(ev.observed)}${num(ev.threshold) ? `，阈值 ${fmtNum(ev.threshold)}` : ''}）`;
    return t;
  },
  OVER_SHELVED: (ev) => overBalance(ev, '上架'),
  OVER_SHIPPED: (ev) => overBalance(ev, '发出'),
  EXPIRED_ON_SHELF(ev) {
    if (!num(ev.observed)) return null;
    const n = val(ev, 'shelf events');
    let t = `${qty(ev.observed, ev.unit)} ${ev.from ? `在 ${fmtTime(ev.from)} 过期后` : '过期后'}仍在架上`;
    if (n > 1) t += `（${fmtNum(n)} 次上架）`;
    return t;
  },
  SCAN_BURST(ev) {
    if (!num(ev.observed)) return null;
    const win = val(ev, 'window');
    let t = ev.from && ev.to ? `${fmtTime(ev.from)} 至 ${fmtTime(ev.to)} ` : '';
    t += `被扫码 ${fmtNum(ev.observed)} 次`;
    if (num(ev.threshold)) t += `，超过${num(win) ? ` ${dur(win * 60)}内` : ''} ${fmtNum(ev.threshold)} 次的上限`;
    const rs = ev.regions || [];
    if (rs.length) t += rs.length <= 3 ? `，来自 ${rs.map(regionText).join('、')}` : `，来自 ${rs.length} 个地区`;
    return t;
  },
  SCAN_SPREAD(ev) {
    const rs = ev.regions || [];
    if (rs.length < 2 || !num(ev.observed)) return null;
    let t = `先在 ${regionText(rs[0])} 扫码，${dur(ev.observed * 60)}后又在 ${regionText(rs[1])}（另一省份）扫码`;
    if (num(ev.threshold)) t += `，间隔短于 ${dur(ev.threshold * 60)}`;
    return t;
  },
  RECALL_NOTICE(ev) {
    const n = val(ev, 'batches affected');
    const places = val(ev, 'places holding it');
    const bits = [];
    if (num(n)) bits.push(`召回涉及 ${fmtNum(n)} 个批次`);
    if (num(places)) bits.push(`本单位有 ${fmtNum(places)} 处场所持有`);
    return bits.length ? bits.join('，') : null;
  },
};

function overBalance(ev, verb) {
  if (!num(ev.observed)) return null;
  const excess = val(ev, 'excess');
  let t = `${verb} ${qty(ev.observed, ev.unit)}`;
  if (num(ev.threshold)) t += `，但该场所生产与收货合计仅 ${qty(ev.threshold, ev.unit)}`;
  if (num(excess)) t += `，多出 ${qty(excess, ev.unit)}`;
  return t;
}

/** The Chinese sentence for an alert's evidence, or null. */
export function evidenceZh(kind, ev) {
  const f = ev && SENTENCE[kind];
  if (!f) return null;
  try {
    return f(ev) || null;
  } catch {
    return null; // evidence of an unexpected shape: the English summary stays
  }
}
