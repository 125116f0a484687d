// "Evaluation" view: charts from the report of the loaded model (GET /v1/report): metric
// comparison by model, the collaborative weight w_u against history size, the ALS loss.
import { api, type Report } from '../api';
import { makeChart } from '../charts';
import { clear, errorBox, fmt, h, loading } from '../dom';

const METRIC_ORDER = ['precision', 'recall', 'ndcg', 'map', 'hit_rate', 'coverage'];
const MODEL_ORDER = ['popularity', 'content', 'collab', 'hybrid'];
/** Same colours as the collab/content accents of the recommendation cards. */
const MODEL_COLOURS: Record<string, string> = { popularity: '#9aa3b5', content: '#e0892b', collab: '#3b6fd6', hybrid: '#2e9e5b' };

function metricsAt(models: Record<string, Record<string, number>>, k: number) {
  const names = Object.keys(models).sort((a, b) => rank(MODEL_ORDER, a) - rank(MODEL_ORDER, b));
  const metricSet = new Set<string>();
  for (const m of names) for (const key of Object.keys(models[m])) {
    const [metric, kk] = key.split('@');
    if (Number(kk) === k) metricSet.add(metric);
  }
  const metrics = [...metricSet].sort((a, b) => rank(METRIC_ORDER, a) - rank(METRIC_ORDER, b));
  return { names, metrics };
}
function rank(order: string[], v: string): number {
  const i = order.indexOf(v);
  return i < 0 ? order.length : i;
}

export function renderEval(root: HTMLElement): void {
  const body = h('div', {});
  clear(root, h('section', { class: 'view', testid: 'view-eval' }, h('h1', {}, 'Evaluation of the loaded model'), body));
  clear(body, loading());
  api.report().then((r) => drawReport(body, r)).catch((e) => clear(body, errorBox(e, 'Loading the evaluation report')));
}

