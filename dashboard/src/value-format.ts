// A value shown as text, pretty JSON, YAML, hex, or (Kubernetes protobuf) as
// apiVersion/kind and a field tree. Large values are cut for display.

import { isPrintable, text } from './bytes.js';
import { decodeKubernetes, fieldTreeText, isKubernetesProtobuf } from './kubernetes.js';
import { toYaml } from './yaml.js';

export type ValueFormat = 'text' | 'json' | 'yaml' | 'hex' | 'kubernetes';

/** Values larger than this are shown cut, with a download of the whole. */
export const DISPLAY_LIMIT_BYTES = 64 * 1024;

export function parseJson(value: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(value) };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

/** The formats that make sense for a value, best first. */
export function formatsFor(value: Uint8Array): ValueFormat[] {
  if (isKubernetesProtobuf(value)) return ['kubernetes', 'hex', 'text'];
  if (!isPrintable(value)) return ['hex', 'text'];
  const trimmed = text(value).trim();
  if ((trimmed.startsWith('{') || trimmed.startsWith('[')) && value.length <= 4 * DISPLAY_LIMIT_BYTES && parseJson(trimmed).ok) return ['json', 'yaml', 'text', 'hex'];
  return ['text', 'hex', 'json', 'yaml'];
}

export function render(value: Uint8Array, format: ValueFormat): string {
  const shown = value.length > DISPLAY_LIMIT_BYTES && format !== 'kubernetes' ? value.subarray(0, DISPLAY_LIMIT_BYTES) : value;
  switch (format) {
    case 'text':
      return text(shown);
    case 'hex':
      return hexDump(shown);
    case 'json':
    case 'yaml': {
      const parsed = parseJson(text(value));
      if (!parsed.ok) return `(not JSON: ${parsed.error})`;
      return format === 'json' ? JSON.stringify(parsed.value, null, 2) : toYaml(parsed.value);
    }
    case 'kubernetes': {
      try {
        const object = decodeKubernetes(value);
        return `apiVersion: ${object.apiVersion}\nkind: ${object.kind}\n${object.contentType ? `contentType: ${object.contentType}\n` : ''}\nbody (protobuf fields):\n${fieldTreeText(object.body, '  ')}`;
      } catch (error) {
        return `(cannot decode the Kubernetes envelope: ${(error as Error).message})`;
      }
    }
  }
}

export function hexDump(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += 16) {
    const row = bytes.subarray(offset, offset + 16);
    const hex = Array.from(row, (byte) => byte.toString(16).padStart(2, '0')).join(' ');
    const ascii = Array.from(row, (byte) => (byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.')).join('');
    lines.push(`${offset.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines.join('\n');
}
