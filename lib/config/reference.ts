/** The README's configuration reference table, rendered from the schema so the docs cannot drift. */
import { settings } from './keys.js';

export const REFERENCE_START = '<!-- config-reference:start -->';
export const REFERENCE_END = '<!-- config-reference:end -->';

const cell = (text: string) => text.replaceAll('|', '\\|');
const code = (text: string) => `\`${cell(text)}\``;

/** A markdown table: key | flag | env | default | description, one row per setting. */
export function configReference(): string {
  const rows = settings.map(
    (s) =>
      `| ${code(s.key)} | ${code(s.flag)} | ${code(s.env)} | ${code(s.defaultText)} | ${cell(s.description)} |`,
  );
  return [
    '| Key | Flag | Environment | Default | Description |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** Replaces what is between the markers with the table; throws when the markers are missing. */
export function replaceReference(markdown: string, table = configReference()): string {
  const start = markdown.indexOf(REFERENCE_START);
  const end = markdown.indexOf(REFERENCE_END);
  if (start < 0 || end < start) throw new Error(`missing ${REFERENCE_START} ... ${REFERENCE_END} markers`);
  return `${markdown.slice(0, start + REFERENCE_START.length)}\n${table}\n${markdown.slice(end)}`;
}

/** The table currently between the markers, or undefined without markers. */
export function extractReference(markdown: string): string | undefined {
  const start = markdown.indexOf(REFERENCE_START);
  const end = markdown.indexOf(REFERENCE_END);
  if (start < 0 || end < start) return undefined;
  return markdown.slice(start + REFERENCE_START.length, end).trim();
}
