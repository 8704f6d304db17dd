// A small SVG line chart: one polyline per series, the latest values in the legend.

import { formatBytes } from './bytes.js';
import { h, svg } from './dom.js';

const WIDTH = 360;
const HEIGHT = 110;
const COLORS = ['#2f6fde', '#d9822b', '#2e9e5b', '#b83f8a'];

export function formatValue(value: number, unit: string): string {
  if (unit === 'B') return formatBytes(value);
  const shown = Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 1 ? value.toFixed(1) : value.toFixed(2);
  return `${shown}${unit ? ` ${unit}` : ''}`;
}

export function lineChart(title: string, unit: string, series: Array<{ name: string; points: number[] }>, capacity: number): HTMLElement {
  const max = Math.max(1e-9, ...series.flatMap((entry) => entry.points));
  const chart = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: 'chart', role: 'img', 'aria-label': title });
  for (let line = 0; line <= 2; line++) {
    const y = 5 + ((HEIGHT - 10) * line) / 2;
    chart.append(svg('line', { x1: 0, x2: WIDTH, y1: y, y2: y, class: 'grid' }));
  }
  series.forEach((entry, index) => {
    if (entry.points.length === 0) return;
    const step = WIDTH / Math.max(1, capacity - 1);
    const offset = capacity - entry.points.length;
    const points = entry.points.map((value, i) => `${((offset + i) * step).toFixed(1)},${(HEIGHT - 5 - (value / max) * (HEIGHT - 10)).toFixed(1)}`).join(' ');
    chart.append(svg('polyline', { points, fill: 'none', stroke: COLORS[index % COLORS.length]!, 'stroke-width': 1.5 }));
  });
  const legend = h(
    'div',
    { class: 'legend' },
    ...series.map((entry, index) =>
      h('span', {}, h('i', { style: `background:${COLORS[index % COLORS.length]}` }), `${entry.name}: ${entry.points.length ? formatValue(entry.points[entry.points.length - 1]!, unit) : '–'}`),
    ),
  );
  return h('figure', { class: 'chart-box' }, h('figcaption', {}, title, h('small', { class: 'muted' }, ` max ${formatValue(max, unit)}`)), chart, legend);
}
