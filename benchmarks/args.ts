// The value after `--name` on a benchmark's command line, or `def` when the flag is absent.
export function flag(args: readonly string[], name: string, def?: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
}
