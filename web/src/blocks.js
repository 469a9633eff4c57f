// The block viewer (/blocks for the compactor and `tools bucket web`, /loaded for the store
// gateway): the blocks of /api/v1/blocks on a time line, one group per external-label set,
// one row per resolution (more rows where blocks overlap), coloured by compaction level.
// Clicking a block shows its meta.json fields and lets an operator mark it for deletion or no
// compaction, unless the component runs with --disable-admin-operations.
import { apiGet } from './api.js';
import { h, clear, alertBox } from './dom.js';
import { formatDuration, formatMetric } from './format.js';

const RESOLUTION_NAMES = { 0: 'raw', 300000: '5m', 3600000: '1h' };
const LEVEL_COLORS = ['#9ecae1', '#6baed6', '#4292c6', '#2171b5', '#08519c', '#08306b'];
const levelColor = (level) => LEVEL_COLORS[Math.min(LEVEL_COLORS.length, Math.max(1, level)) - 1];

const resolutionOf = (b) => (b.thanos && b.thanos.downsample && b.thanos.downsample.resolution) || 0;
const labelsOf = (b) => (b.thanos && b.thanos.labels) || {};
const sizeOf = (b) => ((b.thanos && b.thanos.files) || []).reduce((n, f) => n + (f.size_bytes || 0), 0);

function formatBytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i === 0 ? n : n.toFixed(2)} ${units[i]}`;
}

// Blocks of one group -> rows: per resolution (raw first), greedy so blocks in a row never overlap.
export function layoutRows(blocks) {
  const rows = [];
  const sorted = [...blocks].sort((a, b) => resolutionOf(a) - resolutionOf(b) || a.minTime - b.minTime);
  for (const b of sorted) {
    const res = resolutionOf(b);
    let row = rows.find((r) => r.resolution === res && r.end <= b.minTime);
    if (!row) { row = { resolution: res, end: -Infinity, blocks: [] }; rows.push(row); }
    row.blocks.push(b);
    row.end = b.maxTime;
  }
  return rows;
}

export async function blocksPage(root, { loaded }) {
  const title = loaded ? 'Loaded Blocks' : 'Blocks';
  clear(root, h('h2', {}, title), h('div', { class: 'loading' }, 'Loading…'));
  let data;
  try {
    ({ data } = await apiGet('/api/v1/blocks', loaded ? { view: 'loaded' } : {}));
  } catch (e) {
    clear(root, h('h2', {}, title), alertBox('danger', `Error fetching blocks: ${e.message}`));
    return;
  }
  const blocks = data.blocks || [];
  const details = h('div', { class: 'block-details' });
  const timeline = h('div', { class: 'timeline' });
  const filter = h('input', {
    class: 'filter', type: 'search', placeholder: 'Filter by ULID or label',
    oninput: () => draw(),
  });
  const refreshed = data.refreshedAt ? `Refreshed at ${data.refreshedAt}` : '';
  clear(root, h('h2', {}, title),
    data.err && alertBox('danger', `The last refresh failed: ${typeof data.err === 'string' ? data.err : JSON.stringify(data.err)}`),
    h('div', { class: 'blocks-header' }, filter, h('span', { class: 'refreshed' }, ` ${blocks.length} blocks. ${refreshed}`)),
    timeline, details);

  function draw() {
    const f = filter.value.trim().toLowerCase();
    const shown = blocks.filter((b) => f === '' || b.ulid.toLowerCase().includes(f) ||
      formatMetric(labelsOf(b)).toLowerCase().includes(f));
    if (shown.length === 0) {
      clear(timeline, h('div', { class: 'empty' }, blocks.length === 0 ? 'No blocks.' : 'No block matches the filter.'));
      return;
    }
    const gmin = Math.min(...shown.map((b) => b.minTime));
    const gmax = Math.max(...shown.map((b) => b.maxTime));
    const span = Math.max(1, gmax - gmin);
    const groups = new Map();
    for (const b of shown) {
      const key = JSON.stringify(Object.entries(labelsOf(b)).sort());
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(b);
    }
    clear(timeline,
      h('div', { class: 'timeline-axis' }, h('span', {}, new Date(gmin).toISOString()), h('span', {}, new Date(gmax).toISOString())),
      [...groups.values()].map((group) => {
        const labels = labelsOf(group[0]);
        const name = data.label && labels[data.label] !== undefined ? `${data.label}=${labels[data.label]}` : formatMetric(labels);
        return h('section', { class: 'block-group' },
          h('h3', {}, name === '{}' ? 'no external labels' : name),
          layoutRows(group).map((row) => h('div', { class: 'block-row' },
            h('span', { class: 'row-label' }, RESOLUTION_NAMES[row.resolution] || `${row.resolution}ms`),
            h('div', { class: 'row-track' }, row.blocks.map((b) => h('div', {
              class: 'block', 'data-ulid': b.ulid,
              title: `${b.ulid} level ${b.compaction.level}`,
              style: {
                left: `${((b.minTime - gmin) / span) * 100}%`,
                width: `max(3px, calc(${((b.maxTime - b.minTime) / span) * 100}% - 1px))`,
                background: levelColor(b.compaction.level),
                // Short blocks drawn wider than their time share stay on top, so they can be clicked.
                zIndex: String(1000 - Math.round(((b.maxTime - b.minTime) / span) * 999)),
              },
              onclick: () => showBlock(b),
            }))))));
      }));
  }

  function showBlock(b) {
    const result = h('div', { class: 'mark-result' });
    const mark = (action) => async () => {
      const detail = window.prompt(`Why mark ${b.ulid} (${action})?`, 'marked from the block viewer');
      if (detail === null) return;
      try {
        await apiGet('/api/v1/blocks/mark', { id: b.ulid, action, detail }, { method: 'POST' });
        clear(result, alertBox('success', `${b.ulid} marked: ${action}`));
      } catch (e) {
        clear(result, alertBox('danger', `Could not mark ${b.ulid}: ${e.message}`));
      }
    };
    const row = (k, v) => h('tr', {}, h('th', {}, k), h('td', {}, v));
    clear(details, h('h3', {}, b.ulid),
      h('table', { class: 'table block-table' }, h('tbody', {},
        row('Start time', new Date(b.minTime).toISOString()),
        row('End time', new Date(b.maxTime).toISOString()),
        row('Duration', formatDuration((b.maxTime - b.minTime) / 1000)),
        row('Series', b.stats && b.stats.numSeries),
        row('Samples', b.stats && b.stats.numSamples),
        row('Chunks', b.stats && b.stats.numChunks),
        row('Total size', formatBytes(sizeOf(b))),
        row('Resolution', RESOLUTION_NAMES[resolutionOf(b)] || resolutionOf(b)),
        row('Level', b.compaction.level),
        row('Source', (b.thanos && b.thanos.source) || ''),
        row('Labels', formatMetric(labelsOf(b))),
        row('Sources', (b.compaction.sources || []).length))),
      !loaded && h('div', { class: 'mark-buttons' },
        h('button', { class: 'btn btn-danger', onclick: mark('DELETION') }, 'Mark Deletion'),
        h('button', { class: 'btn', onclick: mark('NO_COMPACTION') }, 'Mark No Compaction')),
      result);
  }
  draw();
}
