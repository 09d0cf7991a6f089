/** Events as text (rrts dump) and as JSON (rrts dump --json, tools). */
import { TraceEvent, eventKind } from './schema';
import { Registers } from '../shared/registers';
import { syscallByNr, formatSyscall } from '../shared/syscalls';
import { signalName } from '../shared/signals';

const hex = (n: number | bigint) => '0x' + n.toString(16);

function args(regsBuf: Uint8Array): bigint[] {
  const r = new Registers(Buffer.from(regsBuf));
  return [0, 1, 2, 3, 4, 5].map((i) => r.arg(i));
}

export function describeEvent(i: number, e: TraceEvent): string {
  const head = `${String(i).padStart(6)} [${e.tid}]`;
  if (e.syscall) {
    const s = e.syscall;
    const def = syscallByNr(s.nr);
    let line = `${head} ${formatSyscall(def, args(s.regs), s.interrupted ? undefined : BigInt(s.result ?? 0))}`;
    const notes: string[] = [];
    if (s.writes?.length) notes.push(`${s.writes.length} write${s.writes.length > 1 ? 's' : ''} ${s.writes.reduce((n, w) => n + w.data.length, 0)} bytes`);
    if (s.stdioFd) notes.push(`${s.stdioData?.length ?? 0} bytes to ${s.stdioFd === 1 ? 'stdout' : 'stderr'}`);
    if (s.mappedFile) notes.push(`maps ${s.mappedFile.originalPath}`);
    if (s.denied) notes.push('denied');
    if (s.unsupported) notes.push('UNSUPPORTED');
    if (notes.length) line += `  # ${notes.join(', ')}`;
    return line;
  }
  if (e.signal) {
    const r = new Registers(Buffer.from(e.signal.regs));
    return `${head} signal ${signalName(e.signal.signo)} at ${hex(r.rip)}${e.signal.fault ? ' (fault)' : ''}`;
  }
  if (e.exec) return `${head} exec ${e.exec.exe} (${e.exec.maps?.length ?? 0} mappings, ${e.exec.stack?.length ?? 0}-byte initial stack)`;
  if (e.rdtsc) {
    const r = new Registers(Buffer.from(e.rdtsc.regs));
    return `${head} ${e.rdtsc.rdtscp ? 'rdtscp' : 'rdtsc'} at ${hex(r.rip)} = ${Buffer.from(e.rdtsc.tsc).readBigUInt64LE()}`;
  }
  if (e.exit) return `${head} exit ${e.exit.signal ? `killed by ${signalName(e.exit.signal)}` : `status ${e.exit.code ?? 0}`}`;
  if (e.end) return `${head} end: ${e.end.reason}`;
  return `${head} ?`;
}

export function eventJson(i: number, e: TraceEvent): Record<string, unknown> {
  const kind = eventKind(e);
  const o: Record<string, unknown> = { event: i, tid: e.tid, kind };
  if (e.syscall) {
    const s = e.syscall;
    const def = syscallByNr(s.nr);
    Object.assign(o, {
      nr: s.nr, name: def.name, args: args(s.regs).map(hex), result: s.interrupted ? null : s.result ?? 0,
      writes: (s.writes ?? []).map((w) => ({ addr: hex(w.addr), len: w.data.length })),
      ...(s.stdioFd ? { stdio: s.stdioFd, stdioBytes: s.stdioData?.length ?? 0 } : {}),
      ...(s.mappedFile ? { mappedFile: s.mappedFile.originalPath } : {}),
      ...(s.denied ? { denied: true } : {}),
      ...(s.unsupported ? { unsupported: true } : {}),
    });
  } else if (e.signal) {
    Object.assign(o, { signo: e.signal.signo, signal: signalName(e.signal.signo), fault: !!e.signal.fault, rip: hex(new Registers(Buffer.from(e.signal.regs)).rip) });
  } else if (e.exec) {
    Object.assign(o, { exe: e.exec.exe, mappings: e.exec.maps?.length ?? 0 });
  } else if (e.rdtsc) {
    Object.assign(o, { rdtscp: !!e.rdtsc.rdtscp, tsc: Buffer.from(e.rdtsc.tsc).readBigUInt64LE().toString() });
  } else if (e.exit) {
    Object.assign(o, { code: e.exit.code ?? 0, signal: e.exit.signal ?? 0 });
  } else if (e.end) {
    Object.assign(o, { reason: e.end.reason });
  }
  return o;
}
