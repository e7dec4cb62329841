// The regulator dashboard: login, the region's figures and charts, the live
// alert list, open recalls, and the lot search with trace and lineage.

import * as api from './api.js';
import * as Q from './queries.js';
import {renderCharts, updateAlertsChart, destroyCharts} from './charts.js';
import {renderLineage} from './lineage.js';
import {
  h, bi, clear, label, labelText, KIND, SEVERITY, SEVERITY_RANK, ALERT_STATUS, BATCH_STATUS,
  COLD_CHAIN, REMOVAL, RECALL_DEPTH, ROLE, CATEGORY, fmtTime, fmtDay, fmtAgo, fmtNum, fmtPct,
  fmtQty, fmtTemp, loadRegionNames, regionLabel, regionText,
} from './format.js';
import {evidenceZh} from './evidence.js';

const $ = (sel) => document.querySelector(sel);
const ALLOWED_ROLES = ['REGULATOR', 'ADMIN'];
const LIST_STATUSES = ['OPEN', 'ACKNOWLEDGED'];
const MAX_ALERTS = 200;
const DASHBOARD_EVERY_MS = 5 * 60 * 1000;
const RECALLS_EVERY_MS = 2 * 60 * 1000;

const state = {
  days: 30,
  dash: null,
  alerts: new Map(), // id -> alert, for those in #alert-list
  alertTotal: 0,
  recalls: [],
  recallsQuery: Q.RECALLS,
  stopLive: null,
  timers: [],
  dashSeq: 0,
  lotSeq: 0,
  entered: false,
  gen: 0, // counts logins and logouts: answers to an earlier one are dropped
  wasLive: false,
};

// ---------------------------------------------------------------------------
// Messages

function showError(err) {
  if (err && err.expired) return; // the session ended: the login form and its message say so
  const msg = typeof err === 'string' ? err : (err && err.message) || String(err);
  $('#error-text').textContent = msg;
  $('#error').hidden = false;
  if (err && err.code) $('#error').dataset.code = err.code;
  else delete $('#error').dataset.code;
}
function clearError() {
  $('#error').hidden = true;
  $('#error-text').textContent = '';
  delete $('#error').dataset.code;
}
let noticeTimer = 0;
function showNotice(msg) {
  $('#notice-text').textContent = msg;
  $('#notice').hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { $('#notice').hidden = true; }, 8000);
}

// ---------------------------------------------------------------------------
// Login, role and logout

function showLogin(message) {
  leave();
  $('#login').hidden = false;
  $('#denied').hidden = true;
  $('#dashboard').hidden = true;
  $('#who').hidden = true;
  if (message) showError(message);
  const pw = $('#password');
  pw.value = '';
  ($('#phone').value ? pw : $('#phone')).focus();
}

async function onLogin(ev) {
  ev.preventDefault();
  clearError();
  const btn = $('#login-submit');
  btn.disabled = true;
  try {
    const s = await api.login($('#phone').value.trim(), $('#password').value);
    $('#password').value = '';
    enter(s);
  } catch (e) {
    showError(e);
  } finally {
    btn.disabled = false;
  }
}

async function onLogout() {
  leave();
  await api.logout();
  clearError();
  showLogin();
}

function enter(session) {
  const user = session.user || {};
  $('#login').hidden = true;
  $('#who').hidden = false;
  $('#user-name').textContent = user.name || '';
  const org = user.organization;
  const where = $('#user-region');
  where.textContent = org ? `${org.name}${org.regionCode ? ` · ${regionText(org.regionCode)}` : ''}` : '';
  if (org && org.regionCode) where.title = `${org.name} · ${regionText(org.regionCode)} (${org.regionCode})`;
  else where.removeAttribute('title');
  if (!ALLOWED_ROLES.includes(user.role)) {
    $('#dashboard').hidden = true;
    $('#denied').hidden = false;
    $('#denied-role').textContent = labelText(ROLE, user.role);
    $('#live-status').hidden = true;
    return;
  }
  $('#denied').hidden = true;
  $('#live-status').hidden = false;
  $('#dashboard').hidden = false;
  state.entered = true;
  const gen = state.gen;
  loadAll().finally(() => {
    if (gen === state.gen) document.body.dataset.ready = '1';
  });
  startLive();
  state.timers.push(setInterval(() => loadDashboard({quiet: true}), DASHBOARD_EVERY_MS));
  state.timers.push(setInterval(() => loadRecalls({quiet: true}), RECALLS_EVERY_MS));
  state.timers.push(setInterval(refreshAgo, 60 * 1000));
}

/** Stop everything that runs for a logged-in regulator and empty the page. */
function leave() {
  state.entered = false;
  state.gen++;
  clearTimeout(dashTimer);
  if (state.stopLive) { state.stopLive(); state.stopLive = null; }
  for (const t of state.timers) clearInterval(t);
  state.timers = [];
  state.dashSeq++;
  state.lotSeq++;
  state.dash = null;
  state.alerts.clear();
  state.recalls = [];
  destroyCharts();
  clear($('#alert-list'));
  clear($('#recall-list'));
  closeLot();
  for (const el of document.querySelectorAll('[data-counter]')) { el.textContent = '–'; delete el.dataset.value; }
  delete document.body.dataset.ready;
  setLive('offline');
}

// ---------------------------------------------------------------------------
// Loading

function loadAll() {
  return Promise.allSettled([loadDashboard(), loadAlerts(), loadRecalls()]).then((rs) => {
    const failed = rs.find((r) => r.status === 'rejected');
    if (failed) showError(failed.reason);
  });
}

function period() {
  const to = new Date();
  const from = new Date(to.getTime() - state.days * 86400 * 1000);
  return {from: from.toISOString(), to: to.toISOString()};
}

