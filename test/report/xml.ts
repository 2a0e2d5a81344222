/**
 * A strict little XML parser for tests: enough of XML 1.0 to prove an SVG is well formed
 * (one root, balanced tags, quoted unique attributes, only the five predefined entities
 * and numeric references, no control characters) and to query its elements. Throws on
 * anything else. Not a test file itself.
 */

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_:][A-Za-z0-9_.:-]*/;

function decode(text: string, where: number): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(text)) throw new Error(`control character in text near ${where}`);
  if (/&(?![A-Za-z]+;|#[0-9]+;|#x[0-9A-Fa-f]+;)/.test(text)) throw new Error(`bare & near ${where}`);
  return text.replace(/&([^;]*);/g, (_, entity: string) => {
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (entity in named) return named[entity];
    if (/^#x[0-9A-Fa-f]+$/.test(entity)) return String.fromCodePoint(parseInt(entity.slice(2), 16));
    if (/^#[0-9]+$/.test(entity)) return String.fromCodePoint(parseInt(entity.slice(1), 10));
    throw new Error(`unknown entity &${entity}; near ${where}`);
  });
}

/** Parses `text` (an optional XML declaration / DOCTYPE is skipped) into its root element. */
export function parseXml(text: string): XmlElement {
  let i = 0;
  const skipSpace = (): void => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const skipMisc = (): void => {
    for (;;) {
      skipSpace();
      if (text.startsWith('<?', i)) i = text.indexOf('?>', i) + 2;
      else if (text.startsWith('<!--', i)) i = text.indexOf('-->', i) + 3;
      else if (text.startsWith('<!DOCTYPE', i)) i = text.indexOf('>', i) + 1;
      else return;
      if (i <= 1) throw new Error('unterminated declaration');
    }
  };
  const parseElement = (): XmlElement => {
    if (text[i] !== '<') throw new Error(`expected < at ${i}`);
    i++;
    const name = NAME.exec(text.slice(i))?.[0];
    if (name === undefined) throw new Error(`bad tag name at ${i}`);
    i += name.length;
    const element: XmlElement = { name, attributes: {}, children: [], text: '' };
    for (;;) {
      skipSpace();
      if (text.startsWith('/>', i)) {
        i += 2;
        return element;
      }
      if (text[i] === '>') {
        i++;
        break;
      }
      const attribute = NAME.exec(text.slice(i))?.[0];
      if (attribute === undefined) throw new Error(`bad attribute at ${i} in <${name}>`);
      i += attribute.length;
      skipSpace();
      if (text[i] !== '=') throw new Error(`expected = after ${attribute} at ${i}`);
      i++;
      skipSpace();
      const quote = text[i];
      if (quote !== '"' && quote !== "'") throw new Error(`unquoted attribute ${attribute} at ${i}`);
      const end = text.indexOf(quote, i + 1);
      if (end < 0) throw new Error(`unterminated attribute ${attribute}`);
      const raw = text.slice(i + 1, end);
      if (raw.includes('<')) throw new Error(`< in attribute ${attribute}`);
      if (attribute in element.attributes) throw new Error(`duplicate attribute ${attribute} in <${name}>`);
      element.attributes[attribute] = decode(raw, i);
      i = end + 1;
    }
    for (;;) {
      const next = text.indexOf('<', i);
      if (next < 0) throw new Error(`unclosed <${name}>`);
      element.text += decode(text.slice(i, next), i);
      i = next;
      if (text.startsWith('</', i)) {
        i += 2;
        if (!text.startsWith(name, i)) throw new Error(`mismatched </…> for <${name}> at ${i}`);
        i += name.length;
        skipSpace();
        if (text[i] !== '>') throw new Error(`bad end tag at ${i}`);
        i++;
        return element;
      }
      if (text.startsWith('<!--', i)) {
        i = text.indexOf('-->', i) + 3;
        continue;
      }
      element.children.push(parseElement());
    }
  };
  skipMisc();
  const root = parseElement();
  skipMisc();
  if (i < text.length) throw new Error(`content after the root element at ${i}`);
  return root;
}

/** Every element below (and including) `root`, depth first. */
export function allElements(root: XmlElement): XmlElement[] {
  const out: XmlElement[] = [root];
  for (const child of root.children) out.push(...allElements(child));
  return out;
}

/** Elements named `name` whose class list contains every class in `classes`. */
export function select(root: XmlElement, name: string, ...classes: string[]): XmlElement[] {
  return allElements(root).filter((element) => {
    if (element.name !== name) return false;
    const list = (element.attributes.class ?? '').split(/\s+/);
    return classes.every((c) => list.includes(c));
  });
}

/** The text of every <text> element. */
export function texts(root: XmlElement): string[] {
  return select(root, 'text').map((element) => element.text);
}
