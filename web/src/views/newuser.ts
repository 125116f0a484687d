// "New user" view: pick a few films; recommendations are recomputed after each pick, either
// anonymously (POST /v1/recommendations, nothing stored) or as events of a generated user id
// (POST /v1/events, then GET /v1/users/{id}/recommendations).
import { api, type ItemRef, type PickedItem } from '../api';
import { clear, errorBox, genreTags, h, itemLink, loading } from '../dom';
import { recList, recSummary } from '../recs';

interface Pick extends PickedItem { item: ItemRef }

const state = {
  picks: [] as Pick[],
  useEvents: false,
  userId: newUserId(),
  query: '',
  generation: 0,
};

function newUserId(): string {
  const rnd = Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, '0')).join('');
  return `web-${rnd}`;
}

/** Adds an item to the picks from elsewhere (item view); returns false when already picked. */
export function addPickFromElsewhere(item: ItemRef): boolean {
  if (state.picks.some((p) => p.id === item.id)) return false;
  state.picks.push({ id: item.id, strength: 5, item });
  return true;
}

export function renderNewUser(root: HTMLElement): void {
  const status = h('div', { class: 'muted small', testid: 'newuser-status' });
  const recBox = h('div', { testid: 'newuser-recs' });
  const picksBox = h('div', {});
  const results = h('div', {});
  const search = h('input', { type: 'search', placeholder: 'find a film, e.g. star wars', testid: 'newuser-search',
    value: state.query, 'aria-label': 'find a film' }) as HTMLInputElement;
  const eventsToggle = h('input', { type: 'checkbox', testid: 'newuser-events-toggle', checked: state.useEvents }) as HTMLInputElement;

  const refresh = async () => {
    const gen = ++state.generation;
    if (!state.picks.length) {
      clear(status, 'Pick a film to get recommendations.');
      clear(recBox);
      return;
    }
    clear(status, `Updating after ${state.picks.length} pick${state.picks.length > 1 ? 's' : ''}…`);
    try {
      const recs = state.useEvents
        ? await api.userRecs(state.userId, 10)
        : await api.anonRecs(state.picks.map(({ id, strength }) => ({ id, strength })), 10);
      if (gen !== state.generation) return;  // a newer pick superseded this reply
      status.setAttribute('data-picks', String(state.picks.length));
      clear(status, `Recommendations after ${state.picks.length} pick${state.picks.length > 1 ? 's' : ''}`,
        state.useEvents ? ` (events of user ${state.userId})` : ' (anonymous, nothing stored)');
      clear(recBox, recSummary(recs), recList(recs));
    } catch (e) {
      if (gen !== state.generation) return;
      clear(status);
      clear(recBox, errorBox(e, 'Recommendations'));
    }
  };

  const drawPicks = () => {
    clear(picksBox, state.picks.length
      ? h('ul', { class: 'picks', testid: 'newuser-picks' }, state.picks.map((p) => {
        const sel = h('select', { 'aria-label': 'strength', testid: 'newuser-strength', disabled: state.useEvents,
          onchange: ((ev: Event) => { p.strength = Number((ev.target as HTMLSelectElement).value); void refresh(); }) as EventListener },
          [1, 2, 3, 4, 5].map((s) => h('option', { value: s, selected: s === p.strength }, `★ ${s}`)));
        return h('li', { class: 'pick', testid: 'newuser-pick', 'data-item-id': p.id },
          itemLink(p.item), sel,
          state.useEvents ? null : h('button', { class: 'icon', title: 'remove', testid: 'newuser-remove',
            onclick: () => { state.picks = state.picks.filter((q) => q !== p); drawPicks(); void refresh(); } }, '×'));
      }))
      : h('p', { class: 'muted', testid: 'newuser-nopicks' }, 'No films picked yet.'));
  };

  const add = async (item: ItemRef) => {
    if (state.picks.some((p) => p.id === item.id)) return;
    if (state.useEvents) {
      try {
        await api.postEvents([{ user: state.userId, item: item.id, strength: 5 }]);
      } catch (e) {
        clear(recBox, errorBox(e, 'Recording the pick'));
        return;
      }
    }
    state.picks.push({ id: item.id, strength: 5, item });
    drawPicks();
    await refresh();
  };

  const runSearch = async () => {
    const q = search.value.trim();
    state.query = q;
    if (!q) { clear(results); return; }
    clear(results, loading('Searching…'));
    try {
      const r = await api.search(q, 8);
      clear(results, r.items.length
        ? h('ul', { class: 'results', testid: 'newuser-results' }, r.items.map((x) =>
          h('li', { class: 'result', testid: 'newuser-result', 'data-item-id': x.item.id },
            h('button', { class: 'add', testid: 'newuser-add', title: 'add to my films',
              disabled: state.picks.some((p) => p.id === x.item.id),
              onclick: (ev: Event) => { (ev.currentTarget as HTMLButtonElement).disabled = true; void add(x.item); } }, '+ Add'),
            h('div', { class: 'body' }, h('div', { class: 'title' }, x.item.title), genreTags(x.item.genres)))))
        : h('p', { class: 'muted' }, 'Nothing found.'));
    } catch (e) {
      clear(results, errorBox(e, 'Search'));
    }
  };

  eventsToggle.addEventListener('change', () => {
    state.useEvents = eventsToggle.checked;
    state.picks = [];
    state.userId = newUserId();
    renderNewUser(root);
  });

  clear(root, h('section', { class: 'view', testid: 'view-newuser' },
    h('h1', {}, 'Start as a new user'),
    h('p', { class: 'muted' }, 'Find films you like and add them; the recommendations are recomputed after every pick.'),
    h('div', { class: 'columns' },
      h('div', { class: 'col' },
        h('form', { class: 'toolbar', onsubmit: ((ev: Event) => { ev.preventDefault(); void runSearch(); }) as EventListener },
          search, h('button', { type: 'submit', testid: 'newuser-search-go' }, 'Find')),
        results,
        h('h2', {}, 'My films'),
        picksBox,
        h('label', { class: 'toggle small' }, eventsToggle,
          ` store picks as events of user ${state.userId} (POST /v1/events)`),
        state.picks.length ? h('button', { class: 'link', testid: 'newuser-clear',
          onclick: () => { state.picks = []; state.userId = newUserId(); renderNewUser(root); } }, 'start over') : null),
      h('div', { class: 'col recs-col' }, h('h2', {}, 'Recommended for you'), status, recBox))));
  drawPicks();
  if (state.query) void runSearch();
  void refresh();
  search.focus();
}
