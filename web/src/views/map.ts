// "Embedding map" view: 2-D PCA of the item embeddings (GET /v1/embedding-map), one series
// per main genre; hovering a point shows its title, clicking opens the item.
import { api, type MapPoint } from '../api';
import { GENRE_COLOURS, makeChart } from '../charts';
import { clear, errorBox, h, loading } from '../dom';

export function renderMap(root: HTMLElement): void {
  const body = h('div', {});
  clear(root, h('section', { class: 'view', testid: 'view-map' },
    h('h1', {}, 'Item embedding map'),
    h('p', { class: 'muted' }, 'Two principal components of the content embeddings, coloured by main genre. Hover a point for its title, click to open it; click a genre in the legend to hide it.'),
    body));
  clear(body, loading());
  api.embeddingMap().then((m) => draw(body, m.items)).catch((e) => clear(body, errorBox(e, 'Loading the embedding map')));
}

function draw(body: HTMLElement, points: MapPoint[]): void {
  const el = h('div', { class: 'chart map-chart', testid: 'chart-embedding' });
  clear(body, h('p', { class: 'muted small', testid: 'map-count' }, `${points.length} items`), el);
  const byGenre = new Map<string, MapPoint[]>();
  for (const p of points) {
    const g = p.genre || 'unknown';
    if (!byGenre.has(g)) byGenre.set(g, []);
    byGenre.get(g)!.push(p);
  }
  const genres = [...byGenre.keys()].sort((a, b) => byGenre.get(b)!.length - byGenre.get(a)!.length);
  const chart = makeChart(el, 'embedding');
  chart.setOption({
    color: GENRE_COLOURS,
    tooltip: {
      trigger: 'item', className: 'map-tooltip',
      formatter: (p: { seriesName: string; data: { title: string } }) => {
        const d = document.createElement('div');
        const b = document.createElement('b');
        b.textContent = p.data.title;
        d.append(b, document.createElement('br'), p.seriesName);
        return d.innerHTML;  // escaped through textContent
      },
    },
    legend: { type: 'scroll', orient: 'vertical', right: 0, top: 10, bottom: 10 },
    grid: { left: 40, right: 150, top: 20, bottom: 30 },
    xAxis: { type: 'value', scale: true, name: 'PC1', axisLine: { onZero: false } },
    yAxis: { type: 'value', scale: true, name: 'PC2', axisLine: { onZero: false } },
    series: genres.map((g) => ({
      name: g, type: 'scatter', symbolSize: 6, large: false, emphasis: { focus: 'series', scale: 2 },
      itemStyle: { opacity: 0.75 },
      data: byGenre.get(g)!.map((p) => ({ value: [p.x, p.y], id: p.id, title: p.title })),
    })),
  });
  chart.on('click', (p) => {
    const id = (p.data as { id?: string } | undefined)?.id;
    if (id) location.hash = `item=${encodeURIComponent(id)}`;
  });
}
