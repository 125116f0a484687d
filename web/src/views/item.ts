// "Item" view: one item and its similar items in the three modes (content, collab, hybrid).
import { api, type Item } from '../api';
import { clear, errorBox, fmt, genreTags, h, itemLink, loading } from '../dom';
import { addPickFromElsewhere } from './newuser';

const MODES = [
  { mode: 'content', label: 'Content', help: 'cosine of the text embeddings' },
  { mode: 'collab', label: 'Collaborative', help: 'cosine of the ALS item factors' },
  { mode: 'hybrid', label: 'Hybrid', help: 'both signals blended' },
];
let currentMode = 'content';

export function renderItem(root: HTMLElement, itemId: string | null): void {
  const input = h('input', { type: 'search', placeholder: 'item id, e.g. 50', testid: 'item-input',
    value: itemId ?? '', 'aria-label': 'item id' }) as HTMLInputElement;
  const body = h('div', {});
  clear(root, h('section', { class: 'view', testid: 'view-item' },
    h('form', { class: 'toolbar', onsubmit: ((ev: Event) => {
      ev.preventDefault();
      const id = input.value.trim();
      if (id) location.hash = `item=${encodeURIComponent(id)}`;
    }) as EventListener }, h('label', {}, 'Item ', input), h('button', { type: 'submit', testid: 'item-load' }, 'Open')),
    body));
  if (!itemId) {
    clear(body, h('p', { class: 'muted' }, 'Open an item by id, or click any title on the other pages.'));
    return;
  }
  clear(body, loading());
  api.item(itemId).then((item) => drawItem(body, item)).catch((e) => clear(body, errorBox(e, `Loading item ${itemId}`)));
}

function drawItem(body: HTMLElement, item: Item): void {
  const simBox = h('div', {});
  const tabs = h('div', { class: 'subtabs', role: 'tablist', testid: 'similar-tabs' });
  const pickBtn = h('button', { class: 'secondary', testid: 'item-pick', onclick: () => {
    const added = addPickFromElsewhere(item);
    pickBtn.textContent = added ? 'Added to my films ✓' : 'Already in my films';
  } }, '+ Add to my films (New user)');
  const drawTabs = () => clear(tabs, MODES.map((m) => h('button', {
    role: 'tab', class: m.mode === currentMode ? 'active' : '', 'aria-selected': String(m.mode === currentMode),
    testid: `similar-tab-${m.mode}`, title: m.help,
    onclick: () => { currentMode = m.mode; drawTabs(); void loadSimilar(); } }, m.label)));
  const loadSimilar = async () => {
    const mode = currentMode;
    clear(simBox, loading());
    try {
      const s = await api.similar(item.id, mode, 10);
      if (mode !== currentMode) return;
      clear(simBox, s.items.length
        ? h('ol', { class: 'similar-list', testid: 'similar-list', 'data-mode': s.mode }, s.items.map((x) =>
          h('li', { class: 'similar-item', testid: 'similar-item', 'data-item-id': x.item.id },
            h('div', { class: 'rec-head' }, h('span', { class: 'title' }, itemLink(x.item)),
              h('span', { class: 'score' }, fmt(x.score))),
            genreTags(x.item.genres),
            h('div', { class: 'components' }, `content ${fmt(x.content)}`, h('span', { class: 'sep' }, '·'),
              `collab ${fmt(x.collab)}`))))
        : h('p', { class: 'muted', testid: 'similar-empty' }, `No similar items in ${mode} mode.`));
    } catch (e) {
      if (mode === currentMode) clear(simBox, errorBox(e, `Similar items (${mode})`));
    }
  };
  clear(body,
    h('div', { class: 'card item-card', testid: 'item-card', 'data-item-id': item.id },
      h('h1', { testid: 'item-title' }, item.title),
      genreTags(item.genres),
      h('dl', { class: 'facts' },
        h('dt', {}, 'id'), h('dd', {}, item.id),
        item.popularity !== undefined ? [h('dt', {}, 'ratings'), h('dd', { testid: 'item-popularity' }, String(item.popularity))] : null,
        item.has_factor !== undefined ? [h('dt', {}, 'ALS factor'), h('dd', {}, item.has_factor ? 'yes' : 'no (cold item)')] : null,
        item.source ? [h('dt', {}, 'source'), h('dd', {}, item.source)] : null,
        item.tags?.length ? [h('dt', {}, 'tags'), h('dd', {}, item.tags.join(', '))] : null),
      pickBtn),
    h('h2', {}, 'Similar items'), tabs, simBox);
  drawTabs();
  void loadSimilar();
}

