// "Experiments" view: the online A/B experiment the service runs (serve --experiments FILE):
// per arm the users, lists served, CTR@K and conversions per user with 95% intervals
// (GET /v1/experiments/{name}), a chart per metric over time (each arm's estimate and interval
// at successive cut-offs), and each arm's current difference from the control with its interval
// and p-value. Loaded each time the view is opened, and again with the Refresh button.
import { api, type ArmReport, type Difference, type Estimate, type ExperimentReport } from '../api';
import { makeChart } from '../charts';
import { clear, errorBox, fmt, h, loading } from '../dom';

const METRICS = [
  { key: 'ctr_at_k' as const, label: (k: number) => `CTR@${k}` },
  { key: 'conversions_per_user' as const, label: () => 'Conversions per user' },
];
const COLOURS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#b07aa1', '#76b7b2', '#edc948', '#9c755f'];

function interval(e: Estimate | Difference, digits = 4): string {
  return e.lo === null || e.hi === null ? 'n/a (fewer than 2 users)' : `[${fmt(e.lo, digits)}, ${fmt(e.hi, digits)}]`;
}

function pValue(p: number | null): string {
  if (p === null) return '—';
  return p < 1e-4 ? p.toExponential(1) : p.toFixed(4);
}

function armRow(a: ArmReport): HTMLElement {
  return h('tr', { testid: 'exp-arm', 'data-arm': a.name },
    h('th', { scope: 'row' }, a.name, h('div', { class: 'muted small' }, `${Math.round(a.share * 100)} % of users`)),
    h('td', { testid: 'exp-users', 'data-value': a.users }, String(a.users)),
    h('td', { testid: 'exp-exposures', 'data-value': a.exposures }, String(a.exposures)),
    h('td', { testid: 'exp-clicks', 'data-value': a.clicks }, String(a.clicks)),
    h('td', { testid: 'exp-ctr', 'data-value': a.ctr_at_k.mean }, fmt(a.ctr_at_k.mean, 4),
      h('div', { class: 'muted small' }, interval(a.ctr_at_k))),
    h('td', { testid: 'exp-conv', 'data-value': a.conversions_per_user.mean }, fmt(a.conversions_per_user.mean, 3),
      h('div', { class: 'muted small' }, interval(a.conversions_per_user, 3))));
}

function diffRow(d: Difference, control: string, k: number): HTMLElement {
  const label = METRICS.find((m) => m.key === d.metric)!.label(k);
  const sig = d.p_value !== null && d.p_value < 0.05;
  return h('tr', { testid: 'exp-diff', 'data-metric': d.metric, 'data-arm': d.arm, 'data-significant': String(sig) },
    h('th', { scope: 'row' }, `${label}: ${d.arm} − ${control}`),
    h('td', { 'data-value': d.diff }, fmt(d.diff, 4)),
    h('td', {}, interval(d)),
    h('td', { testid: 'exp-p' }, pValue(d.p_value)),
    h('td', {}, sig ? h('span', { class: 'badge significant' }, 'significant at 5 %') : h('span', { class: 'muted' }, 'not significant')));
}

/** One chart per metric: each arm's estimate over time with its 95 % band. */
function drawSeries(el: HTMLElement, r: ExperimentReport, metric: 'ctr_at_k' | 'conversions_per_user', title: string): void {
  const chart = makeChart(el, `exp-${metric}`);
  const series: object[] = [];
  r.arms.forEach((arm, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const pts = r.series.map((p) => {
      const a = p.arms.find((x) => x.name === arm.name);
      return { t: p.time * 1000, e: a ? a[metric] : null };
    }).filter((p) => p.e && p.e.users > 0);
    series.push({ name: arm.name, type: 'line', showSymbol: true, symbolSize: 8, itemStyle: { color: colour },
      data: pts.map((p) => [p.t, p.e!.mean]) });
    series.push({ name: `${arm.name} 95 %`, type: 'line', showSymbol: false, lineStyle: { type: 'dashed', width: 1, color: colour },
      itemStyle: { color: colour }, data: pts.filter((p) => p.e!.lo !== null).map((p) => [p.t, p.e!.lo]) });
    series.push({ name: `${arm.name} 95 %`, type: 'line', showSymbol: false, lineStyle: { type: 'dashed', width: 1, color: colour },
      itemStyle: { color: colour }, data: pts.filter((p) => p.e!.hi !== null).map((p) => [p.t, p.e!.hi]) });
  });
  chart.setOption({
    animation: false,  // a single cut-off is one dot per arm, visible at once
    title: { text: title, left: 'center', textStyle: { fontSize: 13 } },
    tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => (typeof v === 'number' ? v.toFixed(4) : String(v)) },
    legend: { top: 24, data: r.arms.map((a) => a.name) },
    grid: { left: 60, right: 20, top: 60, bottom: 40 },
    xAxis: { type: 'time', name: 'time' },
    yAxis: { type: 'value', scale: true },
    series,
  });
}

