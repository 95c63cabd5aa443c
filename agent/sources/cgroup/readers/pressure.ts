import { FileSet, type Reading } from './files.js';
import { lineEnd, lineField } from './scan.js';

/** One line of a PSI file: the share of wall time tasks were stalled on the resource. */
export interface PsiLine {
  /** Average over the last 10 s, percent. */
  avg10: number;
  /** Average over the last 60 s, percent. */
  avg60: number;
  /** Average over the last 300 s, percent. */
  avg300: number;
  /** Stall time since the cgroup was created, seconds (cumulative). */
  total: number;
}

/** A PSI file: "some" (at least one task stalled) and "full" (all non-idle tasks stalled). */
export interface Psi {
  some?: PsiLine;
  /** Absent from cpu.pressure before Linux 5.13. */
  full?: PsiLine;
}

/** Pressure stall information (v2 with CONFIG_PSI only; never on v1). */
export interface PressureStats {
  cpu?: Psi;
  memory?: Psi;
  io?: Psi;
}

/** "some avg10=0.00 avg60=0.00 avg300=0.00 total=0" from start to end; undefined when garbled. */
function psiLine(text: string, start: number, end: number): PsiLine | undefined {
  const avg10 = lineField(text, 'avg10=', start, end);
  const avg60 = lineField(text, 'avg60=', start, end);
  const avg300 = lineField(text, 'avg300=', start, end);
  const total = lineField(text, 'total=', start, end);
  // Comparisons are false for NaN and undefined alike.
  if (!(avg10! >= 0 && avg60! >= 0 && avg300! >= 0 && total! >= 0)) return undefined;
  return { avg10: avg10!, avg60: avg60!, avg300: avg300!, total: total! / 1e6 };
}

/** The file's lines in any order; a "some" line is required, a "full" line optional. */
function parsePsi(text: string): Psi | undefined {
  let some: PsiLine | undefined;
  let full: PsiLine | undefined;
  let pos = 0;
  while (pos < text.length) {
    const end = lineEnd(text, pos);
    if (end > pos) {
      const isSome = text.startsWith('some ', pos);
      if (!isSome && !text.startsWith('full ', pos)) return undefined;
      const line = psiLine(text, pos + 5, end);
      if (line === undefined) return undefined;
      if (isSome) some = line;
      else full = line;
    }
    pos = end + 1;
  }
  return some === undefined ? undefined : { some, full };
}

function psiFrom(files: FileSet, name: string, text: string | undefined): Psi | undefined {
  if (text === undefined) return undefined;
  const psi = parsePsi(text);
  if (psi === undefined) files.malformed(name);
  return psi;
}

export function pressureV2(files: FileSet, dir: string): PressureStats {
  // Optional: absent (or refused) when the kernel has PSI off.
  const cpu = files.read(dir, 'cpu.pressure', true);
  const memory = files.read(dir, 'memory.pressure', true);
  const io = files.read(dir, 'io.pressure', true);
  return {
    cpu: psiFrom(files, 'cpu.pressure', cpu),
    memory: psiFrom(files, 'memory.pressure', memory),
    io: psiFrom(files, 'io.pressure', io),
  };
}

/** PSI of a v2 cgroup: cpu.pressure, memory.pressure, io.pressure, each absent without a problem. */
export function readPressureV2(dir: string): Reading<PressureStats> {
  const files = new FileSet();
  return files.finish(pressureV2(files, dir));
}