async function loadDashboard({quiet} = {}) {
  const seq = ++state.dashSeq;
  try {
    const data = await api.gql(Q.DASHBOARD, period());
    if (seq !== state.dashSeq || !state.entered) return; // a later load or a logout came first
    state.dash = data.dashboard;
    renderDashboard();
  } catch (e) {
    if (quiet) { if (e.code !== 'NETWORK') showError(e); return; }
    throw e;
  }
}

let dashTimer = 0;
/** Reload the figures soon, once for a burst of changes. */
function reloadDashboardSoon() {
  clearTimeout(dashTimer);
  dashTimer = setTimeout(() => loadDashboard({quiet: true}), 300);
}

async function loadAlerts({quiet} = {}) {
  const gen = state.gen;
  try {
    const data = await api.gql(Q.ALERTS);
    if (gen !== state.gen) return;
    const conn = data.alerts;
    state.alertTotal = conn.totalCount ?? 0;
    state.alerts.clear();
    const list = clear($('#alert-list'));
    for (const edge of conn.edges || []) {
      const a = edge && edge.node;
      if (!a) continue;
      state.alerts.set(a.id, a);
      list.append(alertItem(a));
    }
    alertCount();
  } catch (e) {
    if (quiet) { showError(e); return; }
    throw e;
  }
}

async function loadRecalls({quiet} = {}) {
  const gen = state.gen;
  try {
    let data;
    try {
      data = await api.gql(state.recallsQuery);
    } catch (e) {
      if (e.code !== 'GRAPHQL_VALIDATION_FAILED' || state.recallsQuery === Q.RECALLS_FLAT) throw e;
      state.recallsQuery = Q.RECALLS_FLAT; // a server with the progress totals as plain numbers
      data = await api.gql(state.recallsQuery);
    }
    if (gen !== state.gen) return;
    state.recalls = ((data.recalls && data.recalls.edges) || []).map((e) => e && e.node).filter(Boolean);
    renderRecalls();
  } catch (e) {
    if (quiet) { if (e.code !== 'NETWORK') showError(e); return; }
    throw e;
  }
}

// ---------------------------------------------------------------------------
// Figures, charts and tables

function setCounter(name, value, text) {
  const el = document.querySelector(`[data-counter="${name}"]`);
  if (!el) return;
  el.textContent = text ?? fmtNum(value);
  el.dataset.value = value === null || value === undefined ? '' : String(value);
}

function renderCounters() {
  const t = state.dash.totals;
  setCounter('batches', t.batches);
  setCounter('shipments', t.shipments);
  setCounter('shelfEvents', t.shelfEvents);
  setCounter('inspections', t.inspections);
  setCounter('passRate', t.passRate, fmtPct(t.passRate));
  setCounter('openAlerts', t.openAlerts);
  setCounter('openRecalls', t.openRecalls);
  $('#inspections-failed').textContent = t.inspectionsFailed ? `不合格 ${t.inspectionsFailed} failed` : '';
  $('#alerts-total').textContent = `期内 ${fmtNum(t.alerts)} in period`;
}

function renderDashboard() {
  const d = state.dash;
  clear($('#region')).append('辖区 ', h('span', {class: 'en', text: 'Region'}), ' ', d.region ? regionLabel(d.region) : '–');
  $('#period-range').textContent = `${fmtDay(d.from)} – ${fmtDay(d.to)}`;
  $('#updated').textContent = `更新于 Updated ${fmtTime(new Date())}`;
  renderCounters();
  renderCharts(d.days || []);
  renderKinds();
  renderProducers();
  renderCarriers();
}

function barCell(value, max, text, cls) {
  const bar = h('span', {class: ['bar', cls]});
  bar.style.width = `${max > 0 ? Math.max(2, Math.round((value / max) * 100)) : 0}%`;
  return h('td', {class: 'barcell'}, h('span', {class: 'track'}, bar), h('span', {class: 'n', text}));
}

function emptyRow(tbody, cols) {
  tbody.append(h('tr', {class: 'empty'}, h('td', {colspan: String(cols)}, bi('暂无数据', 'No data'))));
}

function renderKinds() {
  const tbody = clear($('#alerts-by-kind tbody'));
  const rows = [...(state.dash.alertsByKind || [])].sort((a, b) => b.count - a.count
    || SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);
  const max = Math.max(0, ...rows.map((r) => r.count));
  if (!rows.length) emptyRow(tbody, 3);
  for (const r of rows) {
    tbody.append(h('tr', {dataset: {kind: r.kind, severity: r.severity}},
      h('td', null, label(KIND, r.kind)),
      h('td', null, h('span', {class: ['sev', `sev-${r.severity}`]}, label(SEVERITY, r.severity))),
      barCell(r.count, max, fmtNum(r.count), `sev-${r.severity}`)));
  }
}

function renderProducers() {
  const tbody = clear($('#top-producers tbody'));
  const rows = state.dash.topProducers || [];
  const max = Math.max(0, ...rows.map((r) => r.alerts));
  if (!rows.length) emptyRow(tbody, 2);
  for (const r of rows) {
    tbody.append(h('tr', {dataset: {orgId: r.organization.id}},
      h('td', {text: r.organization.name}),
      barCell(r.alerts, max, fmtNum(r.alerts), 'warn')));
  }
}

function renderCarriers() {
  const tbody = clear($('#carrier-compliance tbody'));
  const rows = state.dash.carrierCompliance || [];
  if (!rows.length) emptyRow(tbody, 4);
  for (const r of rows) {
    const c = r.compliance;
    tbody.append(h('tr', {dataset: {orgId: r.organization.id}},
      h('td', {text: r.organization.name}),
      h('td', {class: 'num', text: fmtNum(r.shipments)}),
      h('td', {class: ['num', r.breached > 0 && 'bad'], text: fmtNum(r.breached)}),
      barCell(c == null ? 0 : c * 100, 100, c == null ? '–' : `${fmtPct(c)}%`, c == null ? '' : c < 0.9 ? 'bad' : c < 0.98 ? 'warn' : 'ok')));
  }
}

