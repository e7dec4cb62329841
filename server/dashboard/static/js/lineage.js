// The lineage graph as SVG: one column per depth, upstream (ingredients) to
// the left of the root, downstream (what was made of it) to the right;
// edges run from an input to the output made of it.

import {s, clear, fmtQty} from './format.js';

const NODE_W = 172;
const NODE_H = 50;
const COL_GAP = 64;
const ROW_GAP = 14;
const PAD = 12;

// Cut text to about max units of width: a CJK character counts 2, others 1.
function shorten(text, max) {
  const t = String(text ?? '');
  let w = 0;
  let out = '';
  for (const ch of t) {
    w += /[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]/.test(ch) ? 2 : 1;
    if (w > max) return `${out.trimEnd()}…`;
    out += ch;
  }
  return out;
}

/**
 * Draw into svg (the #lineage-graph element). up and down are the two
 * Lineage results (nodes, edges); root is the root batch. onPick(batchId) is
 * called when a node other than the root is clicked or activated.
 */
export function renderLineage(svg, root, up, down, onPick) {
  clear(svg);
  const nodes = new Map(); // id -> {batch, col}
  nodes.set(root.id, {batch: root, col: 0});
  for (const n of (up && up.nodes) || []) {
    if (!nodes.has(n.batch.id)) nodes.set(n.batch.id, {batch: n.batch, col: -Math.max(1, n.depth)});
  }
  for (const n of (down && down.nodes) || []) {
    if (!nodes.has(n.batch.id)) nodes.set(n.batch.id, {batch: n.batch, col: Math.max(1, n.depth)});
  }
  const edges = new Map();
  for (const e of [...((up && up.edges) || []), ...((down && down.edges) || [])]) {
    const k = `${e.inputID}>${e.outputID}`;
    if (!edges.has(k) && nodes.has(e.inputID) && nodes.has(e.outputID)) edges.set(k, e);
  }

  // Columns, each sorted by lot code for a stable picture.
  const cols = new Map();
  for (const [id, n] of nodes) {
    if (!cols.has(n.col)) cols.set(n.col, []);
    cols.get(n.col).push(id);
  }
  const colKeys = [...cols.keys()].sort((a, b) => a - b);
  const minCol = colKeys[0];
  let rows = 0;
  for (const k of colKeys) {
    const ids = cols.get(k);
    ids.sort((a, b) => String(nodes.get(a).batch.lotCode).localeCompare(String(nodes.get(b).batch.lotCode)));
    rows = Math.max(rows, ids.length);
  }
  const totalH = rows * NODE_H + (rows - 1) * ROW_GAP;
  for (const k of colKeys) {
    const ids = cols.get(k);
    const colH = ids.length * NODE_H + (ids.length - 1) * ROW_GAP;
    const top = PAD + (totalH - colH) / 2;
    ids.forEach((id, i) => {
      const n = nodes.get(id);
      n.x = PAD + (k - minCol) * (NODE_W + COL_GAP);
      n.y = top + i * (NODE_H + ROW_GAP);
    });
  }
  const width = PAD * 2 + colKeys.length * NODE_W + (colKeys.length - 1) * COL_GAP;
  const height = PAD * 2 + totalH;
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));

  const defs = s('defs', null,
    s('marker', {id: 'arrow', viewBox: '0 0 10 10', refX: '9', refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse'},
      s('path', {d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead'})));
  svg.append(defs);

  const edgeLayer = s('g', {class: 'edges'});
  for (const e of edges.values()) {
    const a = nodes.get(e.inputID);
    const b = nodes.get(e.outputID);
    const x1 = a.x + NODE_W;
    const y1 = a.y + NODE_H / 2;
    const x2 = b.x - 2;
    const y2 = b.y + NODE_H / 2;
    const mx = (x1 + x2) / 2;
    const recalled = a.batch.status === 'RECALLED' && b.batch.status === 'RECALLED';
    edgeLayer.append(s('path', {
      class: recalled ? 'edge recalled' : 'edge',
      d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`,
      'marker-end': 'url(#arrow)',
      'data-input-id': e.inputID, 'data-output-id': e.outputID,
    }, s('title', {text: `${a.batch.lotCode} → ${b.batch.lotCode}: ${fmtQty(e.quantity, e.unit)}`})));
  }
  svg.append(edgeLayer);

  const nodeLayer = s('g', {class: 'nodes'});
  for (const [id, n] of nodes) {
    const b = n.batch;
    const isRoot = id === root.id;
    const recalled = b.status === 'RECALLED';
    const g = s('g', {
      class: ['node', isRoot && 'root', recalled && 'recalled', n.col < 0 && 'up', n.col > 0 && 'down'],
      'data-batch-id': id,
      'data-depth': String(n.col),
      'data-status': b.status || '',
      transform: `translate(${n.x},${n.y})`,
      tabindex: isRoot ? undefined : '0',
      role: isRoot ? undefined : 'button',
    },
    s('title', {text: `${b.lotCode} · ${(b.product && b.product.name) || ''}${recalled ? ' · 已召回 recalled' : ''}`}),
    s('rect', {width: String(NODE_W), height: String(NODE_H), rx: '7', ry: '7'}),
    s('text', {x: '10', y: '20', class: 'lot'}, shorten(b.lotCode, 21)),
    s('text', {x: '10', y: '38', class: 'prod'}, shorten((b.product && b.product.name) || '', recalled ? 18 : 24) + (recalled ? ' · 召回' : '')));
    if (!isRoot && onPick) {
      g.addEventListener('click', () => onPick(id));
      g.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); onPick(id); }
      });
    }
    nodeLayer.append(g);
  }
  svg.append(nodeLayer);
  const r = nodes.get(root.id);
  return {nodes: nodes.size, edges: edges.size, rootCenter: r.x + NODE_W / 2};
}
