// "User" view: pick a user by id, see the history and explained recommendations.
import { api, type HistoryEntry } from '../api';
import { clear, errorBox, genreTags, h, itemLink, loading } from '../dom';
import { recList, recSummary } from '../recs';

const HISTORY_SHOWN = 15;

function historyList(entries: HistoryEntry[], showAll: boolean): HTMLElement {
  const shown = showAll ? entries : entries.slice(0, HISTORY_SHOWN);
  return h('ul', { class: 'history', testid: 'history' }, shown.map((e) =>
    h('li', { class: 'history-item', testid: 'history-item', 'data-item-id': e.item.id },
      h('div', {}, itemLink(e.item),
        e.source === 'event' ? h('span', { class: 'badge event', testid: 'history-event' }, 'event') : null),
      h('div', { class: 'meta' },
        genreTags(e.item.genres),
        h('span', { class: 'strength', title: 'strength (rating)' }, `★ ${e.strength}`),
        e.timestamp ? h('span', { class: 'muted' }, new Date(e.timestamp * 1000).toISOString().slice(0, 10)) : null))));
}

export function renderUser(root: HTMLElement, userId: string | null): void {
  const input = h('input', { type: 'search', placeholder: 'user id, e.g. 1', testid: 'user-input',
    value: userId ?? '', 'aria-label': 'user id' }) as HTMLInputElement;
  const form = h('form', { class: 'toolbar', testid: 'user-form',
    onsubmit: ((ev: Event) => {
      ev.preventDefault();
      const id = input.value.trim();
      if (id) location.hash = `user=${encodeURIComponent(id)}`;
    }) as EventListener },
    h('label', {}, 'User ', input), h('button', { type: 'submit', testid: 'user-load' }, 'Show'));
  const body = h('div', { class: 'columns' });
  clear(root, h('section', { class: 'view', testid: 'view-user' },
    h('h1', {}, 'Recommendations for a user'),
    h('p', { class: 'muted' }, 'Type a user id from the training data (or any new id: it gets the cold-start path).'),
    form, body));
  input.focus();
  if (!userId) return;

  clear(body, loading());
  Promise.all([api.user(userId), api.userRecs(userId, 10)]).then(([user, recs]) => {
    const histBox = h('div', {});
    let showAll = false;
    const drawHistory = () => {
      clear(histBox,
        user.history.length ? historyList(user.history, showAll)
          : h('p', { class: 'muted', testid: 'history-empty' }, 'No history: this user is unknown.'),
        user.history.length > HISTORY_SHOWN
          ? h('button', { class: 'link', testid: 'history-toggle', onclick: () => { showAll = !showAll; drawHistory(); } },
            showAll ? 'show fewer' : `show all ${user.history.length}`)
          : null);
    };
    drawHistory();
    clear(body,
      h('div', { class: 'col history-col' },
        h('h2', { testid: 'user-heading' }, `User ${user.user}`, ' ',
          h('span', { class: 'muted small' }, `${user.history.length} rated${user.events_since_training ? `, ${user.events_since_training} since training` : ''}`)),
        histBox),
      h('div', { class: 'col recs-col', testid: 'user-recs' },
        h('h2', {}, 'Recommended'), recSummary(recs), recList(recs)));
  }).catch((e) => clear(body, errorBox(e, `Loading user ${userId}`)));
}
