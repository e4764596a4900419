/**
 * The `--name value` command lines of the benchmark scripts: a map from
 * name (without the dashes) to value; anything else is handed to `usage`.
 */
export function parseFlags(argv: readonly string[], usage: (message: string) => never): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const value = argv[i + 1];
    if (!argv[i]!.startsWith('--') || value === undefined) usage(`bad argument ${argv[i]}`);
    flags.set(argv[i]!.slice(2), value);
  }
  return flags;
}
