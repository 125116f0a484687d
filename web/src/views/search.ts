// "Search" view: free-text semantic search over the catalogue (GET /v1/search).
import { api } from '../api';
import { clear, errorBox, fmt, genreTags, h, itemLink, loading } from '../dom';

export function renderSearch(root: HTMLElement, query: string | null): void {
  const input = h('input', { type: 'search', placeholder: 'e.g. space adventure, romantic comedy, 1950s noir',
    testid: 'search-input', value: query ?? '', 'aria-label': 'search the catalogue' }) as HTMLInputElement;
  const results = h('div', {});
  clear(root, h('section', { class: 'view', testid: 'view-search' },
    h('h1', {}, 'Search the catalogue'),
    h('form', { class: 'toolbar', onsubmit: ((ev: Event) => {
      ev.preventDefault();
      const q = input.value.trim();
      if (q) location.hash = `search=${encodeURIComponent(q)}`;
    }) as EventListener }, input, h('button', { type: 'submit', testid: 'search-go' }, 'Search')),
    results));
  input.focus();
  if (!query) return;
  clear(results, loading('Searching…'));
  api.search(query, 20).then((r) => {
    clear(results, r.items.length
      ? h('ol', { class: 'results', testid: 'search-results' }, r.items.map((x) =>
        h('li', { class: 'result', testid: 'search-result', 'data-item-id': x.item.id },
          itemLink(x.item), genreTags(x.item.genres),
          h('span', { class: 'score', title: 'similarity to the query' }, fmt(x.score)))))
      : h('p', { class: 'muted', testid: 'search-empty' }, `Nothing found for “${query}”.`));
  }).catch((e) => clear(results, errorBox(e, 'Search')));
}