// ---------------------------------------------------------------------------
// Alerts

function alertCount() {
  const shown = state.alerts.size;
  $('#alert-empty').hidden = shown > 0;
  $('#alert-count').textContent = state.alertTotal > shown
    ? `显示 ${shown} / 共 ${state.alertTotal} · ${shown} of ${state.alertTotal}`
    : `${shown} 条 · ${shown}`;
}

function refreshAgo() {
  for (const el of document.querySelectorAll('time[data-ago]')) el.textContent = fmtAgo(el.dateTime);
}

function evidenceLine(kind, ev) {
  if (!ev) return null;
  const zh = evidenceZh(kind, ev);
  if (zh) {
    return h('div', {class: 'a-evidence'},
      h('p', {class: 'zh', text: zh}),
      ev.summary ? h('p', {class: 'en', lang: 'en', text: ev.summary}) : null);
  }
  const bits = [];
  if (ev.summary) bits.push(h('span', {class: 'summary', text: ev.summary}));
  const unit = ev.unit ? ` ${ev.unit}` : '';
  // Both 0 (a recall notice): no numbers to show.
  const numbers = Boolean(ev.observed || ev.threshold);
  if (numbers && ev.observed !== null && ev.observed !== undefined) {
    bits.push(h('span', {class: 'obs'}, '观测 ', h('span', {class: 'en', text: 'observed'}), ` ${fmtNum(ev.observed)}${unit}`));
  }
  if (numbers && ev.threshold !== null && ev.threshold !== undefined) {
    bits.push(h('span', {class: 'obs'}, '阈值 ', h('span', {class: 'en', text: 'threshold'}), ` ${fmtNum(ev.threshold)}${unit}`));
  }
  return bits.length ? h('p', {class: 'a-evidence'}, bits) : null;
}

function actionButton(action, zh, en, cls) {
  return h('button', {type: 'button', class: ['btn', 'small', cls || 'ghost'], dataset: {action}}, bi(zh, en));
}

function alertItem(a) {
  const subject = [];
  if (a.organization) subject.push(h('span', {class: 'org', text: a.organization.name}));
  if (a.batch) {
    subject.push(h('span', {class: 'lotref'}, '批次 ', h('span', {class: 'mono', text: a.batch.lotCode}),
      a.batch.product ? ` ${a.batch.product.name}` : ''));
  }
  if (a.shipment) {
    subject.push(h('span', {class: 'shipref'}, '运单 ', h('span', {class: 'mono', text: a.shipment.referenceDoc || a.shipment.id})));
  }
  const actions = h('div', {class: 'a-actions'});
  if (a.status === 'OPEN') actions.append(actionButton('ACKNOWLEDGED', '确认', 'Acknowledge', 'ghost'));
  if (LIST_STATUSES.includes(a.status)) {
    actions.append(actionButton('RESOLVED', '解决', 'Resolve', 'ghost'));
    actions.append(actionButton('DISMISSED', '驳回', 'Dismiss', 'ghost'));
  }
  if (a.batch) {
    actions.append(actionButton('trace', '追溯', 'Trace', 'ghost'));
    if (a.kind !== 'RECALL_NOTICE') actions.append(actionButton('recall', '召回', 'Recall', 'danger'));
  }
  const detected = a.detectedAt;
  const again = a.lastDetectedAt && a.lastDetectedAt !== a.detectedAt;
  return h('li', {
    class: ['alert-item', `lvl-${a.severity}`],
    dataset: {alertId: a.id, kind: a.kind, status: a.status, severity: a.severity, subjectType: a.subjectType || ''},
  },
  h('div', {class: 'a-top'},
    h('span', {class: ['sev', `sev-${a.severity}`]}, label(SEVERITY, a.severity)),
    h('strong', {class: 'kind'}, label(KIND, a.kind)),
    h('span', {class: ['status', `st-${a.status}`]}, label(ALERT_STATUS, a.status)),
    h('time', {class: 'a-time', datetime: detected, title: `发现 Detected ${fmtTime(detected)}${again ? ` · 最近 Last ${fmtTime(a.lastDetectedAt)}` : ''}`, dataset: {ago: '1'}}, fmtAgo(detected))),
  subject.length ? h('p', {class: 'a-subject'}, subject.flatMap((x, i) => (i ? [' · ', x] : [x]))) : null,
  evidenceLine(a.kind, a.evidence),
  actions);
}

/** Put an alert into the list: replace the one with its id, or add it at the top. */
function upsertAlert(a, {live} = {}) {
  const list = $('#alert-list');
  const old = list.querySelector(`li[data-alert-id="${CSS.escape(a.id)}"]`);
  const listed = LIST_STATUSES.includes(a.status);
  if (old) {
    const prev = state.alerts.get(a.id);
    if (!listed) {
      state.alerts.delete(a.id);
      old.remove();
    } else {
      state.alerts.set(a.id, a);
      const li = alertItem(a);
      if (live) {
        flash(li, 'updated');
        // Keep a form the user is filling in.
        const form = old.querySelector('form.inline');
        if (form) li.append(form);
      }
      old.replaceWith(li);
    }
    if (live && prev) adjustOpen(openDelta(prev.status, a.status));
  } else if (listed) {
    state.alerts.set(a.id, a);
    state.alertTotal++;
    const li = alertItem(a);
    if (live) flash(li, 'new');
    list.prepend(li);
    while (list.children.length > MAX_ALERTS) {
      const last = list.lastElementChild;
      state.alerts.delete(last.dataset.alertId);
      last.remove();
    }
    if (live) countNewAlert(a);
  }
  alertCount();
}

