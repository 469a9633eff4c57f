// The Graph page: panels of PromQL queries, each with a Table and a Graph tab, the querier's
// deduplication, partial-response and max-source-resolution options, and its state in the URL
// (g0.expr=...&g0.tab=0, Prometheus's and Thanos's parameter names, so links are shareable).
import { EditorView, keymap, placeholder } from '@codemirror/view';
import { EditorState } from '@codemirror/state';
import { defaultKeymap, history, historyKeymap, insertNewlineAndIndent } from '@codemirror/commands';
import { autocompletion, closeBrackets } from '@codemirror/autocomplete';
import { syntaxHighlighting, HighlightStyle, bracketMatching } from '@codemirror/language';
import { tags } from '@lezer/highlight';
import { PromQLExtension } from '@prometheus-io/codemirror-promql';
import { apiGet, defaultStep, prefix } from './api.js';
import { h, clear, alertBox } from './dom.js';
import { parseDuration, formatDuration, formatTime, parseTime, formatMetric } from './format.js';
import { renderChart } from './chart.js';

const RANGE_STEPS = [1, 10, 60, 300, 900, 1800, 3600, 7200, 21600, 43200, 86400, 172800,
  604800, 1209600, 2419200, 4838400, 31536000];
const RESOLUTIONS = [['auto', 'Auto downsampling'], ['0s', 'Only raw data'],
  ['5m', 'Max 5m downsampling'], ['1h', 'Max 1h downsampling']];
const MAX_TABLE_ROWS = 10000;

// Colours for the tags lezer-promql gives its tokens, close to Prometheus's own UI.
const promqlHighlight = HighlightStyle.define([
  { tag: tags.number, color: '#09885a' },
  { tag: tags.string, color: '#a31515' },
  { tag: tags.keyword, color: '#008080', fontWeight: 'bold' },
  { tag: tags.function(tags.variableName), color: '#008080' },
  { tag: tags.labelName, color: '#800000' },
  { tag: tags.operator },
  { tag: tags.modifier, color: '#008080', fontWeight: 'bold' },
  { tag: tags.operatorKeyword, color: '#008080', fontWeight: 'bold' },
  { tag: tags.logicOperator, color: '#008080', fontWeight: 'bold' },
  { tag: tags.variableName, color: '#000000' },
  { tag: tags.comment, color: '#888888', fontStyle: 'italic' },
  { tag: tags.invalid, color: 'red' },
]);

const defaults = () => ({
  expr: '', tab: 'table', stacked: false, range: 3600, end: null, moment: null, step: null,
  maxSourceResolution: '0s', dedup: true, partialResponse: false,
});

// g0.expr=...&g1.expr=... -> [{expr, tab, ...}, ...]
export function panelsFromUrl(search) {
  const params = new URLSearchParams(search);
  const panels = [];
  for (const [key, value] of params) {
    const m = /^g(\d+)\.(.+)$/.exec(key);
    if (!m) continue;
    const i = Number(m[1]);
    if (i > 100) continue;
    const p = (panels[i] ||= defaults());
    switch (m[2]) {
      case 'expr': p.expr = value; break;
      case 'tab': p.tab = value === '0' ? 'graph' : 'table'; break;
      case 'stacked': p.stacked = value === '1'; break;
      case 'range_input': p.range = parseDuration(value) ?? p.range; break;
      case 'end_input': p.end = parseTime(value); break;
      case 'moment_input': p.moment = parseTime(value); break;
      case 'step_input': p.step = parseDuration(value); break;
      case 'max_source_resolution': p.maxSourceResolution = value || '0s'; break;
      case 'deduplicate': p.dedup = value !== '0'; break;
      case 'partial_response': p.partialResponse = value === '1'; break;
      default: break;
    }
  }
  return panels.filter(Boolean);
}

export function panelsToUrl(panels) {
  const params = new URLSearchParams();
  panels.forEach((p, i) => {
    const g = `g${i}.`;
    params.set(g + 'expr', p.expr);
    params.set(g + 'tab', p.tab === 'graph' ? '0' : '1');
    params.set(g + 'stacked', p.stacked ? '1' : '0');
    params.set(g + 'range_input', formatDuration(p.range));
    if (p.end !== null) params.set(g + 'end_input', formatTime(p.end));
    if (p.moment !== null) params.set(g + 'moment_input', formatTime(p.moment));
    if (p.step !== null) params.set(g + 'step_input', String(p.step));
    params.set(g + 'max_source_resolution', p.maxSourceResolution);
    params.set(g + 'deduplicate', p.dedup ? '1' : '0');
    params.set(g + 'partial_response', p.partialResponse ? '1' : '0');
    params.set(g + 'store_matches', '[]');
  });
  return params.toString();
}

