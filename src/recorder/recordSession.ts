/**
 * RecordSession: runs a program under ptrace and writes its trace.
 *
 * The tracee is spawned by native code with ASLR off, rdtsc trapping and a seccomp filter that
 * traces every syscall not made from rrts's stub page. The loop below reacts to each stop:
 *
 *   seccomp stop (syscall entry)  -> decide: run it, deny it, refuse the program; resume with
 *                                    PTRACE_SYSCALL to see the exit
 *   syscall-exit stop             -> save result + outparams (syscall table), resume PTRACE_CONT
 *   exec event                    -> save the initial stack, mappings and files; set up the stub
 *                                    page and the vDSO patch (identically to replay)
 *   SIGSEGV on rdtsc              -> emulate it with the real counter, record the value
 *   other signal                  -> record it, deliver it
 *   exit                          -> record the outcome
 *
 * Every event is written as it happens (TraceWriter), so a killed recorder leaves a usable trace.
 */
import * as fs from 'fs';
import * as os from 'os';
import { rrtsSpawn } from '../shared/native/binding';
import { ptrace, last, PtraceRequest } from '../shared/native/ops';
import { Registers } from '../shared/registers';
import { Stop, PtraceEvent, decodeStop, siginfoCode, describeStop } from '../shared/stop';
import { Tracee } from '../shared/tracee';
import { ErrnoError, UserError } from '../shared/errors';
import { STUB_PAGE, STUB_SYSCALL_AFTER, installStubPage } from '../shared/stubPage';
import { patchVdso } from '../shared/vdso';
import { readMaps } from '../shared/procMaps';
import { decodeTscInstruction, applyTsc } from '../shared/rdtsc';
import { SIG, isFault, signalName } from '../shared/signals';
import { SpawnFlag } from '../shared/spawnFlags';
import { TraceWriter } from '../trace/traceStream';
import { Mapping, SyscallEvent } from '../trace/schema';
import { SyscallDef, syscallByNr, entryReads, collectOutparams, SnapshotReader } from '../shared/syscalls';
import { recordSpecial } from './specialSyscalls';
import { log } from '../shared/log';

export interface RecordOptions {
  /** absolute path of the program */
  exe: string;
  argv: string[];
  env: string[];
  cwd: string;
  stackLimit: number;
  rrtsVersion: string;
}

export type RecordOutcome = { code: number } | { signal: number; core: boolean };

/** A syscall between its entry stop and its exit stop. */
interface InFlight {
  def: SyscallDef;
  regs: Registers;
  args: bigint[];
  before?: SnapshotReader;
  denied?: number;
}

const WAIT_SLICE_MS = 250;

export class RecordSession {
  private readonly prog = ptrace;
  private tracee!: Tracee;
  private pid = 0;
  private inFlight?: InFlight;
  /** registers right after the last event, to tell a signal delivered exactly there */
  private lastEventRegs?: Registers;
  private execSeen = false;
  private execPending = false;
  private readonly sharedFiles = new Set<string>();
  private stopping?: string;

  constructor(private readonly opts: RecordOptions, private readonly writer: TraceWriter) {}

  /** Ask the loop to end the recording (SIGTERM to rrts): the tracee is killed, the trace kept. */
  requestStop(why: string): void {
    this.stopping = why;
  }

  get tid(): number {
    return this.pid;
  }

  async run(): Promise<RecordOutcome> {
    const o = this.opts;
    const pid = rrtsSpawn({
      path: o.exe, argv: o.argv, env: o.env, cwd: o.cwd,
      flags: SpawnFlag.NoAslr | SpawnFlag.TrapTsc | SpawnFlag.Seccomp,
      allowIp: STUB_SYSCALL_AFTER, stackLimit: -1n,
    });
    if (pid < 0) throw new ErrnoError(-pid, `rrts: cannot start ${o.exe}`);
    this.pid = pid;
    this.tracee = new Tracee(pid);
    this.writer.writeHeader({
      rrtsVersion: o.rrtsVersion, argv: o.argv, env: o.env, cwd: o.cwd, exePath: o.exe,
      stackLimit: o.stackLimit, startTimeMs: Date.now(), ticks: 'software', stubPage: Number(STUB_PAGE),
      pid, hostname: os.hostname(),
    });

    let req = PtraceRequest.Cont;
    let sig = 0;
    for (;;) {
      const stop = await this.resumeAndWait(req, sig);
      const next = this.handle(stop);
      if ('outcome' in next) return next.outcome;
      req = next.req;
      sig = next.sig;
    }
  }