function flash(li, cls) {
  li.classList.add(cls);
  setTimeout(() => li.classList.remove(cls), 6000);
}

// openAlerts counts the alerts OPEN or ACKNOWLEDGED now.
function openDelta(from, to) {
  const open = (st) => LIST_STATUSES.includes(st);
  if (open(from) && !open(to)) return -1;
  if (!open(from) && open(to)) return +1;
  return 0;
}

function adjustOpen(delta) {
  if (!state.dash || !delta) return;
  const t = state.dash.totals;
  t.openAlerts = Math.max(0, (t.openAlerts || 0) + delta);
  renderCounters();
}

/** A new alert from the subscription: count it in the figures at once. */
function countNewAlert(a) {
  const d = state.dash;
  if (!d) return;
  d.totals.alerts = (d.totals.alerts || 0) + 1;
  if (LIST_STATUSES.includes(a.status)) d.totals.openAlerts = (d.totals.openAlerts || 0) + 1;
  const day = fmtDay(a.detectedAt || new Date());
  const entry = (d.days || []).find((x) => x.day === day);
  if (entry) {
    entry.alerts = (entry.alerts || 0) + 1;
    updateAlertsChart(d.days);
  }
  const k = (d.alertsByKind || []).find((x) => x.kind === a.kind && x.severity === a.severity);
  if (k) k.count++;
  else (d.alertsByKind = d.alertsByKind || []).push({kind: a.kind, severity: a.severity, count: 1});
  renderCounters();
  renderKinds();
}

function setLive(stateName) {
  const el = $('#live-status');
  el.dataset.state = stateName;
  el.textContent = stateName === 'live' ? 'live' : 'offline';
}

function startLive() {
  state.wasLive = false;
  state.stopLive = api.subscribe(Q.ALERT_RAISED, {
    next: (data) => { if (data.alertRaised) upsertAlert(data.alertRaised, {live: true}); },
    error: (e) => showError(e),
    onState: (s) => {
      if (!state.entered) return;
      setLive(s);
      if (s === 'live') {
        // Alerts raised while the connection was down came to no one: reload.
        if (state.wasLive) { loadAlerts({quiet: true}); reloadDashboardSoon(); }
        state.wasLive = true;
      }
    },
  });
}

function closeForms(li) {
  for (const f of li.querySelectorAll('form.inline')) f.remove();
  for (const b of li.querySelectorAll('.a-actions button')) b.removeAttribute('aria-expanded');
}

const STATUS_VERB = {
  ACKNOWLEDGED: ['确认告警', 'Acknowledge'],
  RESOLVED: ['标记为已解决', 'Resolve'],
  DISMISSED: ['驳回告警', 'Dismiss'],
};