function drawReport(body: HTMLElement, r: Report): void {
  const ev = r.evaluation ?? {};
  const models = ev.models ?? {};
  const ks = (ev.k ?? []).length ? ev.k! : [10];
  let k = ks[0];
  const metricsEl = h('div', { class: 'chart', testid: 'chart-metrics' });
  const tableBox = h('div', {});
  const kButtons = h('div', { class: 'subtabs', testid: 'eval-k' });
  const weightEl = h('div', { class: 'chart', testid: 'chart-weight' });
  const lossEl = h('div', { class: 'chart small-chart', testid: 'chart-loss' });
  const wc = r.charts?.weight_curve;
  const loss = r.charts?.als_loss ?? [];
  clear(body,
    h('p', { class: 'muted', testid: 'eval-meta' },
      `dataset ${ev.dataset ?? '?'} · protocol ${ev.protocol ?? '?'} · ${ev.users_evaluated ?? '?'} users evaluated`),
    h('div', { class: 'card' }, h('div', { class: 'card-head' }, h('h2', {}, 'Ranking metrics by model'), kButtons),
      metricsEl, tableBox),
    h('div', { class: 'card' }, h('h2', {}, 'Collaborative weight wᵤ vs history size'),
      h('p', { class: 'muted small' }, `wᵤ = w_max·min(1, n/T) with T = ${fmt(wc?.T, 1)}, w_max = ${fmt(wc?.w_max, 2)}; bars: how many users have a history of that size. Drag the slider to zoom.`),
      wc?.sizes?.length ? weightEl : h('p', { class: 'muted' }, 'No weight curve in this report.')),
    h('div', { class: 'card' }, h('h2', {}, 'ALS training loss'),
      loss.length ? lossEl : h('p', { class: 'muted' }, 'No loss curve in this report.')));

  const metricsChart = makeChart(metricsEl, 'metrics');
  const drawMetrics = () => {
    clear(kButtons, ks.map((kk) => h('button', { class: kk === k ? 'active' : '', testid: `eval-k-${kk}`,
      onclick: () => { k = kk; drawMetrics(); } }, `@${kk}`)));
    const { names, metrics } = metricsAt(models, k);
    metricsChart.setOption({
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v: unknown) => fmt(Number(v)) },
      legend: { top: 0 },
      grid: { left: 50, right: 20, top: 40, bottom: 30 },
      xAxis: { type: 'category', data: metrics.map((m) => `${m}@${k}`) },
      yAxis: { type: 'value', min: 0 },
      series: names.map((n) => ({ name: n, type: 'bar', itemStyle: MODEL_COLOURS[n] ? { color: MODEL_COLOURS[n] } : undefined, data: metrics.map((m) => models[n][`${m}@${k}`] ?? null) })),
    }, true);
    const best = new Map(metrics.map((m) => [m, Math.max(...names.map((n) => models[n][`${m}@${k}`] ?? -Infinity))]));
    clear(tableBox, h('table', { class: 'metrics', testid: 'metrics-table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'model'), metrics.map((m) => h('th', {}, `${m}@${k}`)))),
      h('tbody', {}, names.map((n) => h('tr', {}, h('th', {}, n), metrics.map((m) => {
        const v = models[n][`${m}@${k}`];
        return h('td', { class: v === best.get(m) ? 'best' : '' }, fmt(v));
      }))))));
  };
  drawMetrics();

  if (wc?.sizes?.length && wc.w?.length) {
    const curve = wc.sizes.map((s, i) => [s, wc.w![i]]);
    const hist = wc.history_sizes ?? [];
    const maxSize = Math.max(...wc.sizes, ...hist);
    const bin = Math.max(1, Math.ceil(maxSize / 120));
    const counts = new Map<number, number>();
    for (const s of hist) counts.set(Math.floor(s / bin) * bin, (counts.get(Math.floor(s / bin) * bin) ?? 0) + 1);
    const sorted = [...hist].sort((a, b) => a - b);
    const p90 = sorted.length ? sorted[Math.floor(0.9 * (sorted.length - 1))] : maxSize;
    const zoomEnd = Math.min(maxSize, Math.max(4 * (wc.T ?? 20), p90));
    makeChart(weightEl, 'weight').setOption({
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 50, right: 50, top: 40, bottom: 75 },
      xAxis: { type: 'value', name: 'history size n', nameLocation: 'middle', nameGap: 25, min: 0, max: maxSize },
      yAxis: [{ type: 'value', name: 'wᵤ', min: 0, max: Math.max(1, wc.w_max ?? 1) },
        { type: 'value', name: bin > 1 ? `users (bins of ${bin})` : 'users', splitLine: { show: false } }],
      dataZoom: [{ type: 'inside', xAxisIndex: 0, startValue: 0, endValue: zoomEnd, filterMode: 'none' },
        { type: 'slider', xAxisIndex: 0, startValue: 0, endValue: zoomEnd, filterMode: 'none', height: 18, bottom: 8 }],
      series: [
        { name: bin > 1 ? `users with n ratings (bins of ${bin})` : 'users with n ratings', type: 'bar', yAxisIndex: 1,
          data: [...counts.entries()].sort((a, b) => a[0] - b[0]).map(([s, c]) => [s + bin / 2, c]),
          itemStyle: { color: '#c9d3e0' }, barMinWidth: 1 },
        { name: 'wᵤ', type: 'line', showSymbol: false, data: curve, lineStyle: { width: 3 }, itemStyle: { color: '#e15759' } },
      ],
    });
  }
  if (loss.length) {
    makeChart(lossEl, 'loss').setOption({
      tooltip: { trigger: 'axis' },
      grid: { left: 80, right: 20, top: 20, bottom: 40 },
      xAxis: { type: 'category', name: 'iteration', nameLocation: 'middle', nameGap: 25, data: loss.map((_, i) => i + 1) },
      yAxis: { type: 'value', scale: true },
      series: [{ name: 'loss', type: 'line', data: loss }],
    });
  }
}