  /** Resume, then wait in slices so that Node's event loop (signals to rrts) gets turns. */
  private async resumeAndWait(req: PtraceRequest, sig: number): Promise<Stop> {
    const r = this.prog.resume(this.pid, req, sig).wait(this.pid, WAIT_SLICE_MS).run();
    let stop = decodeStop(r[r.length - 1].data);
    while (stop.kind === 'timeout') {
      await new Promise((resolve) => setImmediate(resolve));
      if (this.stopping) this.tracee.kill(SIG.SIGKILL);
      const w = last(this.prog.wait(this.pid, WAIT_SLICE_MS).run());
      stop = decodeStop(w.data);
    }
    return stop;
  }

  private handle(stop: Stop): { req: PtraceRequest; sig: number } | { outcome: RecordOutcome } {
    const cont = { req: PtraceRequest.Cont, sig: 0 };
    switch (stop.kind) {
      case 'timeout':
        return cont;
      case 'exited':
      case 'killed': {
        if (!this.execSeen && stop.kind === 'exited' && (stop.code === 126 || stop.code === 127)) {
          throw new UserError(`rrts: cannot execute ${this.opts.exe}`, stop.code);
        }
        if (this.inFlight) this.writeInterrupted();
        const outcome: RecordOutcome = stop.kind === 'exited' ? { code: stop.code } : { signal: stop.signal, core: stop.core };
        this.writer.writeEvent({
          tid: stop.tid,
          exit: stop.kind === 'exited' ? { code: stop.code, signal: 0 } : { code: 0, signal: stop.signal, core: stop.core },
        });
        return { outcome };
      }
      case 'event':
        return this.onEvent(stop);
      case 'syscall':
        return this.onSyscallExit(stop.regs);
      case 'signal':
        return this.onSignal(stop);
    }
  }

  private onEvent(stop: Extract<Stop, { kind: 'event' }>): { req: PtraceRequest; sig: number } {
    switch (stop.event) {
      case PtraceEvent.Seccomp:
        if (!this.execSeen) return { req: PtraceRequest.Cont, sig: 0 }; // rrts's own execve of the program
        return this.onSyscallEntry(stop.regs);
      case PtraceEvent.Exec:
        // Still inside execve: registers set now would be overwritten by its return. Finish
        // the call first; the exec is handled at its exit stop.
        this.execPending = true;
        return { req: PtraceRequest.Syscall, sig: 0 };
      case PtraceEvent.Exit:
        return { req: PtraceRequest.Cont, sig: 0 };
      default:
        throw new UserError(`rrts: unexpected ptrace event ${stop.event} (${describeStop(stop)})`);
    }
  }

  private onSyscallEntry(regs: Registers): { req: PtraceRequest; sig: number } {
    const nr = regs.syscallNo;
    const def = syscallByNr(nr);
    const args = [0, 1, 2, 3, 4, 5].map((i) => regs.arg(i));
    if (this.stopping) this.refuse(this.stopping);
    const special = def.replay === 'special' ? recordSpecial[def.special ?? def.name] : undefined;
    const verdict = special?.atEntry?.(args);
    if (def.record === 'refuse' || verdict?.refuse) this.refuse(verdict?.refuse ?? def.refuseWhy ?? `${def.name} is not supported`);
    const inFlight: InFlight = { def, regs, args };
    if (def.record === 'deny') {
      inFlight.denied = def.denyErrno ?? 38;
      const skip = regs.clone().set('orig_rax', -1n);
      this.prog.setRegs(this.pid, skip.buf);
    } else {
      const reads = entryReads(def, args);
      if (reads.length) inFlight.before = new SnapshotReader(reads.map((r) => ({ addr: r.addr, data: this.tracee.read(r.addr, r.len) })));
    }
    if (def.name === 'exit' || def.name === 'exit_group') {
      // It does not come back: the event is complete now.
      this.writer.writeEvent({ tid: this.pid, syscall: { nr, regs: regs.buf, result: 0, writes: [], interrupted: true } });
      return { req: PtraceRequest.Cont, sig: 0 };
    }
    this.inFlight = inFlight;
    return { req: PtraceRequest.Syscall, sig: 0 };
  }

