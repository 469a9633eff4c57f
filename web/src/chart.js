// A time-series chart of a query_range answer with uPlot: one line per series, optionally
// stacked (each series drawn on top of the ones before it), and a legend under the chart that
// shows the hovered values and hides or shows a series on click.
import uPlot from 'uplot';
import { h } from './dom.js';
import { formatMetric } from './format.js';

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2',
  '#7f7f7f', '#bcbd22', '#17becf'];
export const colorOf = (i) => COLORS[i % COLORS.length];

// result: Prometheus matrix [{metric, values: [[sec, "v"], ...]}]; start/end/step in seconds.
export function renderChart(container, result, { start, end, step, stacked }) {
  const xs = [];
  for (let t = start; t <= end + 1e-9; t += step) xs.push(Math.round(t * 1000) / 1000);
  const index = new Map(xs.map((t, i) => [t, i]));
  const raw = result.map((s) => {
    const ys = new Array(xs.length).fill(null);
    for (const [t, v] of s.values) {
      const i = index.get(Math.round(t * 1000) / 1000);
      if (i !== undefined) ys[i] = parseFloat(v);
    }
    return ys;
  });
  let ys = raw;
  if (stacked) {
    const sum = new Array(xs.length).fill(0);
    ys = raw.map((col) => col.map((v, i) => (v === null ? null : (sum[i] += v))));
  }
  const legendValues = [];
  const opts = {
    width: Math.max(300, container.clientWidth || 800),
    height: 360,
    legend: { show: false },
    cursor: { drag: { x: true, y: false } },
    scales: { x: { time: true } },
    // Times in UTC, as the range and end inputs are.
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    series: [{}, ...result.map((s, i) => ({
      label: formatMetric(s.metric),
      stroke: colorOf(i),
      width: 1.5,
      fill: stacked ? colorOf(i) + '55' : undefined,
      spanGaps: false,
      points: { show: false },
    }))],
    bands: stacked ? result.slice(1).map((_, i) => ({ series: [i + 2, i + 1] })) : [],
    axes: [{}, { size: 70 }],
    hooks: {
      setCursor: [(u) => {
        const idx = u.cursor.idx;
        legendValues.forEach((el, i) => {
          const v = idx === null || idx === undefined ? null : raw[i][idx];
          el.textContent = v === null || v === undefined ? '' : String(v);
        });
      }],
    },
  };
  const plot = new uPlot(opts, [xs, ...ys], container);
  const legend = h('div', { class: 'legend' }, result.map((s, i) => {
    const value = h('span', { class: 'legend-value' });
    legendValues.push(value);
    const item = h('div', {
      class: 'legend-item',
      title: 'click to hide or show',
      onclick: () => {
        const show = !plot.series[i + 1].show;
        plot.setSeries(i + 1, { show });
        item.classList.toggle('legend-hidden', !show);
      },
    }, h('span', { class: 'legend-swatch', style: { background: colorOf(i) } }),
    h('span', { class: 'legend-label' }, formatMetric(s.metric)), value);
    return item;
  }));
  container.append(legend);
  const resize = () => plot.setSize({ width: Math.max(300, container.clientWidth), height: 360 });
  window.addEventListener('resize', resize);
  return () => {
    window.removeEventListener('resize', resize);
    plot.destroy();
  };
}
