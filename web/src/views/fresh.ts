// "Fresh items" view: the items added to the running service (POST /v1/items), newest first,
// and how often the recommendation lists it served included them (GET /v1/items/fresh).
// Loaded each time the view is opened, and again with the Refresh button.
import { api, type FreshItem, type FreshItems } from '../api';
import { clear, errorBox, genreTags, h, itemLink, loading } from '../dom';

const K = 50;

/** "14:02:11" today, else "2024-05-03 14:02". */
function when(seconds: number): string {
  const d = new Date(seconds * 1000);
  const now = new Date();
  if (d.toDateString() === now.toDateString()) return d.toLocaleTimeString([], { hour12: false });
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "just now", "5 min ago", "3 h ago", "2 days ago". */
function ago(seconds: number): string {
  const s = Math.max(0, Date.now() / 1000 - seconds);
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  const days = Math.floor(s / 86400);
  return `${days} day${days > 1 ? 's' : ''} ago`;
}

function percent(part: number, whole: number): string {
  if (!whole) return '';
  const p = (100 * part) / whole;
  return p > 0 && p < 0.1 ? '<0.1 %' : `${p.toFixed(1)} %`;
}

function row(it: FreshItem, listsServed: number): HTMLElement {
  const served = it.lists > 0;
  return h('tr', { class: served ? 'fresh-row' : 'fresh-row unserved', testid: 'fresh-row', 'data-item-id': it.item.id },
    h('th', { scope: 'row' }, itemLink(it.item), ' ', genreTags(it.item.genres)),
    h('td', { title: new Date(it.added_at * 1000).toISOString() },
      when(it.added_at), h('div', { class: 'muted small' }, ago(it.added_at))),
    h('td', { testid: 'fresh-lists', 'data-value': it.lists },
      served ? String(it.lists) : h('span', { class: 'badge not-served' }, 'not served yet'),
      served ? h('div', { class: 'muted small', title: 'share of all lists served' }, percent(it.lists, listsServed)) : null),
    h('td', { testid: 'fresh-users', 'data-value': it.users,
      title: it.users_capped ? 'the count stopped at its cap: at least this many users' : 'distinct known users' },
    it.users_capped ? `≥ ${it.users}` : String(it.users)),
    h('td', { testid: 'fresh-best-rank', 'data-value': it.best_rank ?? '' },
      it.best_rank === null ? '—' : `#${it.best_rank}`));
}

function draw(body: HTMLElement, f: FreshItems): void {
  const summary = h('p', { class: 'fresh-summary', testid: 'fresh-summary' },
    h('strong', {}, `${f.items_added}`), ` item${f.items_added === 1 ? '' : 's'} added since training · `,
    h('strong', {}, `${f.lists_served}`), ` recommendation list${f.lists_served === 1 ? '' : 's'} served since `,
    h('span', { title: new Date(f.counting_since * 1000).toISOString() }, when(f.counting_since)),
    h('span', { class: 'muted' }, ` · updated ${new Date().toLocaleTimeString([], { hour12: false })}`));
  if (!f.items.length) {
    clear(body, summary, h('p', { class: 'muted', testid: 'fresh-empty' },
      'No items have been added since the model was trained. Items added with POST /v1/items appear here.'));
    return;
  }
  const shown = f.items.length < f.items_added ? h('p', { class: 'muted small' }, `The ${f.items.length} newest are shown.`) : null;
  clear(body, summary,
    h('table', { class: 'metrics fresh-table', testid: 'fresh-table' },
      h('thead', {}, h('tr', {},
        h('th', {}, 'Item'), h('th', {}, 'Added'),
        h('th', { title: 'recommendation lists that included the item' }, 'Lists'),
        h('th', { title: 'distinct known users whose lists included it (anonymous lists are not users)' }, 'Users'),
        h('th', { title: 'its best (smallest) rank in those lists' }, 'Best rank'))),
      h('tbody', {}, f.items.map((it) => row(it, f.lists_served)))),
    shown);
}

export function renderFresh(root: HTMLElement): void {
  const body = h('div', {});
  const load = () => {
    clear(body, loading());
    api.freshItems(K).then((f) => draw(body, f)).catch((e) => clear(body, errorBox(e, 'Loading the fresh items')));
  };
  clear(root, h('section', { class: 'view', testid: 'view-fresh' },
    h('div', { class: 'card-head' },
      h('h1', {}, 'Fresh items'),
      h('button', { class: 'secondary', testid: 'fresh-refresh', onclick: load }, 'Refresh')),
    h('p', { class: 'muted' }, 'Items added to the running service, newest first, and whether they reach users: ',
      'how many of the recommendation lists it served included them, for how many distinct users, and at which best rank. ',
      'The counts are kept in memory since the server started, and start again from zero when it restarts.'),
    body));
  load();
}
