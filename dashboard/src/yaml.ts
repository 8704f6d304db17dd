// JSON values as YAML (block style; strings quoted when YAML would read them
// as something else).

const PLAIN = /^[A-Za-z_][A-Za-z0-9_./ -]*$/;
const RESERVED = /^(true|false|yes|no|on|off|null|~|y|n)$/i;

function scalar(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return '[]';
  if (typeof value === 'object') return '{}';
  if (typeof value === 'string') return PLAIN.test(value) && !RESERVED.test(value) && !value.endsWith(' ') ? value : JSON.stringify(value);
  return String(value);
}

export function toYaml(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return value
      .map((item) => {
        const inner = toYaml(item, `${indent}  `);
        return isBlock(item) ? `${indent}-\n${inner}` : `${indent}- ${inner.trimStart()}`;
      })
      .join('\n');
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) return `${indent}{}`;
    return entries.map(([key, item]) => (isBlock(item) ? `${indent}${scalar(key)}:\n${toYaml(item, `${indent}  `)}` : `${indent}${scalar(key)}: ${scalar(item)}`)).join('\n');
  }
  return `${indent}${scalar(value)}`;
}

function isBlock(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return value !== null && typeof value === 'object' && Object.keys(value).length > 0;
}
