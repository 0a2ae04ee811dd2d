// Tiny DOM helpers shared by the dashboard's modules.

export const $ = (id) => document.getElementById(id);

/** `h('td', { dataset: { testid: 'x' } }, 'text', child)`: an element with props and children. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v);
  }
  el.append(...children.filter((c) => c !== null && c !== undefined));
  return el;
}

export function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}
