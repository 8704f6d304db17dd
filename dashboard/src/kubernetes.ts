// Kubernetes objects stored in etcd under /registry/: protobuf ones start
// with the magic "k8s\0" followed by a runtime.Unknown (1: TypeMeta {1:
// apiVersion, 2: kind}, 2: raw, 3: contentEncoding, 4: contentType); the raw
// body is shown as a generic field tree (no schemas are shipped).

import { decodeMessage, field, type ProtoField } from './protobuf.js';
import { text } from './bytes.js';

const MAGIC = [0x6b, 0x38, 0x73, 0x00];

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  contentType: string;
  body: ProtoField[];
}

export function isKubernetesProtobuf(value: Uint8Array): boolean {
  return value.length >= 4 && MAGIC.every((byte, index) => value[index] === byte);
}

export function decodeKubernetes(value: Uint8Array): KubernetesObject {
  const unknown = decodeMessage(value.subarray(4));
  const typeMeta = field(unknown, 1)?.message ?? [];
  const raw = field(unknown, 2);
  let body: ProtoField[] = [];
  if (raw?.message) body = raw.message;
  else if (raw?.bytes) body = decodeMessage(raw.bytes);
  else if (raw?.text !== undefined) body = decodeMessage(new TextEncoder().encode(raw.text));
  return {
    apiVersion: field(typeMeta, 1)?.text ?? '',
    kind: field(typeMeta, 2)?.text ?? '',
    contentType: field(unknown, 4)?.text ?? '',
    body,
  };
}

/** The field tree as indented text lines ("1: ...", nested messages indented). */
export function fieldTreeText(fields: ProtoField[], indent = ''): string {
  const lines: string[] = [];
  for (const entry of fields) {
    if (entry.message) {
      lines.push(`${indent}${entry.number} {`);
      lines.push(fieldTreeText(entry.message, `${indent}  `));
      lines.push(`${indent}}`);
    } else if (entry.text !== undefined) lines.push(`${indent}${entry.number}: ${JSON.stringify(entry.text)}`);
    else if (entry.bytes) lines.push(`${indent}${entry.number}: <${entry.bytes.length} bytes> ${hexPreview(entry.bytes)}`);
    else lines.push(`${indent}${entry.number}: ${entry.scalar}`);
  }
  return lines.filter((line) => line !== '').join('\n');
}

function hexPreview(bytes: Uint8Array): string {
  const shown = Array.from(bytes.subarray(0, 24), (byte) => byte.toString(16).padStart(2, '0')).join(' ');
  return bytes.length > 24 ? `${shown} …` : shown;
}

export { text };