function statusForm(li, a, status) {
  const note = h('textarea', {name: 'note', rows: '2', maxlength: '1000', placeholder: '处理说明（可选）· Note (optional)'});
  const form = h('form', {class: ['inline', 'status-form'], dataset: {status}},
    h('label', null, bi('备注', 'Note'), note),
    h('div', {class: 'row'},
      h('button', {type: 'submit', class: ['btn', 'small', status === 'DISMISSED' ? 'danger' : 'primary']}, bi(...STATUS_VERB[status])),
      h('button', {type: 'button', class: 'btn small ghost', dataset: {action: 'cancel'}}, bi('取消', 'Cancel'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const btns = form.querySelectorAll('button');
    btns.forEach((b) => { b.disabled = true; });
    try {
      const data = await api.gql(Q.setAlertStatus(a.id, status, note.value.trim()));
      const r = data.setAlertStatus;
      const prev = state.alerts.get(a.id) || a;
      const updated = Object.assign({}, prev, {status: r.status});
      clearError();
      adjustOpen(openDelta(prev.status, r.status));
      if (LIST_STATUSES.includes(r.status)) {
        upsertAlert(updated);
      } else {
        // Show the outcome for a moment, then take it off the list.
        const cur = $('#alert-list').querySelector(`li[data-alert-id="${CSS.escape(a.id)}"]`);
        state.alerts.delete(a.id);
        if (cur) {
          cur.dataset.status = r.status;
          closeForms(cur);
          cur.classList.add('leaving');
          const st = cur.querySelector('.status');
          if (st) { clear(st).append(label(ALERT_STATUS, r.status)); st.className = `status st-${r.status}`; }
          cur.querySelectorAll('.a-actions button').forEach((b) => { b.disabled = true; });
          setTimeout(() => { cur.remove(); alertCount(); }, 900);
        }
        state.alertTotal = Math.max(0, state.alertTotal - 1);
        alertCount();
      }
      reloadDashboardSoon();
    } catch (e) {
      showError(e);
      btns.forEach((b) => { b.disabled = false; });
    }
  });
  return [form, note];
}

const RECALL_CLASS_TEXT = {
  I: '一级 Class I：严重危害健康',
  II: '二级 Class II：可能危害健康',
  III: '三级 Class III：一般不危害健康',
};

function recallForm(li, a) {
  const kindText = KIND[a.kind] ? KIND[a.kind][0] : a.kind;
  const summary = a.evidence && a.evidence.summary ? `：${a.evidence.summary}` : '';
  const reason = h('textarea', {name: 'reason', rows: '2', maxlength: '1000', required: true});
  reason.value = `${kindText}${summary}`.slice(0, 500);
  const defaultClass = a.severity === 'CRITICAL' ? 'I' : a.severity === 'HIGH' ? 'II' : 'III';
  const cls = h('select', {name: 'class'}, Q.RECALL_CLASSES.map((c) => h('option', {value: c, text: RECALL_CLASS_TEXT[c], selected: c === defaultClass})));
  const depth = h('select', {name: 'depth'}, Q.RECALL_DEPTHS.map((d) => h('option', {value: d, text: labelText(RECALL_DEPTH, d), selected: d === 'RETAIL'})));
  const form = h('form', {class: ['inline', 'recall-form']},
    h('p', {class: 'form-title'}, bi('召回批次', 'Recall lot'), ' ', h('span', {class: 'mono', text: a.batch.lotCode})),
    h('label', null, bi('原因', 'Reason'), reason),
    h('div', {class: 'two'},
      h('label', null, bi('级别', 'Class'), cls),
      h('label', null, bi('深度', 'Depth'), depth)),
    h('div', {class: 'row'},
      h('button', {type: 'submit', class: 'btn small danger'}, bi('发起召回', 'Start recall')),
      h('button', {type: 'button', class: 'btn small ghost', dataset: {action: 'cancel'}}, bi('取消', 'Cancel'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!reason.value.trim()) { reason.focus(); return; }
    const btns = form.querySelectorAll('button');
    btns.forEach((b) => { b.disabled = true; });
    try {
      const data = await api.gql(Q.initiateRecall([a.batch.id], reason.value.trim(), cls.value, depth.value));
      clearError();
      form.remove();
      showNotice(`已发起召回 · Recall started: ${a.batch.lotCode} (${data.initiateRecall.id})`);
      loadRecalls({quiet: true});
      reloadDashboardSoon();
    } catch (e) {
      showError(e);
      btns.forEach((b) => { b.disabled = false; });
    }
  });
  return [form, reason];
}

function onAlertClick(ev) {
  const btn = ev.target.closest('button[data-action]');
  if (!btn) return;
  const li = btn.closest('li[data-alert-id]');
  if (!li) return;
  const a = state.alerts.get(li.dataset.alertId);
  const action = btn.dataset.action;
  if (action === 'cancel') { closeForms(li); return; }
  if (!a) return;
  if (action === 'trace') { openBatch(a.batch.id); return; }
  const open = li.querySelector('form.inline');
  const same = open && (action === 'recall' ? open.classList.contains('recall-form') : open.dataset.status === action);
  closeForms(li);
  if (same) return; // a second click closes the form
  const [form, focus] = action === 'recall' ? recallForm(li, a) : statusForm(li, a, action);
  btn.setAttribute('aria-expanded', 'true');
  li.append(form);
  focus.focus();
}

// ---------------------------------------------------------------------------
// Recalls

function renderRecalls() {
  const list = clear($('#recall-list'));
  $('#recall-empty').hidden = state.recalls.length > 0;
  $('#recall-count').textContent = state.recalls.length ? `${state.recalls.length} 项 · ${state.recalls.length}` : '';
  for (const r of state.recalls) list.append(recallItem(r));
}

function recallItem(r) {
  const p = r.progress || {};
  const eff = p.effectiveness;
  const bar = h('span', {class: ['bar', eff >= 0.95 ? 'ok' : eff >= 0.5 ? 'warn' : 'bad']});
  bar.style.width = `${eff == null ? 0 : Math.min(100, Math.max(0, eff * 100))}%`;
  const places = [...(p.places || [])].sort((x, y) => y.outstanding - x.outstanding);
  const lots = (r.batches || []).map((b) => h('span', {class: 'lot'},
    h('button', {type: 'button', class: 'linklike mono', dataset: {action: 'trace', batchId: b.id}, text: b.lotCode}),
    b.product ? ` ${b.product.name}` : ''));
  return h('li', {class: 'recall-item', dataset: {recallId: r.id, status: r.status}},
    h('div', {class: 'r-top'},
      h('span', {class: ['rclass', `rclass-${r.class}`], text: `${r.class === 'I' ? '一' : r.class === 'II' ? '二' : '三'}级 · ${r.class}`}),
      h('strong', {class: 'r-reason', text: r.reason}),
      h('time', {class: 'a-time', datetime: r.initiatedAt, title: fmtTime(r.initiatedAt)}, fmtTime(r.initiatedAt))),
    h('p', {class: 'r-lots'}, bi('批次', 'Lots'), ': ', lots.flatMap((x, i) => (i ? [', ', x] : [x])),
      ' · ', bi('深度', 'Depth'), ': ', label(RECALL_DEPTH, r.depth)),
    h('div', {class: 'progress', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100',
      'aria-valuenow': eff == null ? '0' : String(Math.round(eff * 100)), 'aria-label': '召回有效率 Effectiveness'},
    h('span', {class: 'track'}, bar)),
    h('p', {class: 'r-figures small'},
      h('span', {class: 'eff'}, bi('有效率', 'Effectiveness'), ` ${eff == null ? '–' : `${fmtPct(eff)}%`}`),
      h('span', {class: 'stores'}, bi('门店', 'Stores'), ` ${p.cleared == null ? fmtNum(p.stores) : `${fmtNum(p.cleared)} / ${fmtNum(p.stores)}`}`,
        p.cleared == null ? '' : h('span', {class: 'en', text: ' cleared'})),
      h('span', null, bi('初始在架', 'On shelf at start'), ` ${fmtAmounts(p.onShelfAtStart)}`),
      h('span', null, bi('已下架', 'Removed'), ` ${fmtAmounts(p.removed)}`),
      h('span', {class: amountPositive(p.outstanding) ? 'bad' : ''}, bi('待下架', 'Outstanding'), ` ${fmtAmounts(p.outstanding)}`)),
    places.length ? h('details', {class: 'places'},
      h('summary', null, bi('门店明细', 'Places'), ` (${places.length})`),
      h('div', {class: 'table-wrap'}, stacked(h('table', {class: 'stack'},
        h('thead', null, h('tr', null,
          h('th', null, bi('门店', 'Store')), h('th', null, bi('批次', 'Lot')),
          h('th', {class: 'num'}, bi('初始', 'At start')), h('th', {class: 'num'}, bi('已下架', 'Removed')),
          h('th', {class: 'num'}, bi('待下架', 'Outstanding')))),
        h('tbody', null, places.map((pl) => h('tr', {class: pl.outstanding > 0 ? 'out' : '', dataset: {facilityId: pl.facility.id}},
          h('td', null, pl.facility.name, ' ', h('span', {class: 'muted small', title: pl.facility.regionCode || null, text: regionText(pl.facility.regionCode)})),
          h('td', {class: 'mono', text: pl.batch.lotCode}),
          h('td', {class: 'num', text: fmtQty(pl.onShelfAtStart, pl.unit)}),
          h('td', {class: 'num', text: fmtQty(pl.removed, pl.unit)}),
          h('td', {class: ['num', pl.outstanding > 0 && 'bad'], text: fmtQty(pl.outstanding, pl.unit)})))))))) : null,
    h('div', {class: 'a-actions'}, actionButton('close', '结束召回', 'Close recall', 'ghost')));
}

/** A progress total: a number, or a list of amounts per unit. */
function fmtAmounts(v) {
  if (Array.isArray(v)) return v.length ? v.map((a) => fmtQty(a.quantity, a.unit)).join(' + ') : '0';
  return fmtNum(v);
}
function amountPositive(v) {
  return Array.isArray(v) ? v.some((a) => a.quantity > 0) : v > 0;
}

function closeRecallForm(li, id) {
  const note = h('textarea', {name: 'note', rows: '2', maxlength: '1000', placeholder: '结束说明（可选）· Note (optional)'});
  const form = h('form', {class: ['inline', 'close-form']},
    h('label', null, bi('备注', 'Note'), note),
    h('div', {class: 'row'},
      h('button', {type: 'submit', class: 'btn small primary'}, bi('确认结束', 'Close recall')),
      h('button', {type: 'button', class: 'btn small ghost', dataset: {action: 'cancel'}}, bi('取消', 'Cancel'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const btns = form.querySelectorAll('button');
    btns.forEach((b) => { b.disabled = true; });
    try {
      await api.gql(Q.closeRecall(id, note.value.trim()));
      clearError();
      showNotice('召回已结束 · Recall closed');
      loadRecalls({quiet: true});
      reloadDashboardSoon();
    } catch (e) {
      showError(e);
      btns.forEach((b) => { b.disabled = false; });
    }
  });
  li.append(form);
  note.focus();
}

function onRecallClick(ev) {
  const btn = ev.target.closest('button[data-action]');
  if (!btn) return;
  const li = btn.closest('li[data-recall-id]');
  if (!li) return;
  const action = btn.dataset.action;
  if (action === 'trace') { openBatch(btn.dataset.batchId); return; }
  if (action === 'cancel') { closeForms(li); return; }
  if (action === 'close') {
    const open = li.querySelector('form.close-form');
    closeForms(li);
    if (!open) closeRecallForm(li, li.dataset.recallId);
  }
}

// ---------------------------------------------------------------------------
// Lot search, trace and lineage

function closeLot() {
  state.lotSeq++;
  $('#lot-view').hidden = true;
  clear($('#lot-choices'));
  clear($('#trace-view'));
  clear($('#lineage-graph'));
  $('#lineage-wrap').hidden = true;
  $('#lineage-title').hidden = true;
  $('#lineage-legend').hidden = true;
}

function lotLoading(text) {
  closeLot();
  $('#lot-view').hidden = false;
  $('#trace-view').append(h('p', {class: 'muted loading'}, text || bi('加载中…', 'Loading…')));
  // An instant scroll, and only when the card's top is out of sight.
  const top = $('#lot-view').getBoundingClientRect().top;
  if (top < 0 || top > window.innerHeight - 80) $('#lot-view').scrollIntoView({block: 'start'});
  return state.lotSeq;
}

const NOT_FOUND_CODES = ['NOT_FOUND', 'BAD_USER_INPUT'];

async function onSearch(ev) {
  ev.preventDefault();
  const code = $('#search').value.trim();
  if (!code) return;
  clearError();
  const seq = lotLoading();
  let shown = false; // the trace is on the page: keep it if the lineage fails
  try {
    let trace = null;
    try {
      trace = (await api.gql(Q.TRACE, {code})).trace;
    } catch (e) {
      if (!NOT_FOUND_CODES.includes(e.code)) throw e;
    }
    if (seq !== state.lotSeq) return;
    if (trace) {
      renderTrace(trace);
      shown = true;
      await loadLineage(trace.batch.id, seq, false);
      return;
    }
    const data = await api.gql(Q.BATCHES_BY_LOT, {lot: code});
    if (seq !== state.lotSeq) return;
    const found = ((data.batches && data.batches.edges) || []).map((e) => e && e.node).filter(Boolean);
    if (found.length === 1) { openBatch(found[0].id); return; }
    clear($('#trace-view'));
    if (!found.length) {
      $('#trace-view').append(h('p', {class: 'notfound'}, bi(`未找到“${code}”对应的批次或追溯码。`, `No lot or trace code matches “${code}”.`)));
      return;
    }
    $('#lot-choices').append(
      h('p', null, bi('有多个批次使用此批次号，请选择：', 'Several lots have this code; pick one:')),
      h('ul', {class: 'choices'}, found.map((b) => h('li', null,
        h('button', {type: 'button', class: 'btn ghost', dataset: {batchId: b.id}},
          h('span', {class: 'mono', text: b.lotCode}), ` ${b.product ? b.product.name : ''}`)))));
  } catch (e) {
    if (seq === state.lotSeq && !shown) clear($('#trace-view'));
    showError(e);
  }
}

async function openBatch(id) {
  if (!id) return;
  clearError();
  const seq = lotLoading();
  try {
    await loadLineage(id, seq, true);
  } catch (e) {
    if (seq === state.lotSeq) clear($('#trace-view'));
    showError(e);
  }
}

async function loadLineage(id, seq, withSummary) {
  const data = await api.gql(Q.LINEAGE, {id});
  if (seq !== state.lotSeq) return;
  const {down, up} = data;
  const lots = new Map([[down.root.id, down.root]]);
  for (const n of [...(down.nodes || []), ...(up.nodes || [])]) lots.set(n.batch.id, n.batch);
  if (withSummary) renderLineageSummary(down, lots);
  const svg = $('#lineage-graph');
  const drawn = renderLineage(svg, down.root, up, down, (pick) => openBatch(pick));
  const wrap = $('#lineage-wrap');
  wrap.hidden = false;
  // A graph wider than the screen scrolls: start with the root in the middle.
  wrap.scrollLeft = Math.max(0, drawn.rootCenter - wrap.clientWidth / 2);
  $('#lineage-title').hidden = false;
  $('#lineage-legend').hidden = false;
  if (up.truncated || down.truncated) {
    $('#lineage-legend').append(h('span', {class: 'truncated'}, ' · ', bi('谱系超过 10 层，仅显示前 10 层', 'Lineage deeper than 10 levels is cut off')));
  }
}

function batchHeader(b, recalled, extra) {
  const status = b.status;
  return [
    h('div', {class: 'lot-head'},
      h('p', {class: 'cat'}, b.product ? label(CATEGORY, b.product.category) : ''),
      h('h3', {class: 'lot-title'}, b.product ? b.product.name : '', ' ', h('span', {class: 'mono', text: b.lotCode})),
      status ? h('span', {class: ['tag', status === 'RECALLED' || recalled ? 'bad' : status === 'ACTIVE' ? 'ok' : 'warn'], dataset: {status}}, label(BATCH_STATUS, status)) : null,
      recalled && status !== 'RECALLED' ? h('span', {class: 'tag bad'}, bi('已召回', 'Recalled')) : null),
    h('dl', {class: 'facts'},
      h('dt', null, bi('生产者', 'Producer')), h('dd', {text: b.producer ? b.producer.name : '–'}),
      h('dt', null, bi('生产场所', 'Facility')), h('dd', null, b.facility ? [b.facility.name || '–', b.facility.regionCode ? [' · ', regionLabel(b.facility.regionCode)] : null] : '–'),
      h('dt', null, bi('生产时间', 'Produced')), h('dd', {text: fmtTime(b.producedAt) || '–'}),
      h('dt', null, bi('保质期至', 'Expires')), h('dd', {text: fmtTime(b.expiresAt) || '–'}),
      extra || null),
  ];
}

/**
 * Label each body cell with its column's heading (data-label), which a
 * narrow screen shows beside the cell when the rows are stacked as cards.
 */
function stacked(table) {
  const heads = [...table.querySelectorAll('thead th')].map((th) => th.textContent.replace(/\s+/g, ' ').trim());
  for (const tr of table.querySelectorAll('tbody tr')) {
    [...tr.children].forEach((td, i) => {
      if (heads[i] && !td.hasAttribute('colspan')) td.dataset.label = heads[i];
    });
  }
  return table;
}

function journeyTable(legs, lots) {
  if (!legs.length) return h('p', {class: 'muted'}, bi('无运输记录', 'No shipments'));
  const showLot = lots && new Set(legs.map((l) => l.batchID)).size > 1;
  return h('div', {class: 'table-wrap'}, stacked(h('table', {class: ['journey', 'stack']},
    h('thead', null, h('tr', null,
      showLot ? h('th', null, bi('批次', 'Lot')) : null,
      h('th', null, bi('起运', 'From')), h('th', null, bi('到达', 'To')), h('th', null, bi('承运', 'Carrier')),
      h('th', null, bi('发运', 'Departed')), h('th', null, bi('到达', 'Arrived')), h('th', null, bi('冷链', 'Cold chain')))),
    h('tbody', null, legs.map((l) => {
      const cc = l.coldChain || {};
      const bad = cc.verdict === 'EXCURSION' || cc.verdict === 'NO_DATA';
      return h('tr', {class: bad ? 'out' : '', dataset: {shipmentId: l.shipmentID}},
        showLot ? h('td', {class: 'mono', text: (lots.get(l.batchID) || {}).lotCode || ''}) : null,
        h('td', {text: l.from ? l.from.name : ''}), h('td', {text: l.to ? l.to.name : ''}),
        h('td', {text: l.carrier ? l.carrier.name : ''}),
        h('td', {class: 'time', text: fmtTime(l.departedAt) || '–'}), h('td', {class: 'time', text: fmtTime(l.arrivedAt) || '–'}),
        h('td', null, h('span', {class: ['tag', cc.verdict === 'OK' ? 'ok' : bad ? 'bad' : '']}, label(COLD_CHAIN, cc.verdict)),
          cc.minC != null || cc.maxC != null ? h('span', {class: 'small', text: ` ${fmtTemp(cc.minC)} ~ ${fmtTemp(cc.maxC)}`}) : null));
    })))));
}

function shelfTable(rows, lots) {
  if (!rows.length) return h('p', {class: 'muted'}, bi('无上架记录', 'Not on any shelf'));
  const showLot = lots && new Set(rows.map((r) => r.batchID)).size > 1;
  return h('div', {class: 'table-wrap'}, stacked(h('table', {class: ['shelf', 'stack']},
    h('thead', null, h('tr', null,
      showLot ? h('th', null, bi('批次', 'Lot')) : null,
      h('th', null, bi('门店', 'Store')), h('th', {class: 'num'}, bi('数量', 'Quantity')),
      h('th', null, bi('上架', 'Shelved')), h('th', null, bi('下架', 'Removed')), h('th', null, bi('原因', 'Reason')))),
    h('tbody', null, rows.map((r) => h('tr', {class: r.removedAt ? '' : 'onshelf'},
      showLot ? h('td', {class: 'mono', text: (lots.get(r.batchID) || {}).lotCode || ''}) : null,
      h('td', {text: r.store ? r.store.name : ''}),
      h('td', {class: 'num', text: fmtQty(r.quantity, r.unit)}),
      h('td', {class: 'time', text: fmtTime(r.shelvedAt) || '–'}),
      h('td', {class: 'time'}, r.removedAt ? fmtTime(r.removedAt) : h('span', {class: 'tag warn'}, bi('在架', 'On shelf'))),
      h('td', null, r.removalReason ? label(REMOVAL, r.removalReason) : '')))))));
}

function inspectionsBlock(list) {
  if (!list.length) return h('p', {class: 'muted'}, bi('无检验记录', 'No inspections'));
  return h('div', {class: 'inspections'}, list.map((i) => h('div', {class: 'insp'},
    h('p', null, h('span', {class: ['tag', i.result === 'PASS' ? 'ok' : 'bad']}, i.result === 'PASS' ? bi('合格', 'Pass') : bi('不合格', 'Fail')),
      ' ', fmtTime(i.inspectedAt)),
    i.measurements && i.measurements.length ? h('div', {class: 'table-wrap'}, stacked(h('table', {class: 'stack'},
      h('thead', null, h('tr', null, h('th', null, bi('项目', 'Item')), h('th', {class: 'num'}, bi('结果', 'Result')), h('th', {class: 'num'}, bi('限量', 'Limit')))),
      h('tbody', null, i.measurements.map((m) => h('tr', {class: m.withinLimits ? '' : 'out'},
        h('td', {text: m.name}),
        h('td', {class: 'num', text: `${fmtNum(m.value)} ${m.unit || ''}`}),
        h('td', {class: 'num', text: `${m.limitMax == null ? '–' : `≤ ${fmtNum(m.limitMax)} ${m.unit || ''}`} ${m.withinLimits ? '✓' : '✗'}`}))))))) : null)));
}

function section(zh, en, body, wide) {
  return h('section', {class: ['sub', wide && 'wide']}, h('h4', null, bi(zh, en)), body);
}

function renderTrace(t) {
  const view = clear($('#trace-view'));
  view.dataset.source = 'trace';
  view.dataset.batchId = t.batch.id;
  if (t.warnings && t.warnings.length) {
    view.append(h('ul', {class: ['warnings', t.recalled && 'recalled']}, t.warnings.map((w) => h('li', {dataset: {code: w.code}, text: w.message}))));
  }
  view.append(...batchHeader(t.batch, t.recalled, [
    h('dt', null, bi('追溯码', 'Code')), h('dd', {class: 'mono', text: t.code}),
  ]));
  view.append(h('div', {class: 'trace-grid'},
    section('运输', 'Journey', journeyTable(t.journey || []), true),
    section('上架', 'Shelves', shelfTable(t.shelf || [])),
    section('检验', 'Inspections', inspectionsBlock(t.inspections || []))));
}

function renderLineageSummary(down, lots) {
  const view = clear($('#trace-view'));
  view.dataset.source = 'lineage';
  view.dataset.batchId = down.root.id;
  view.append(...batchHeader(down.root, down.root.status === 'RECALLED'));
  view.append(h('div', {class: 'trace-grid'},
    section('运输（含下游批次）', 'Shipments, this lot and downstream', journeyTable(down.shipments || [], lots), true),
    section('上架（含下游批次）', 'Shelves, this lot and downstream', shelfTable(down.shelfEvents || [], lots))));
}

// ---------------------------------------------------------------------------
// Wiring

function onPeriod(ev) {
  const btn = ev.target.closest('button[data-days]');
  if (!btn) return;
  const days = Number(btn.dataset.days);
  if (days === state.days) return;
  state.days = days;
  for (const b of document.querySelectorAll('#period button')) b.setAttribute('aria-pressed', String(b === btn));
  loadDashboard().catch(showError);
}

async function init() {
  await loadRegionNames();
  $('#login-form').addEventListener('submit', onLogin);
  $('#logout').addEventListener('click', onLogout);
  $('#denied-logout').addEventListener('click', onLogout);
  $('#error-close').addEventListener('click', clearError);
  $('#notice-close').addEventListener('click', () => { $('#notice').hidden = true; });
  $('#period').addEventListener('click', onPeriod);
  $('#search-form').addEventListener('submit', onSearch);
  $('#lot-close').addEventListener('click', closeLot);
  $('#lot-choices').addEventListener('click', (ev) => {
    const b = ev.target.closest('button[data-batch-id]');
    if (b) openBatch(b.dataset.batchId);
  });
  $('#alert-list').addEventListener('click', onAlertClick);
  $('#recall-list').addEventListener('click', onRecallClick);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && state.entered) {
      loadDashboard({quiet: true});
      loadRecalls({quiet: true});
    }
  });
  api.on('expired', (message) => showLogin(message));

  if (api.sessionUsable()) {
    api.resume().then((s) => (s ? enter(s) : showLogin())).catch((e) => {
      if (!e.expired) { showLogin(); showError(e); }
    });
  } else {
    api.resume();
    showLogin();
  }
}

init();
