// The Stores page: every StoreAPI endpoint the querier knows, grouped by component type, with
// its health, last check, last error, announced label sets and time range (/api/v1/stores).
import { apiGet } from './api.js';
import { h, clear, alertBox } from './dom.js';
import { formatAge, formatMetric } from './format.js';

const GO_ZERO_TIME = '0001-01-01T00:00:00Z';
const timeCell = (ms) => {
  // Thanos announces "no bound" with the extremes of int64.
  if (ms <= -9223372036854 || ms >= 9223372036854) return ms < 0 ? '-Inf' : '+Inf';
  return new Date(ms).toISOString();
};

export async function storesPage(root) {
  clear(root, h('h2', {}, 'Stores'), h('div', { class: 'loading' }, 'Loading…'));
  let data;
  try {
    ({ data } = await apiGet('/api/v1/stores'));
  } catch (e) {
    clear(root, h('h2', {}, 'Stores'), alertBox('danger', `Error fetching stores: ${e.message}`));
    return;
  }
  const types = Object.keys(data || {}).sort();
  clear(root, h('h2', {}, 'Stores'),
    types.length === 0 && alertBox('info', 'No endpoints configured (--endpoint, --store, --store.sd-files).'),
    types.map((type) => {
      const list = data[type] || [];
      const up = list.filter((e) => e.lastError === null || e.lastError === undefined).length;
      return h('section', { class: 'store-group', 'data-type': type },
        h('h3', {}, `${type} (${up}/${list.length} up)`),
        h('table', { class: 'table stores-table' },
          h('thead', {}, h('tr', {}, ['Endpoint', 'Status', 'Announced LabelSets', 'Min Time (UTC)', 'Max Time (UTC)', 'Last Successful Health Check', 'Last Message'].map((c) => h('th', {}, c)))),
          h('tbody', {}, list.map((e) => {
            const healthy = e.lastError === null || e.lastError === undefined;
            const checked = e.lastCheck && e.lastCheck !== GO_ZERO_TIME ? Date.parse(e.lastCheck) : null;
            return h('tr', { class: 'store-row' },
              h('td', { class: 'endpoint' }, e.name),
              h('td', {}, h('span', { class: `badge ${healthy ? 'badge-up' : 'badge-down'}` }, healthy ? 'UP' : 'DOWN')),
              h('td', {}, (e.labelSets || []).map((ls) => h('div', { class: 'labelset' }, formatMetric(ls)))),
              h('td', {}, timeCell(e.minTime)),
              h('td', {}, timeCell(e.maxTime)),
              h('td', {}, checked === null ? 'never' : formatAge(checked)),
              h('td', { class: 'last-error' }, healthy ? '' : e.lastError));
          }))));
    }));
}
