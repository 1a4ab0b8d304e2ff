// Builds DOM nodes from data. Text always goes in as text nodes (never HTML), so nothing an agent
// or a tool put in a record can become markup on the page.
export type Child = Node | string | number | null | undefined | false | Child[];
export type Attributes = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value);
    else if (name === 'class') element.className = String(value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(typeof child === 'string' || typeof child === 'number' ? text(String(child)) : child);
  }
}

export function text(value: string): Text {
  return document.createTextNode(value);
}

export function clear(element: Element): void {
  while (element.firstChild) element.removeChild(element.firstChild);
}

/** A section with a heading; `id` labels it for assistive technology. */
export function section(title: string, ...children: Child[]): HTMLElement {
  const id = `s-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${Math.random().toString(36).slice(2, 7)}`;
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), ...children);
}

/** What a view shows when its supervisor has no data yet: what is missing and how to fill it. */
export function empty(what: string, how: string): HTMLElement {
  return h(
    'div',
    { class: 'empty', role: 'note' },
    h('p', { class: 'empty-what' }, what),
    h('p', { class: 'empty-how' }, how),
  );
}

export function errorBox(message: string): HTMLElement {
  return h('div', { class: 'error', role: 'alert' }, message);
}

export interface Column<Row> {
  label: string;
  value(row: Row): Child;
  /** Right-aligned numbers. */
  numeric?: boolean;
}

export function table<Row>(
  caption: string,
  columns: Column<Row>[],
  rows: Row[],
  options: { rowClick?: (row: Row) => void; testId?: string } = {},
): HTMLElement {
  const body = h('tbody');
  if (rows.length === 0)
    body.appendChild(h('tr', {}, h('td', { colspan: columns.length, class: 'muted' }, 'None yet.')));
  for (const row of rows) {
    const tr = h(
      'tr',
      {},
      columns.map((column) => h('td', column.numeric ? { class: 'num' } : {}, column.value(row))),
    );
    if (options.rowClick) {
      tr.tabIndex = 0;
      tr.classList.add('clickable');
      tr.addEventListener('click', () => options.rowClick!(row));
      tr.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          options.rowClick!(row);
        }
      });
    }
    body.appendChild(tr);
  }
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      options.testId ? { 'data-testid': options.testId } : {},
      h('caption', {}, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          columns.map((column) => h('th', { scope: 'col', ...(column.numeric ? { class: 'num' } : {}) }, column.label)),
        ),
      ),
      body,
    ),
  );
}

/** A figure with a label and a value, e.g. "Saving $1.23". */
export function tile(label: string, value: string, detail?: string, testId?: string): HTMLElement {
  return h(
    'div',
    { class: 'tile', ...(testId ? { 'data-testid': testId } : {}) },
    h('div', { class: 'tile-label' }, label),
    h('div', { class: 'tile-value' }, value),
    detail ? h('div', { class: 'tile-detail' }, detail) : null,
  );
}

/** A horizontal bar whose width is a share (0..1), with the figure beside it as text. */
export function bar(share: number, label: string): HTMLElement {
  const fill = h('span', { class: 'bar-fill' });
  fill.style.width = `${Math.max(0, Math.min(1, share)) * 100}%`;
  return h('span', { class: 'bar', role: 'img', 'aria-label': label }, fill, h('span', { class: 'bar-label' }, label));
}
