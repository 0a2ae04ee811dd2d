const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/**
 * Escapes text for an XML attribute value or element content (XML 1.0 §2.4, §3.3.3). Characters
 * XML 1.0 cannot carry at all (C0 controls other than tab, LF, CR; lone surrogates; U+FFFE/FFFF)
 * become U+FFFD rather than produce an ill-formed document.
 */
export function escapeXml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
    .replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/** One XML element: name, attributes (undefined ones left out) and children (elements or text). */
export interface XmlElement {
  readonly name: string;
  readonly attrs?: Readonly<Record<string, string | number | undefined>>;
  readonly children?: readonly (XmlElement | string)[];
}

/** Serializes an element tree, two spaces per level; attribute values and text are escaped. */
export function renderXml(root: XmlElement): string {
  const lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const walk = (el: XmlElement, depth: number): void => {
    const pad = '  '.repeat(depth);
    const attrs = Object.entries(el.attrs ?? {})
      .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
      .map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`)
      .join('');
    const children = el.children ?? [];
    if (children.length === 0) {
      lines.push(`${pad}<${el.name}${attrs}/>`);
    } else if (children.length === 1 && typeof children[0] === 'string') {
      lines.push(`${pad}<${el.name}${attrs}>${escapeXml(children[0])}</${el.name}>`);
    } else {
      lines.push(`${pad}<${el.name}${attrs}>`);
      for (const child of children) {
        if (typeof child === 'string') lines.push(`${pad}  ${escapeXml(child)}`);
        else walk(child, depth + 1);
      }
      lines.push(`${pad}</${el.name}>`);
    }
  };
  walk(root, 0);
  return lines.join('\n') + '\n';
}
