// ECharts, tree-shaken to what the page uses and bundled (no CDN). Charts are registered on
// window.__hybridrec.charts so the end-to-end test can locate points to hover.
import * as echarts from 'echarts/core';
import { BarChart, LineChart, ScatterChart } from 'echarts/charts';
import { DataZoomComponent, GridComponent, LegendComponent, TitleComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, LineChart, ScatterChart, GridComponent, LegendComponent, TitleComponent, TooltipComponent,
  DataZoomComponent, CanvasRenderer]);

export { echarts };
export type Chart = echarts.ECharts;

declare global {
  interface Window { __hybridrec: { charts: Record<string, Chart> } }
}
window.__hybridrec = { charts: {} };

const live = new Set<Chart>();
window.addEventListener('resize', () => live.forEach((c) => c.resize()));

/** Creates a chart in `el` (which must have a size); disposed by disposeCharts(). */
export function makeChart(el: HTMLElement, name: string): Chart {
  const c = echarts.init(el, undefined, { renderer: 'canvas' });
  live.add(c);
  window.__hybridrec.charts[name] = c;
  return c;
}

/** Called on every view change so hidden charts do not leak. */
export function disposeCharts(): void {
  live.forEach((c) => c.dispose());
  live.clear();
  window.__hybridrec.charts = {};
}

/** 20 distinguishable colours for genres (ML-100K has 19). */
export const GENRE_COLOURS = [
  '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac',
  '#1f77b4', '#8c564b', '#17becf', '#bcbd22', '#d62728', '#9467bd', '#2ca02c', '#7f7f7f', '#e377c2', '#393b79',
];