export function graphPage(root) {
  const panels = panelsFromUrl(window.location.search);
  if (panels.length === 0) panels.push(defaults());
  const list = h('div', { class: 'panels' });
  const saveUrl = () => {
    const url = `${window.location.pathname}?${panelsToUrl(panels)}`;
    window.history.replaceState(null, '', url);
  };
  const views = [];
  const redraw = () => {
    views.forEach((v) => v.destroy());
    views.length = 0;
    clear(list);
    panels.forEach((p, i) => {
      const v = panelView(p, {
        onChange: saveUrl,
        onRemove: panels.length > 1 ? () => { panels.splice(i, 1); saveUrl(); redraw(); } : null,
      });
      views.push(v);
      list.append(v.el);
    });
  };
  clear(root, list, h('button', {
    class: 'btn btn-primary add-panel',
    onclick: () => { panels.push(defaults()); saveUrl(); redraw(); },
  }, 'Add Panel'));
  redraw();
  saveUrl();
}

function panelView(p, { onChange, onRemove }) {
  let abort = null, disposeChart = null;
  const out = h('div', { class: 'panel-output' });
  const stats = h('div', { class: 'panel-stats' });
  const run = () => execute();
  const promql = new PromQLExtension().setComplete({
    remote: { url: prefix, httpMethod: 'GET', lookbackInterval: 12 * 3600 * 1000 },
  });
  const editor = new EditorView({
    state: EditorState.create({
      doc: p.expr,
      extensions: [
        history(), closeBrackets(), bracketMatching(), autocompletion(),
        syntaxHighlighting(promqlHighlight), promql.asExtension(),
        placeholder('Expression (press Shift+Enter for newlines)'),
        EditorView.lineWrapping,
        // autocompletion() binds Enter at a higher precedence while its list is open.
        keymap.of([{ key: 'Enter', run: () => { run(); return true; } },
          { key: 'Shift-Enter', run: insertNewlineAndIndent }, ...defaultKeymap, ...historyKeymap]),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) { p.expr = u.state.doc.toString(); onChange(); }
        }),
      ],
    }),
  });
  const checkbox = (label, key, cls) => h('label', { class: `check ${cls}` },
    h('input', { type: 'checkbox', checked: p[key], onchange: (e) => { p[key] = e.target.checked; onChange(); run(); } }),
    ' ', label);
  const resolution = h('select', {
    class: 'max-source-resolution',
    onchange: (e) => { p.maxSourceResolution = e.target.value; onChange(); run(); },
  }, RESOLUTIONS.map(([v, label]) => h('option', { value: v, selected: p.maxSourceResolution === v }, label)));

  const tabs = {};
  const setTab = (tab) => {
    p.tab = tab;
    for (const [name, el] of Object.entries(tabs)) el.classList.toggle('active', name === tab);
    clear(controls, tab === 'graph' ? graphControls() : tableControls());
    onChange();
    run();
  };
  tabs.graph = h('button', { class: 'tab tab-graph', onclick: () => setTab('graph') }, 'Graph');
  tabs.table = h('button', { class: 'tab tab-table', onclick: () => setTab('table') }, 'Table');
  tabs[p.tab].classList.add('active');

  const timeInput = (key, title) => h('input', {
    class: `time-input ${key}-input`, type: 'text', placeholder: title, title,
    value: p[key] === null ? '' : formatTime(p[key]),
    onchange: (e) => { p[key] = parseTime(e.target.value); onChange(); run(); },
  });
  const tableControls = () => h('div', { class: 'controls' }, 'Evaluation time: ', timeInput('moment', 'now (UTC, YYYY-MM-DD HH:mm:ss)'));
  const graphControls = () => {
    const range = h('input', {
      class: 'range-input', type: 'text', value: formatDuration(p.range),
      onchange: (e) => { const d = parseDuration(e.target.value); if (d) p.range = d; e.target.value = formatDuration(p.range); onChange(); run(); },
    });
    const bump = (dir) => () => {
      const next = dir > 0 ? RANGE_STEPS.find((s) => s > p.range) : [...RANGE_STEPS].reverse().find((s) => s < p.range);
      if (next) { p.range = next; range.value = formatDuration(next); onChange(); run(); }
    };
    const step = h('input', {
      class: 'step-input', type: 'text', placeholder: 'Res. (s)', title: 'Query resolution (step): seconds or a duration',
      value: p.step === null ? '' : String(p.step),
      onchange: (e) => { p.step = parseDuration(e.target.value); onChange(); run(); },
    });
    return h('div', { class: 'controls' },
      h('button', { class: 'btn', title: 'shorter range', onclick: bump(-1) }, '−'), range,
      h('button', { class: 'btn', title: 'longer range', onclick: bump(1) }, '+'),
      ' End: ', timeInput('end', 'now (UTC)'), ' ', step, ' ',
      h('label', { class: 'check stacked' }, h('input', {
        type: 'checkbox', checked: p.stacked, onchange: (e) => { p.stacked = e.target.checked; onChange(); run(); },
      }), ' stacked'));
  };
  const controls = h('div', {}, p.tab === 'graph' ? graphControls() : tableControls());

  async function execute() {
    if (abort) abort.abort();
    if (disposeChart) { disposeChart(); disposeChart = null; }
    const expr = p.expr.trim();
    clear(stats);
    if (expr === '') { clear(out, h('div', { class: 'empty' }, 'No query given.')); return; }
    abort = new AbortController();
    const common = {
      query: expr, dedup: p.dedup, partial_response: p.partialResponse,
      max_source_resolution: p.maxSourceResolution,
    };
    const started = performance.now();
    clear(out, h('div', { class: 'loading' }, 'Loading…'));
    try {
      if (p.tab === 'table') {
        const time = (p.moment ?? Date.now()) / 1000;
        const { data, warnings } = await apiGet('/api/v1/query', { ...common, time }, { signal: abort.signal });
        const took = performance.now() - started;
        const count = Array.isArray(data.result) ? data.result.length : 1;
        clear(stats, `Load time: ${Math.round(took)}ms · Result series: ${count}`);
        clear(out, warnings.map((w) => alertBox('warning', w)), renderTable(data));
      } else {
        const end = (p.end ?? Date.now()) / 1000;
        const start = end - p.range;
        const step = p.step || Math.max(Math.floor(p.range / 250), defaultStep);
        const { data, warnings } = await apiGet('/api/v1/query_range', { ...common, start, end, step }, { signal: abort.signal });
        const took = performance.now() - started;
        clear(stats, `Load time: ${Math.round(took)}ms · Resolution: ${step}s · Result series: ${data.result.length}`);
        const chart = h('div', { class: 'chart' });
        clear(out, warnings.map((w) => alertBox('warning', w)), chart);
        if (data.resultType !== 'matrix') {
          clear(out, alertBox('danger', `The query returned a ${data.resultType}; a graph needs a range query over an instant vector.`));
        } else if (data.result.length === 0) {
          clear(out, warnings.map((w) => alertBox('warning', w)), h('div', { class: 'empty' }, 'Empty query result'));
        } else {
          disposeChart = renderChart(chart, data.result, { start, end, step, stacked: p.stacked });
        }
      }
    } catch (e) {
      if (e.name === 'AbortError') return;
      clear(out, alertBox('danger', `Error executing query: ${e.message}`));
    }
  }

  const el = h('div', { class: 'panel' },
    h('div', { class: 'panel-query' },
      h('div', { class: 'editor' }, editor.dom),
      h('button', { class: 'btn btn-primary execute', onclick: run }, 'Execute'),
      onRemove && h('button', { class: 'btn remove-panel', title: 'Remove panel', onclick: onRemove }, '×')),
    h('div', { class: 'panel-options' },
      checkbox('Use Deduplication', 'dedup', 'dedup'),
      checkbox('Use Partial Response', 'partialResponse', 'partial-response'),
      resolution),
    h('div', { class: 'tabs' }, tabs.table, tabs.graph, stats),
    controls, out);
  if (p.expr.trim() !== '') run();
  return {
    el,
    destroy: () => { if (abort) abort.abort(); if (disposeChart) disposeChart(); editor.destroy(); promql.destroy(); },
  };
}

function renderTable(data) {
  const rows = [];
  switch (data.resultType) {
    case 'vector':
      for (const s of data.result.slice(0, MAX_TABLE_ROWS)) rows.push([formatMetric(s.metric), s.value[1]]);
      break;
    case 'matrix':
      for (const s of data.result.slice(0, MAX_TABLE_ROWS)) {
        rows.push([formatMetric(s.metric), s.values.map(([t, v]) => `${v} @${t}`).join('\n')]);
      }
      break;
    case 'scalar':
    case 'string':
      rows.push([data.resultType, data.result[1]]);
      break;
    default:
      rows.push(['unknown result type', data.resultType]);
  }
  if (rows.length === 0) return h('div', { class: 'empty' }, 'Empty query result');
  const total = Array.isArray(data.result) && data.resultType !== 'scalar' && data.resultType !== 'string' ? data.result.length : 1;
  return h('div', {},
    total > MAX_TABLE_ROWS && alertBox('warning', `Showing ${MAX_TABLE_ROWS} of ${total} series.`),
    h('table', { class: 'table result-table' },
      h('tbody', {}, rows.map(([k, v]) => h('tr', {}, h('td', { class: 'series' }, k), h('td', { class: 'value' }, v))))));
}
