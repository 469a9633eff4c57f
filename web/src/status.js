// Runtime & Build Information (/status) and Command-Line Flags (/flags).
import { apiGet } from './api.js';
import { h, clear, alertBox } from './dom.js';

const kvTable = (cls, obj) => h('table', { class: `table ${cls}` },
  h('tbody', {}, Object.entries(obj).map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, String(v))))));

export async function statusPage(root) {
  clear(root, h('div', { class: 'loading' }, 'Loading…'));
  const parts = [];
  for (const [title, path, cls] of [['Runtime Information', '/api/v1/status/runtimeinfo', 'runtime-info'],
    ['Build Information', '/api/v1/status/buildinfo', 'build-info']]) {
    try {
      const { data } = await apiGet(path);
      parts.push(h('h2', {}, title), kvTable(cls, data));
    } catch (e) {
      parts.push(h('h2', {}, title), alertBox('danger', `Error fetching ${path}: ${e.message}`));
    }
  }
  clear(root, parts);
}

export async function flagsPage(root) {
  clear(root, h('h2', {}, 'Command-Line Flags'), h('div', { class: 'loading' }, 'Loading…'));
  let data;
  try {
    ({ data } = await apiGet('/api/v1/status/flags'));
  } catch (e) {
    clear(root, h('h2', {}, 'Command-Line Flags'), alertBox('danger', `Error fetching flags: ${e.message}`));
    return;
  }
  const table = h('div');
  const show = (filter) => clear(table, kvTable('flags-table', Object.fromEntries(
    Object.entries(data).filter(([k, v]) => `${k} ${v}`.toLowerCase().includes(filter.toLowerCase())).sort())));
  clear(root, h('h2', {}, 'Command-Line Flags'),
    h('input', { class: 'filter', type: 'search', placeholder: 'Filter by flag name or value', oninput: (e) => show(e.target.value) }),
    table);
  show('');
}
