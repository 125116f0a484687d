// Entry point: hash router over the eight views and the model line in the header.
import './style.css';
import { api } from './api';
import { disposeCharts } from './charts';
import { h } from './dom';
import { renderEval } from './views/eval';
import { renderExperiments } from './views/experiments';
import { renderFresh } from './views/fresh';
import { renderItem } from './views/item';
import { renderMap } from './views/map';
import { renderNewUser } from './views/newuser';
import { renderSearch } from './views/search';
import { renderUser } from './views/user';

const app = document.getElementById('app')!;

/** '#item=50' → ['item', '50']; '#eval' → ['eval', null]. */
function parseHash(): [string, string | null] {
  const raw = location.hash.replace(/^#/, '');
  const eq = raw.indexOf('=');
  if (eq < 0) return [raw || 'user', null];
  return [raw.slice(0, eq), decodeURIComponent(raw.slice(eq + 1))];
}

function route(): void {
  const [view, arg] = parseHash();
  disposeCharts();
  document.querySelectorAll<HTMLAnchorElement>('.tabs a').forEach((a) =>
    a.classList.toggle('active', a.dataset.view === view));
  switch (view) {
    case 'new': renderNewUser(app); break;
    case 'search': renderSearch(app, arg); break;
    case 'item': renderItem(app, arg); break;
    case 'eval': renderEval(app); break;
    case 'map': renderMap(app); break;
    case 'fresh': renderFresh(app); break;
    case 'experiments': renderExperiments(app); break;
    default: renderUser(app, arg);
  }
  app.setAttribute('data-view', view);
}

window.addEventListener('hashchange', route);
// A tab pointing at the view already open loads it again (no hashchange fires for it).
document.querySelectorAll<HTMLAnchorElement>('.tabs a').forEach((a) => a.addEventListener('click', () => {
  if (location.hash === a.getAttribute('href')) route();
}));
route();

const info = document.querySelector<HTMLElement>('[data-testid="model-info"]')!;
api.model().then((m) => {
  info.replaceChildren(h('span', { title: m.path ?? '' },
    `model ${m.model_version} · ${m.num_users} users · ${m.num_items} items`,
    m.encoder ? ` · ${m.encoder.name}-${m.encoder.dim}` : ''));
}).catch((e) => {
  info.replaceChildren(h('span', { class: 'error-inline', testid: 'model-error' }, `model: ${(e as Error).message}`));
});
