/** Reads a YAML or JSON config file (by extension) into plain data, with line numbers on parse errors. */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { ConfigError } from './errors.js';

/**
 * @param path where to read it
 * @param shownAs the path as the user gave it, for messages
 */
export function readConfigFile(path: string, shownAs: string): unknown {
  const extension = extname(path).toLowerCase();
  if (!['.yaml', '.yml', '.json'].includes(extension)) {
    throw new ConfigError('config', `config file ${shownAs} must end in .yaml, .yml or .json`);
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : (code ?? (err as Error).message);
    throw new ConfigError('config', `cannot read config file ${shownAs}: ${reason}`);
  }
  return extension === '.json' ? parseJson(text, shownAs) : parseYamlText(text, shownAs);
}

function parseYamlText(text: string, shownAs: string): unknown {
  try {
    return parseYaml(text);
  } catch (err) {
    if (!(err instanceof YAMLParseError)) throw err;
    // The message's first line is "<reason> at line L, column C:"; the rest is a code frame.
    const reason = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    const where = err.linePos ? `line ${err.linePos[0].line}, column ${err.linePos[0].col}` : 'unknown line';
    throw new ConfigError('config', `cannot parse config file ${shownAs} at ${where}: ${reason}`);
  }
}

function parseJson(text: string, shownAs: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    // V8 reports a character offset ("... in JSON at position 42"); users want a line.
    const position = /at position (\d+)/.exec(err.message);
    const offset = position ? Number(position[1]) : text.length;
    const before = text.slice(0, offset).split('\n');
    const where = `line ${before.length}, column ${before.at(-1)!.length + 1}`;
    const reason = err.message.replace(/ in JSON at position \d+.*$/, '');
    throw new ConfigError('config', `cannot parse config file ${shownAs} at ${where}: ${reason}`);
  }
}