  private onSyscallExit(exitRegs: Registers): { req: PtraceRequest; sig: number } {
    if (this.execPending) {
      this.execPending = false;
      if (this.inFlight) {
        // The program's own execve (not rrts's first one): the call, then the new image.
        const f = this.inFlight;
        this.inFlight = undefined;
        this.writer.writeEvent({ tid: this.pid, syscall: { nr: f.def.nr, regs: f.regs.buf, result: 0, writes: [] } });
      }
      this.onExec(exitRegs);
      return { req: PtraceRequest.Cont, sig: 0 };
    }
    const f = this.inFlight;
    if (!f) return { req: PtraceRequest.Cont, sig: 0 }; // exit stop of rrts's own execve
    this.inFlight = undefined;
    let regs = exitRegs;
    if (f.denied !== undefined) {
      regs = exitRegs.clone().set('rax', BigInt(-f.denied)).set('orig_rax', BigInt(f.def.nr));
      this.prog.setRegs(this.pid, regs.buf);
    }
    const result = regs.getSigned('rax');
    const ev: SyscallEvent = { nr: f.def.nr, regs: f.regs.buf, result: Number(result), writes: [] };
    if (f.denied !== undefined) {
      ev.denied = true;
    } else {
      const c = collectOutparams(f.def, f.args, result, this.tracee, f.before);
      ev.writes = c.writes.map((w) => ({ addr: Number(w.addr), data: w.data }));
      if (c.problem) {
        log.warn(`${f.def.name}: ${c.problem}; replay will stop at this call`);
        ev.unsupported = true;
      }
      if (f.def.replay === 'unsupported') ev.unsupported = true;
      const special = recordSpecial[f.def.special ?? f.def.name];
      special?.atExit?.({ tracee: this.tracee, writer: this.writer, sharedFiles: this.sharedFiles, args: f.args, result, event: ev });
      if (f.def.stdioWrite && result > 0n) {
        this.captureStdio(f.def, f.args, result, ev);
        if (this.sharedFiles.size) this.captureFileWrite(f.def, f.args, result, ev);
      }
    }
    this.writer.writeEvent({ tid: this.pid, syscall: ev });
    this.lastEventRegs = regs;
    return { req: PtraceRequest.Cont, sig: 0 };
  }

  /** A write that reached rrts's own stdout/stderr: replay prints the same bytes. */
  private captureStdio(def: SyscallDef, args: bigint[], result: bigint, ev: SyscallEvent): void {
    const w = def.stdioWrite!;
    const fd = Number(args[w.fdArg]);
    const [k1, k2] = this.prog.kcmpFile(this.pid, fd, 1).kcmpFile(this.pid, fd, 2).run(true).slice(-2);
    const which = fd === 2 && k2?.ret === 0 ? 2 : k1?.ret === 0 ? 1 : k2?.ret === 0 ? 2 : 0;
    if (!which) return;
    ev.stdioFd = which;
    ev.stdioData = this.writtenBytes(def, args, result);
  }

  /** A write into a file some MAP_SHARED mapping shows: replay must apply it to its copy. */
  private captureFileWrite(def: SyscallDef, args: bigint[], result: bigint, ev: SyscallEvent): void {
    const fd = Number(args[def.stdioWrite!.fdArg]);
    let id: string;
    let pos: number;
    try {
      const st = fs.statSync(`/proc/${this.pid}/fd/${fd}`);
      id = `${st.dev}:${st.ino}`;
      if (!this.sharedFiles.has(id)) return;
      const positional = def.name.startsWith('pwrite');
      pos = positional ? Number(args[3]) : Number(/pos:\s*(\d+)/.exec(fs.readFileSync(`/proc/${this.pid}/fdinfo/${fd}`, 'utf8'))![1]) - Number(result);
    } catch {
      return;
    }
    ev.fileWrite = { fileId: id, offset: pos, data: this.writtenBytes(def, args, result) };
  }

  /** The bytes a write-family call wrote (its result), from its buffer or iovecs. */
  private writtenBytes(def: SyscallDef, args: bigint[], result: bigint): Buffer {
    const w = def.stdioWrite!;
    let data: Buffer;
    if (w.iovec) {
      const count = Number(args[w.arg + 1]);
      const iov = this.tracee.read(args[w.arg], count * 16);
      const parts: Buffer[] = [];
      let left = Number(result);
      for (let i = 0; i < count && left > 0 && (i + 1) * 16 <= iov.length; i++) {
        const len = Math.min(Number(iov.readBigUInt64LE(i * 16 + 8)), left);
        parts.push(this.tracee.read(iov.readBigUInt64LE(i * 16), len));
        left -= len;
      }
      data = Buffer.concat(parts);
    } else {
      data = this.tracee.read(args[w.arg], Number(result));
    }
    return data;
  }

