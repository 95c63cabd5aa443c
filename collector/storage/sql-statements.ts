/**
 * Splits a SQL script into statements at the semicolons that end them, not those inside
 * quotes, identifiers or comments: ClickHouse runs one statement per request.
 */
export function splitStatements(script: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  while (i < script.length) {
    const c = script[i]!;
    if (c === "'" || c === '"' || c === '`') i = skipQuoted(script, i, c);
    else if (c === '-' && script[i + 1] === '-') i = skipTo(script, i, '\n');
    else if (c === '/' && script[i + 1] === '*') i = skipTo(script, i + 2, '*/');
    else if (c === ';') {
      statements.push(script.slice(start, i));
      start = ++i;
    } else i++;
  }
  statements.push(script.slice(start));
  return statements.map((s) => s.trim()).filter((s) => stripComments(s).trim() !== '');
}

/** The statement without its comments (to tell a statement from a run of comments). */
export function stripComments(statement: string): string {
  let out = '';
  let i = 0;
  while (i < statement.length) {
    const c = statement[i]!;
    if (c === "'" || c === '"' || c === '`') {
      const end = skipQuoted(statement, i, c);
      out += statement.slice(i, end);
      i = end;
    } else if (c === '-' && statement[i + 1] === '-') i = skipTo(statement, i, '\n');
    else if (c === '/' && statement[i + 1] === '*') i = skipTo(statement, i + 2, '*/');
    else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Index just past the closing quote; a backslash escapes the next character. */
function skipQuoted(text: string, open: number, quote: string): number {
  let i = open + 1;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\\') i += 2;
    else if (c === quote) return i + 1;
    else i++;
  }
  return text.length;
}

/** Index just past the next `end` at or after `from` (or the end of the text). */
function skipTo(text: string, from: number, end: string): number {
  const at = text.indexOf(end, from);
  return at === -1 ? text.length : at + end.length;
}
