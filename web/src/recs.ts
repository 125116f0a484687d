// Rendering of a recommendation reply: which path ran, the weight w_u, and per item the
// component scores and the "because you watched …" explanation.
import type { Contribution, RecItem, Recommendations } from './api';
import { fmt, genreTags, h, itemLink } from './dom';

const PATH_HELP: Record<string, string> = {
  hybrid: 'collaborative and content scores blended by w_u',
  collab: 'collaborative filtering only',
  content: 'content similarity to the history only',
  popularity: 'no usable history: most popular items',
};

export function recSummary(r: Recommendations): HTMLElement {
  const w = Number.isFinite(r.weight) ? r.weight : 0;
  return h('div', { class: 'rec-summary', testid: 'rec-summary' },
    h('span', { class: `badge path-${r.path}`, testid: 'rec-path', title: PATH_HELP[r.path] ?? '' }, `path: ${r.path}`),
    h('span', { class: 'stat', testid: 'rec-weight' }, 'w', h('sub', {}, 'u'), ` = ${fmt(w, 2)}`),
    h('span', { class: 'weightbar', title: `collaborative ${fmt(w, 2)} / content ${fmt(1 - w, 2)}` },
      h('span', { class: 'collab', style: `width:${Math.round(Math.max(0, Math.min(1, w)) * 100)}%` })),
    r.popularity_weight ? h('span', { class: 'stat' }, 'm', h('sub', {}, 'u'), ` = ${fmt(r.popularity_weight, 2)}`) : null,
    h('span', { class: 'stat', testid: 'rec-history-size' }, `history: ${r.history_size}`),
    h('span', { class: 'stat muted' }, r.known ? 'known user' : 'new / anonymous user'),
    r.model_version ? h('span', { class: 'stat muted' }, `model ${r.model_version}`) : null);
}

function explanation(it: RecItem): HTMLElement | null {
  const ex = it.explanation;
  if (!ex) return null;
  const chips: HTMLElement[] = [];
  const seen = new Set<string>();
  const add = (list: Contribution[] | undefined, kind: string, n: number) => {
    for (const c of (list ?? []).slice(0, n)) {
      if (seen.has(c.item.id)) continue;
      seen.add(c.item.id);
      chips.push(h('span', { class: `because-item ${kind}`, testid: 'because-item', title: `${kind} contribution` },
        itemLink(c.item), h('span', { class: 'contrib' }, ` ${kind} ${fmt(c.contribution, 2)}`)));
    }
  };
  add(ex.content, 'content', 2);
  add(ex.collab, 'collab', 2);
  if (!chips.length) return null;
  return h('div', { class: 'because', testid: 'explanation' }, h('span', { class: 'because-lead' }, 'Because you watched '), chips);
}

export function recList(r: Recommendations): HTMLElement {
  if (!r.items.length) return h('p', { class: 'muted', testid: 'rec-empty' }, 'No recommendations.');
  return h('ol', { class: 'rec-list', testid: 'rec-list' }, r.items.map((it) =>
    h('li', { class: 'rec-item card', testid: 'rec-item', 'data-item-id': it.item.id },
      h('div', { class: 'rec-head' },
        h('span', { class: 'rank' }, String(it.rank)),
        h('span', { class: 'title', testid: 'rec-title' }, itemLink(it.item)),
        h('span', { class: 'score', title: 'final score' }, fmt(it.score))),
      genreTags(it.item.genres),
      h('div', { class: 'components', testid: 'rec-components' },
        h('span', { title: 'raw collaborative score' }, `collab ${fmt(it.collab)}`),
        h('span', { title: 'z-scored collaborative' }, `z ${fmt(it.z_collab, 2)}`),
        h('span', { class: 'sep' }, '·'),
        h('span', { title: 'raw content score (cosine)' }, `content ${fmt(it.content)}`),
        h('span', { title: 'z-scored content' }, `z ${fmt(it.z_content, 2)}`)),
      explanation(it))));
}