/** The current difference of each arm from the control, per metric, with its interval. */
function drawDifferences(el: HTMLElement, r: ExperimentReport): void {
  const chart = makeChart(el, 'exp-diff');
  const rows = r.differences.filter((d) => d.lo !== null && d.hi !== null);
  const labels = rows.map((d) => `${METRICS.find((m) => m.key === d.metric)!.label(r.ctr_k)}: ${d.arm} − ${r.control}`);
  chart.setOption({
    title: { text: 'Difference from the control (95 % interval)', left: 'center', textStyle: { fontSize: 13 } },
    tooltip: { trigger: 'item' },
    grid: { left: 220, right: 30, top: 40, bottom: 30 },
    xAxis: { type: 'value', scale: true },
    yAxis: { type: 'category', data: labels },
    series: [
      { name: 'interval', type: 'line', showSymbol: false, lineStyle: { width: 0 },
        markLine: { symbol: 'none', lineStyle: { color: '#888', type: 'solid' }, data: [{ xAxis: 0 }] },
        data: [] },
      ...rows.map((d, i) => ({
        name: labels[i], type: 'line', symbol: 'rect', symbolSize: [2, 14], lineStyle: { width: 3, color: d.lo! > 0 || d.hi! < 0 ? '#e15759' : '#4e79a7' },
        itemStyle: { color: '#333' }, data: [[d.lo, labels[i]], [d.hi, labels[i]]],
      })),
      { name: 'difference', type: 'scatter', symbolSize: 10, itemStyle: { color: '#333' },
        data: rows.map((d, i) => [d.diff, labels[i]]) },
    ],
  });
}

function draw(body: HTMLElement, r: ExperimentReport): void {
  const window = `${Math.round(r.attribution_window_s / 60)} min`;
  const ctrChart = h('div', { class: 'chart small-chart', testid: 'exp-chart-ctr' });
  const convChart = h('div', { class: 'chart small-chart', testid: 'exp-chart-conv' });
  const diffChart = h('div', { class: 'chart small-chart', testid: 'exp-chart-diff' });
  clear(body,
    h('p', { class: 'muted', testid: 'exp-summary' },
      `Experiment ${r.name} (salt ${r.salt}): `, h('strong', {}, `${r.arms.reduce((n, a) => n + a.users, 0)}`),
      ' users, ', h('strong', {}, `${r.arms.reduce((n, a) => n + a.exposures, 0)}`),
      ` lists served. A click is an event on an item a list showed, within ${window}. `,
      `Control: arm ${r.control}. Test: ${r.test}.`),
    h('table', { class: 'metrics', testid: 'exp-arms' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Arm'), h('th', {}, 'Users'), h('th', {}, 'Lists'), h('th', {}, `Clicks (top ${r.ctr_k})`),
        h('th', {}, `CTR@${r.ctr_k} (95 %)`), h('th', {}, 'Conversions / user (95 %)'))),
      h('tbody', {}, r.arms.map(armRow))),
    h('table', { class: 'metrics', testid: 'exp-diffs' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Difference'), h('th', {}, 'Value'), h('th', {}, '95 % interval'),
        h('th', {}, 'p-value'), h('th', {}, ''))),
      h('tbody', {}, r.differences.map((d) => diffRow(d, r.control, r.ctr_k)))),
    diffChart, ctrChart, convChart);
  if (!r.series.length) return;
  drawDifferences(diffChart, r);
  drawSeries(ctrChart, r, 'ctr_at_k', `CTR@${r.ctr_k} over time`);
  drawSeries(convChart, r, 'conversions_per_user', 'Conversions per user over time');
}

export function renderExperiments(root: HTMLElement): void {
  const body = h('div', {});
  const load = () => {
    clear(body, loading());
    api.experiments().then((list) => {
      const e = list.experiments[0];
      if (!e) {
        clear(body, h('p', { class: 'muted', testid: 'exp-none' },
          'No experiment is running. Start the server with --experiments FILE (see docs/api.md, "Online experiments").'));
        return;
      }
      return api.experiment(e.name).then((r) => draw(body, r));
    }).catch((e) => clear(body, errorBox(e, 'Loading the experiment')));
  };
  clear(root, h('section', { class: 'view', testid: 'view-experiments' },
    h('div', { class: 'card-head' },
      h('h1', {}, 'Online experiment'),
      h('button', { class: 'secondary', testid: 'exp-refresh', onclick: load }, 'Refresh')),
    h('p', { class: 'muted' }, 'Users are split between the arms by a hash of their id; every list served is logged with its arm, ',
      'and clicks (events on shown items) are attributed to the list that showed them. Users are the unit of analysis.'),
    body));
  load();
}
