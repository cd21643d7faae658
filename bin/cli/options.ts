/**
 * Option value parsers shared by the commands.
 */

/**
 * Commander parser for a comma-separated list that may also be repeated:
 * `--types halt,resume` and `--types halt --types resume` both give `['halt', 'resume']`.
 * Blanks around commas are dropped; an empty item is kept so the command can reject it by name.
 */
export function commaList(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((item) => item.trim())];
}
