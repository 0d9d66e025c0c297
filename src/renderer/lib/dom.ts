/**
 * Building the pages' DOM from data. Every text goes in through `textContent`: nothing that comes
 * from status.json, an env file or a log is ever parsed as HTML.
 */

type Child = Node | string | null | undefined | false;

export interface ElementProps {
  className?: string;
  id?: string;
  text?: string;
  title?: string;
  attrs?: Record<string, string>;
}

/** Creates an element with text children only (strings become text nodes). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: ElementProps = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props.className) element.className = props.className;
  if (props.id) element.id = props.id;
  if (props.title) element.title = props.title;
  if (props.text !== undefined) element.textContent = props.text;
  for (const [name, value] of Object.entries(props.attrs ?? {})) element.setAttribute(name, value);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }

  return element;
}

/** Replaces the children of an element. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren(
    ...children.filter(
      (child): child is Node | string => child !== null && child !== undefined && child !== false,
    ),
  );
}

/** The element with this id; the pages are static, so a missing one is a build error. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no element #${id}`);

  return element as T;
}

/** A button that runs `action` and stays disabled until it has finished. */
export function button(
  label: string,
  action: () => Promise<unknown> | void,
  props: ElementProps = {},
): HTMLButtonElement {
  const element = h('button', { ...props, text: label, attrs: { type: 'button', ...props.attrs } });
  element.addEventListener('click', async () => {
    element.disabled = true;
    try {
      await action();
    } finally {
      element.disabled = false;
    }
  });

  return element;
}

/** One `term: value` row of a definition list. */
export function fact(term: string, value: string, valueClass?: string): Node[] {
  return [h('dt', { text: term }), h('dd', { text: value, className: valueClass })];
}

/** Shows a message in the page's message line: `info`, `success` or `error`. */
export function showMessage(
  element: HTMLElement,
  text: string,
  kind: 'info' | 'success' | 'error' = 'info',
): void {
  element.textContent = text;
  element.dataset.kind = kind;
  element.hidden = text.length === 0;
}
