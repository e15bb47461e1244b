/** Writing S3's REST-XML responses, and reading the few XML bodies requests carry. */
import { XMLParser } from 'fast-xml-parser';

/**
 * Escapes text for an XML element. Characters XML 1.0 cannot carry even as references (most
 * C0 controls) are written as numeric references anyway, as S3 does; clients that may meet such
 * keys ask for `EncodingType=url`.
 */
export function escapeXml(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  return text.replace(/[&<>"'\u0000-\u0008\u000b\u000c\u000e-\u001f\r]/g, (char) => {
    switch (char) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      case "'":
        return '&apos;';
      default:
        return `&#x${char.charCodeAt(0).toString(16).toUpperCase()};`;
    }
  });
}

/** An element tree: a value is text, a nested element, or a list of repeated elements. */
export type XmlNode = string | number | boolean | undefined | XmlElement | XmlElement[] | string[];
export interface XmlElement {
  [name: string]: XmlNode;
}

function render(name: string, value: XmlNode): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return (value as XmlNode[]).map((item) => render(name, item)).join('');
  if (typeof value === 'object') {
    const inner = Object.entries(value)
      .map(([child, childValue]) => render(child, childValue))
      .join('');
    return `<${name}>${inner}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** A whole document in S3's namespace: `<Root xmlns="http://s3.amazonaws.com/doc/2006-03-01/">…`. */
export function xmlDocument(root: string, body: XmlElement, namespace = true): string {
  const inner = Object.entries(body)
    .map(([name, value]) => render(name, value))
    .join('');
  const attribute = namespace ? ' xmlns="http://s3.amazonaws.com/doc/2006-03-01/"' : '';
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root}${attribute}>${inner}</${root}>`;
}

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  isArray: (name) => name === 'Object' || name === 'Part',
  htmlEntities: true,
});

/** Parses a request body; throws on malformed XML. */
export function parseXml(text: string): Record<string, unknown> {
  return parser.parse(text, true) as Record<string, unknown>;
}
