// A small, strict XML 1.0 reader for tests: it throws on anything a conforming parser would refuse
// (bad characters, unknown or malformed references, unbalanced or crossed tags, stray markup,
// duplicate attributes, several roots) and returns the element tree with references decoded.

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's own character data, concatenated and decoded. */
  text: string;
}

const NOT_XML_CHAR = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;
const NAME = /^[A-Za-z_:][\w.:-]*/;
const NAMED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decode(raw: string, where: number): string {
  return raw.replace(/&([^;&\s]*);?/g, (whole, ref: string) => {
    if (!whole.endsWith(";")) throw new Error(`bare '&' at ${where}`);
    if (ref in NAMED) return NAMED[ref] as string;
    const m = /^#(?:x([0-9a-fA-F]+)|([0-9]+))$/.exec(ref);
    if (!m) throw new Error(`unknown reference &${ref}; at ${where}`);
    const cp = m[1] ? Number.parseInt(m[1], 16) : Number(m[2]);
    const ch = cp <= 0x10ffff ? String.fromCodePoint(cp) : "";
    if (!ch || NOT_XML_CHAR.test(ch)) throw new Error(`reference to a character XML forbids (&${ref};)`);
    return ch;
  });
}

export function parseXml(xml: string): XmlElement {
  const bad = NOT_XML_CHAR.exec(xml);
  if (bad)
    throw new Error(`character U+${bad[0].codePointAt(0)?.toString(16)} is not allowed at ${bad.index}`);
  let i = 0;
  const decl = /^<\?xml\s+version="1\.[0-9]"(\s+encoding="[A-Za-z0-9._-]+")?\s*\?>/.exec(xml);
  if (decl) i = decl[0].length;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < xml.length) {
    if (xml.startsWith("<!--", i)) {
      const end = xml.indexOf("-->", i + 4);
      if (end === -1) throw new Error("unclosed comment");
      i = end + 3;
      continue;
    }
    if (xml.startsWith("</", i)) {
      const m = /^<\/([A-Za-z_:][\w.:-]*)\s*>/.exec(xml.slice(i));
      const open = stack.pop();
      if (!m || !open || open.name !== m[1]) throw new Error(`mismatched close tag at ${i}`);
      i += m[0].length;
      continue;
    }
    if (xml[i] === "<") {
      const name = NAME.exec(xml.slice(i + 1))?.[0];
      if (!name) throw new Error(`bad tag at ${i}`);
      if (stack.length === 0 && root) throw new Error("a second root element");
      let j = i + 1 + name.length;
      const attrs: Record<string, string> = {};
      for (;;) {
        const ws = /^\s*/.exec(xml.slice(j))?.[0].length ?? 0;
        j += ws;
        if (xml.startsWith("/>", j) || xml[j] === ">") break;
        if (ws === 0) throw new Error(`attributes must be separated by space at ${j}`);
        const a = /^([A-Za-z_:][\w.:-]*)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/.exec(xml.slice(j));
        if (!a) throw new Error(`bad attribute at ${j}`);
        const key = a[1] as string;
        if (key in attrs) throw new Error(`duplicate attribute ${key} at ${j}`);
        attrs[key] = decode(a[2] ?? a[3] ?? "", j);
        j += a[0].length;
      }
      const el: XmlElement = { name, attrs, children: [], text: "" };
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(el);
      else root = el;
      if (xml.startsWith("/>", j)) i = j + 2;
      else {
        stack.push(el);
        i = j + 1;
      }
      continue;
    }
    const next = xml.indexOf("<", i);
    const raw = xml.slice(i, next === -1 ? xml.length : next);
    if (raw.includes("]]>")) throw new Error(`']]>' in character data at ${i}`);
    const parent = stack[stack.length - 1];
    if (!parent) {
      if (raw.trim() !== "") throw new Error(`text outside the root element at ${i}`);
    } else {
      parent.text += decode(raw, i);
    }
    i = next === -1 ? xml.length : next;
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack[stack.length - 1]?.name}>`);
  if (!root) throw new Error("no root element");
  return root;
}

/** Every element named `name` under `el` (depth first, `el` included). */
export function findAll(el: XmlElement, name: string): XmlElement[] {
  return [...(el.name === name ? [el] : []), ...el.children.flatMap((c) => findAll(c, name))];
}
