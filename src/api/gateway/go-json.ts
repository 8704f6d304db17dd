// A JSON reader and writer that behave as Go's encoding/json does where the
// grpc-gateway's clients can see it: the error messages of a malformed body
// ("invalid character 'x' looking for beginning of value", "unexpected EOF"),
// numbers kept as their literal text (an int64 needs all its digits), the
// last of two equal object keys winning, and Go's string escaping on output
// (<, > and & as \u003c, \u003e, \u0026).

export type GoJsonValue =
  | { kind: 'object'; fields: Map<string, GoJsonValue> }
  | { kind: 'array'; items: GoJsonValue[] }
  | { kind: 'string'; value: string; raw: string }
  | { kind: 'number'; raw: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'null' };

/** A syntax error; `truncated` when the text ended inside a value (Go's "unexpected EOF"). */
export class GoJsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly truncated: boolean,
  ) {
    super(message);
  }
}

/** Go's quoteChar: how its scanner names an offending byte. */
function quoteChar(code: number): string {
  if (code === 0x27) return "'\\''";
  if (code === 0x22) return `'"'`;
  return `'${String.fromCodePoint(code)}'`;
}

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/**
 * Reads one JSON value from `text` at `start` (leading whitespace skipped), as
 * Go's json.Decoder.Decode does from a stream: returns the value and where it
 * ended, or `undefined` when only whitespace is left (Go's io.EOF).
 * `eofMessage` is what a value cut short is called: "unexpected EOF" for a
 * Decoder, "unexpected end of JSON input" for json.Unmarshal.
 */
export function readGoJson(
  text: string,
  start = 0,
  options: { eofMessage?: string; moreMayFollow?: boolean } = {},
): { value: GoJsonValue; end: number } | undefined {
  const eofMessage = options.eofMessage ?? 'unexpected EOF';
  let i = start;
  const eof = () => new GoJsonSyntaxError(eofMessage, true);
  const invalid = (context: string) => new GoJsonSyntaxError(`invalid character ${quoteChar(text.codePointAt(i) ?? 0)} ${context}`, false);
  const skipSpace = () => {
    while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  };

  const readValue = (context: string): GoJsonValue => {
    skipSpace();
    if (i >= text.length) throw eof();
    const c = text[i];
    if (c === '{') return readObject();
    if (c === '[') return readArray();
    if (c === '"') return readString();
    if (c === '-' || (c >= '0' && c <= '9')) return readNumber();
    if (c === 't') return readLiteral('true', { kind: 'bool', value: true });
    if (c === 'f') return readLiteral('false', { kind: 'bool', value: false });
    if (c === 'n') return readLiteral('null', { kind: 'null' });
    throw invalid(context);
  };

  const readLiteral = (word: string, value: GoJsonValue): GoJsonValue => {
    for (let k = 0; k < word.length; k++, i++) {
      if (i >= text.length) throw eof();
      if (text[i] !== word[k]) throw invalid(`in literal ${word} (expecting ${quoteChar(word.charCodeAt(k))})`);
    }
    return value;
  };

  const readNumber = (): GoJsonValue => {
    const from = i;
    const digit = () => i < text.length && text[i] >= '0' && text[i] <= '9';
    if (text[i] === '-') {
      i++;
      if (i >= text.length) throw eof();
      if (!digit()) throw invalid('in numeric literal');
    }
    if (text[i] === '0') i++;
    else while (digit()) i++;
    if (i < text.length && text[i] === '.') {
      i++;
      if (i >= text.length) throw eof();
      if (!digit()) throw invalid('after decimal point in numeric literal');
      while (digit()) i++;
    }
    if (i < text.length && (text[i] === 'e' || text[i] === 'E')) {
      i++;
      if (i < text.length && (text[i] === '+' || text[i] === '-')) i++;
      if (i >= text.length) throw eof();
      if (!digit()) throw invalid('in exponent of numeric literal');
      while (digit()) i++;
    }
    // A number at the very end of a stream may go on in the next chunk: Go waits for a delimiter.
    if (i >= text.length && options.moreMayFollow) throw eof();
    return { kind: 'number', raw: text.slice(from, i) };
  };

  const readString = (): GoJsonValue & { kind: 'string' } => {
    const from = i;
    i++; // the opening quote
    let value = '';
    for (;;) {
      if (i >= text.length) throw eof();
      const code = text.charCodeAt(i);
      if (code === 0x22) {
        i++;
        return { kind: 'string', value, raw: text.slice(from, i) };
      }
      if (code < 0x20) throw invalid('in string literal');
      if (code === 0x5c) {
        i++;
        if (i >= text.length) throw eof();
        const e = text[i];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e in simple) {
          value += simple[e];
          i++;
        } else if (e === 'u') {
          i++;
          for (let k = 0; k < 4; k++) {
            if (i + k >= text.length) {
              i += k;
              throw eof();
            }
            if (!/[0-9a-fA-F]/.test(text[i + k])) {
              i += k;
              throw invalid('in \\u hexadecimal character escape');
            }
          }
          value += String.fromCharCode(parseInt(text.slice(i, i + 4), 16));
          i += 4;
        } else throw invalid('in string escape code');
        continue;
      }
      value += text[i];
      i++;
    }
  };

  const readObject = (): GoJsonValue => {
    i++;
    const fields = new Map<string, GoJsonValue>();
    skipSpace();
    if (i >= text.length) throw eof();
    if (text[i] === '}') {
      i++;
      return { kind: 'object', fields };
    }
    for (;;) {
      skipSpace();
      if (i >= text.length) throw eof();
      if (text[i] !== '"') throw invalid('looking for beginning of object key string');
      const key = readString().value;
      skipSpace();
      if (i >= text.length) throw eof();
      if (text[i] !== ':') throw invalid('after object key');
      i++;
      fields.set(key, readValue('looking for beginning of value'));
      skipSpace();
      if (i >= text.length) throw eof();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        return { kind: 'object', fields };
      }
      throw invalid('after object key:value pair');
    }
  };

  const readArray = (): GoJsonValue => {
    i++;
    const items: GoJsonValue[] = [];
    skipSpace();
    if (i >= text.length) throw eof();
    if (text[i] === ']') {
      i++;
      return { kind: 'array', items };
    }
    for (;;) {
      items.push(readValue('looking for beginning of value'));
      skipSpace();
      if (i >= text.length) throw eof();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === ']') {
        i++;
        return { kind: 'array', items };
      }
      throw invalid('after array element');
    }
  };

  skipSpace();
  if (i >= text.length) return undefined;
  const value = readValue('looking for beginning of value');
  return { value, end: i };
}

/** Go's json.Unmarshal of a whole text: one value, nothing but whitespace after it. */
export function unmarshalGoJson(text: string): GoJsonValue {
  const read = readGoJson(text, 0, { eofMessage: 'unexpected end of JSON input' });
  if (read === undefined) throw new GoJsonSyntaxError('unexpected end of JSON input', true);
  let i = read.end;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  if (i < text.length) throw new GoJsonSyntaxError(`invalid character ${quoteChar(text.codePointAt(i) ?? 0)} after top-level value`, false);
  return read.value;
}

/** Go's name for the kind of a JSON value in an UnmarshalTypeError. */
export function goKindOf(value: GoJsonValue): string {
  return value.kind;
}

/** A string as Go's encoding/json writes it. */
export function goQuote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0;
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26 || c === 0x2028 || c === 0x2029) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else if (c >= 0xd800 && c <= 0xdfff) out += '\ufffd';
    else out += ch;
  }
  return out + '"';
}