  private writeInterrupted(): void {
    const f = this.inFlight!;
    this.inFlight = undefined;
    this.writer.writeEvent({ tid: this.pid, syscall: { nr: f.def.nr, regs: f.regs.buf, result: 0, writes: [], interrupted: true } });
  }

  private onExec(regs: Registers): void {
    this.execSeen = true;
    this.prog.forget(this.pid).run();
    const maps = readMaps(this.pid);
    const stack = maps.find((m) => m.path === '[stack]');
    if (!stack) throw new UserError('rrts: the new program has no [stack] mapping');
    const mappings: Mapping[] = maps.map((m) => {
      const entry: Mapping = { start: Number(m.start), end: Number(m.end), perms: m.perms, offset: Number(m.offset), path: m.path };
      if (m.path.startsWith('/') && m.inode !== 0) {
        try {
          const st = fs.statSync(m.path);
          if (st.isFile() && st.ino === m.inode) entry.file = this.writer.saveFile(m.path, st);
        } catch {
          // vanished since exec: replay will use whatever the kernel maps
        }
      }
      return entry;
    });
    // The binary the kernel loaded: for a #! script that is the interpreter, not the script.
    const binary = fs.readlinkSync(`/proc/${this.pid}/exe`);
    const exeMap = mappings.find((m) => m.file && m.path === binary);
    this.writer.writeEvent({
      tid: this.pid,
      exec: {
        regs: regs.buf, stackTop: Number(stack.end), stack: this.tracee.read(regs.rsp, Number(stack.end - regs.rsp)),
        maps: mappings, exe: binary, exeFile: exeMap?.file,
      },
    });
    installStubPage(this.tracee, regs.rip);
    patchVdso(this.tracee, maps);
    this.lastEventRegs = regs;
  }

  private onSignal(stop: Extract<Stop, { kind: 'signal' }>): { req: PtraceRequest; sig: number } {
    if (!this.execSeen) return { req: PtraceRequest.Cont, sig: 0 }; // the spawn's own SIGSTOP
    const code = siginfoCode(stop.siginfo);
    if (stop.signal === SIG.SIGSEGV) {
      const insn = decodeTscInstruction(this.tracee.read(stop.regs.rip, 3));
      if (insn && code === 0x80 /* SI_KERNEL: the TSC trap */) return this.emulateTsc(stop.regs, insn);
    }
    if (stop.siginfo.every((b) => b === 0)) {
      // group-stop (SIGSTOP & co. took effect): rrts does not stop; let the tracee go on
      return { req: PtraceRequest.Cont, sig: 0 };
    }
    const atEvent = this.lastEventRegs?.equals(stop.regs) ?? false;
    const fault = isFault(stop.signal, code);
    if (!fault && !atEvent) {
      log.warn(`${signalName(stop.signal)} arrived between syscalls; replaying it needs a precise position and may diverge`);
    }
    this.writer.writeEvent({
      tid: stop.tid,
      signal: { signo: stop.signal, siginfo: stop.siginfo, regs: stop.regs.buf, fault, atEvent },
    });
    this.lastEventRegs = undefined;
    return { req: PtraceRequest.Cont, sig: stop.signal };
  }

  private emulateTsc(regs: Registers, insn: NonNullable<ReturnType<typeof decodeTscInstruction>>): { req: PtraceRequest; sig: number } {
    const r = last(this.prog.rdtsc().run());
    const tsc = r.data.readBigUInt64LE(0);
    const aux = Number(r.data.readBigUInt64LE(8));
    const after = applyTsc(regs, insn, tsc, aux);
    this.prog.setRegs(this.pid, after.buf);
    const tscBytes = Buffer.alloc(8);
    tscBytes.writeBigUInt64LE(tsc);
    this.writer.writeEvent({ tid: this.pid, rdtsc: { rdtscp: insn.kind === 'rdtscp', tsc: tscBytes, aux, regs: regs.buf } });
    this.lastEventRegs = after;
    return { req: PtraceRequest.Cont, sig: 0 };
  }

  /** End the recording here: the program does something rrts cannot record yet. */
  private refuse(why: string): never {
    this.tracee.kill(SIG.SIGKILL);
    for (;;) {
      const w = last(this.prog.resume(this.pid, PtraceRequest.Cont, 0).wait(this.pid).run(true));
      if (w.ret < 0) break;
      const s = decodeStop(w.data);
      if (s.kind === 'exited' || s.kind === 'killed') break;
    }
    this.writer.writeEvent({ tid: this.pid, end: { reason: why } });
    throw new UserError(`rrts: ${why}; the recording stops here`, 1);
  }
}
