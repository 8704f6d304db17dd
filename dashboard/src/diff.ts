// A line diff (longest common subsequence) between two versions of a value,
// for the history view. Large inputs fall back to "changed" without detail.

export interface DiffLine {
  kind: 'same' | 'added' | 'removed';
  line: string;
}

const MAX_CELLS = 4_000_000;

export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before.split('\n');
  const b = after.split('\n');
  if (a.length * b.length > MAX_CELLS) {
    return [...a.map((line) => ({ kind: 'removed' as const, line })), ...b.map((line) => ({ kind: 'added' as const, line }))];
  }
  // lengths[i][j]: LCS of a[i..] and b[j..].
  const lengths: Uint32Array[] = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lengths[i]![j] = a[i] === b[j] ? lengths[i + 1]![j + 1]! + 1 : Math.max(lengths[i + 1]![j]!, lengths[i]![j + 1]!);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ kind: 'same', line: a[i]! });
      i++;
      j++;
    } else if (lengths[i + 1]![j]! >= lengths[i]![j + 1]!) out.push({ kind: 'removed', line: a[i++]! });
    else out.push({ kind: 'added', line: b[j++]! });
  }
  while (i < a.length) out.push({ kind: 'removed', line: a[i++]! });
  while (j < b.length) out.push({ kind: 'added', line: b[j++]! });
  return out;
}
