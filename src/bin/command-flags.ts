// The flags of etcd-ts's own subcommands (snapshot restore, status, decrypt),
// as etcdctl takes them: --flag value, --flag=value (one dash works too), and
// boolean flags that need no value.

export interface ParsedFlags {
  values: Map<string, string>;
  positional: string[];
}

export function parseCommandFlags(
  argv: readonly string[],
  known: ReadonlySet<string>,
  usageError: (message: string) => Error,
  booleans: ReadonlySet<string> = new Set(),
): ParsedFlags {
  const values = new Map<string, string>();
  const positional: string[] = [];
  for (let position = 0; position < argv.length; position++) {
    const argument = argv[position]!;
    if (!argument.startsWith('-')) {
      positional.push(argument);
      continue;
    }
    const body = argument.replace(/^--?/, '');
    const equals = body.indexOf('=');
    const name = equals >= 0 ? body.slice(0, equals) : body;
    if (!known.has(name)) throw usageError(`unknown flag: --${name}`);
    if (equals >= 0) values.set(name, body.slice(equals + 1));
    else if (booleans.has(name)) values.set(name, 'true');
    else {
      const next = argv[++position];
      if (next === undefined) throw usageError(`flag needs an argument: --${name}`);
      values.set(name, next);
    }
  }
  return { values, positional };
}
