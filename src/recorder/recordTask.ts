/**
 * RecordTask: one traced thread of a recording and the syscall, exec and signal handling that
 * happens at its stops. RecordSession owns the tasks and decides who runs.
 */
import * as fs from 'fs';
import { PtraceRequest, last } from '../shared/native/ops';
import { Registers } from '../shared/registers';
import { Stop, PtraceEvent, siginfoCode, describeStop } from '../shared/stop';
import { Tracee } from '../shared/tracee';
import { UserError } from '../shared/errors';
import { installStubPage } from '../shared/stubPage';
import { patchVdso } from '../shared/vdso';
import { readMaps } from '../shared/procMaps';
import { decodeTscInstruction, applyTsc } from '../shared/rdtsc';
import { SIG, isFault, signalName } from '../shared/signals';
import { Mapping, SyscallEvent } from '../trace/schema';
import { SyscallDef, syscallByNr, entryReads, collectOutparams, SnapshotReader, mayBlockFor } from '../shared/syscalls';
import { recordSpecial } from './specialSyscalls';
import { stdioOf } from './stdio';
import { log } from '../shared/log';
import type { RecordSession } from './recordSession';

const CLONE_VM = 0x100n;

/** A syscall between its entry stop and its exit stop. */
interface InFlight {
  def: SyscallDef;
  regs: Registers;
  args: bigint[];
  before?: SnapshotReader;
  denied?: number;
}

/** How to resume a task; `mayBlock`: it is entering a call that may wait (others may run). */
export type Resume = { req: PtraceRequest; sig: number; mayBlock?: boolean };

export class RecordTask {
  readonly tracee: Tracee;
  readonly prog;
  private inFlight?: InFlight;
  /** registers right after the last event, to tell a signal delivered exactly there */
  private lastEventRegs?: Registers;
  execSeen: boolean;
  private execPending = false;
  /** a task created by fork/clone: its first stop is the kernel's SIGSTOP */
  startStop: boolean;

  constructor(readonly tid: number, private readonly s: RecordSession, opts: { forked: boolean }) {
    this.tracee = new Tracee(tid);
    this.prog = s.prog;
    this.execSeen = opts.forked;
    this.startStop = opts.forked;
  }

  /** The fork/vfork/clone in flight made task `child`: write the call now (vfork returns late). */
  private onNewTask(child: number, event: PtraceEvent): Resume {
    const f = this.inFlight;
    if (f) {
      this.inFlight = undefined;
      this.s.writer.writeEvent({ tid: this.tid, syscall: { nr: f.def.nr, regs: f.regs.buf, result: child, writes: [] } });
    }
    const sharesMemory = event === PtraceEvent.Vfork || (f !== undefined && this.cloneFlags(f) & CLONE_VM) !== 0n;
    this.s.adoptChild(child, sharesMemory ? this.tid : undefined);
    // A vfork parent waits in the kernel until the child execs or exits.
    return { req: PtraceRequest.Syscall, sig: 0, mayBlock: event === PtraceEvent.Vfork };
  }

  /** clone's flags (clone3: the first word of struct clone_args). */
  private cloneFlags(f: InFlight): bigint {
    if (f.def.name === 'clone') return f.args[0];
    if (f.def.name === 'clone3') return this.tracee.read(f.args[0], 8).readBigUInt64LE(0);
    return 0n;
  }

  /**
   * Set for a child that shares its parent's memory (vfork, CLONE_VM): the parent is released by
   * the kernel during the child's execve, before the exec stop. Its events must come after the
   * exec in the trace (replay runs the child up to its exec first), so the session holds the
   * parent's stops while the child is in execve.
   */
  memoryParent?: number;

  /** The task died inside a syscall: keep the call in the trace, marked as unfinished. */
  writeInterrupted(): void {
    const f = this.inFlight;
    if (!f) return;
    this.inFlight = undefined;
    this.s.writer.writeEvent({ tid: this.tid, syscall: { nr: f.def.nr, regs: f.regs.buf, result: 0, writes: [], interrupted: true } });
  }

  onEvent(stop: Extract<Stop, { kind: 'event' }>): Resume {
    switch (stop.event) {
      case PtraceEvent.Seccomp:
        if (!this.execSeen) return { req: PtraceRequest.Cont, sig: 0 }; // rrts's own execve of the program
        return this.onSyscallEntry(stop.regs);
      case PtraceEvent.Exec:
        // Write the events now: a vfork parent runs again from this moment, and its events
        // must come after the exec in the trace. But registers set now would be overwritten
        // by execve's return: the stub page and vDSO patch wait for the exit stop.
        if (this.inFlight) {
          const f = this.inFlight;
          this.inFlight = undefined;
          this.s.writer.writeEvent({ tid: this.tid, syscall: { nr: f.def.nr, regs: f.regs.buf, result: 0, writes: [] } });
        }
        this.recordExec(stop.regs.clone().set('rax', 0n));
        // A new address space: no longer shared with the parent, which may go on.
        if (this.memoryParent !== undefined) this.s.release(this.tid);
        this.memoryParent = undefined;
        this.execPending = true;
        return { req: PtraceRequest.Syscall, sig: 0 };
      case PtraceEvent.Exit:
        return { req: PtraceRequest.Cont, sig: 0 };
      case PtraceEvent.Fork:
      case PtraceEvent.Vfork:
      case PtraceEvent.Clone:
        return this.onNewTask(Number(stop.msg), stop.event);
      default:
        throw new UserError(`rrts: unexpected ptrace event ${stop.event} (${describeStop(stop)})`);
    }
  }

  private onSyscallEntry(regs: Registers): Resume {
    const nr = regs.syscallNo;
    const def = syscallByNr(nr);
    const args = [0, 1, 2, 3, 4, 5].map((i) => regs.arg(i));
    if (this.s.stopping) this.s.refuse(this.s.stopping);
    const special = recordSpecial[def.special ?? def.name];
    const verdict = special?.atEntry?.(args, this.tracee);
    if (def.record === 'refuse' || verdict?.refuse) this.s.refuse(verdict?.refuse ?? def.refuseWhy ?? `${def.name} is not supported`);
    const inFlight: InFlight = { def, regs, args };
    if (this.memoryParent !== undefined && (def.name === 'execve' || def.name === 'execveat')) this.s.hold(this.memoryParent, this.tid);
    if (def.record === 'deny' || verdict?.deny) {
      inFlight.denied = verdict?.deny ?? def.denyErrno ?? 38;
      const skip = regs.clone().set('orig_rax', -1n);
      this.prog.setRegs(this.tid, skip.buf);
    } else {
      const reads = entryReads(def, args);
      if (reads.length) inFlight.before = new SnapshotReader(reads.map((r) => ({ addr: r.addr, data: this.tracee.read(r.addr, r.len) })));
    }
    if (def.name === 'exit' || def.name === 'exit_group') {
      // It does not come back: the event is complete now.
      this.s.writer.writeEvent({ tid: this.tid, syscall: { nr, regs: regs.buf, result: 0, writes: [], interrupted: true } });
      return { req: PtraceRequest.Cont, sig: 0 };
    }
    this.inFlight = inFlight;
    return { req: PtraceRequest.Syscall, sig: 0, mayBlock: mayBlockFor(def, args) };
  }

  onSyscallExit(exitRegs: Registers): { req: PtraceRequest; sig: number } {
    if (this.execPending) {
      this.execPending = false;
      this.prepareNewImage(exitRegs);
      return { req: PtraceRequest.Cont, sig: 0 };
    }
    const f = this.inFlight;
    if (!f) return { req: PtraceRequest.Cont, sig: 0 }; // rrts's own execve, or a fork already written
    this.inFlight = undefined;
    let regs = exitRegs;
    if (f.denied !== undefined) {
      regs = exitRegs.clone().set('rax', BigInt(-f.denied)).set('orig_rax', BigInt(f.def.nr));
      this.prog.setRegs(this.tid, regs.buf);
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
      special?.atExit?.({ tracee: this.tracee, writer: this.s.writer, sharedFiles: this.s.sharedFiles, args: f.args, result, event: ev });
      if (f.def.stdioWrite && result > 0n) {
        this.captureStdio(f.def, f.args, result, ev);
        if (this.s.sharedFiles.size) this.captureFileWrite(f.def, f.args, result, ev);
      }
    }
    this.s.writer.writeEvent({ tid: this.tid, syscall: ev });
    this.lastEventRegs = regs;
    if (this.memoryParent !== undefined && (f.def.name === 'execve' || f.def.name === 'execveat')) this.s.release(this.tid);
    return { req: PtraceRequest.Cont, sig: 0 };
  }

  /** A write that reached rrts's own stdout/stderr: replay prints the same bytes. */
  private captureStdio(def: SyscallDef, args: bigint[], result: bigint, ev: SyscallEvent): void {
    const w = def.stdioWrite!;
    const which = stdioOf(this.tid, Number(args[w.fdArg]));
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
      const st = fs.statSync(`/proc/${this.tid}/fd/${fd}`);
      id = `${st.dev}:${st.ino}`;
      if (!this.s.sharedFiles.has(id)) return;
      const positional = def.name.startsWith('pwrite');
      pos = positional ? Number(args[3]) : Number(/pos:\s*(\d+)/.exec(fs.readFileSync(`/proc/${this.tid}/fdinfo/${fd}`, 'utf8'))![1]) - Number(result);
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

  /** The new image as the kernel made it: mappings (files saved), initial stack, registers. */
  private recordExec(regs: Registers): void {
    this.execSeen = true;
    this.prog.forget(this.tid).run();
    const maps = readMaps(this.tid);
    const stack = maps.find((m) => m.path === '[stack]');
    if (!stack) throw new UserError('rrts: the new program has no [stack] mapping');
    const mappings: Mapping[] = maps.map((m) => {
      const entry: Mapping = { start: Number(m.start), end: Number(m.end), perms: m.perms, offset: Number(m.offset), path: m.path };
      if (m.path.startsWith('/') && m.inode !== 0) {
        try {
          const st = fs.statSync(m.path);
          if (st.isFile() && st.ino === m.inode) entry.file = this.s.writer.saveFile(m.path, st);
        } catch {
          // vanished since exec: replay will use whatever the kernel maps
        }
      }
      return entry;
    });
    // The binary the kernel loaded: for a #! script that is the interpreter, not the script.
    const binary = fs.readlinkSync(`/proc/${this.tid}/exe`);
    const exeMap = mappings.find((m) => m.file && m.path === binary);
    this.s.writer.writeEvent({
      tid: this.tid,
      exec: {
        regs: regs.buf, stackTop: Number(stack.end), stack: this.tracee.read(regs.rsp, Number(stack.end - regs.rsp)),
        maps: mappings, exe: binary, exeFile: exeMap?.file,
      },
    });
  }

  /** At execve's exit stop: rrts's stub page and the vDSO patch, exactly as replay does them. */
  private prepareNewImage(regs: Registers): void {
    installStubPage(this.tracee, regs.rip);
    patchVdso(this.tracee, readMaps(this.tid));
    this.lastEventRegs = regs;
  }

  onSignal(stop: Extract<Stop, { kind: 'signal' }>): { req: PtraceRequest; sig: number } {
    if (!this.execSeen || (this.startStop && stop.signal === SIG.SIGSTOP)) {
      // the spawn's own SIGSTOP, or a new task's first stop
      this.startStop = false;
      return { req: PtraceRequest.Cont, sig: 0 };
    }
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
    this.s.writer.writeEvent({
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
    this.prog.setRegs(this.tid, after.buf);
    const tscBytes = Buffer.alloc(8);
    tscBytes.writeBigUInt64LE(tsc);
    this.s.writer.writeEvent({ tid: this.tid, rdtsc: { rdtscp: insn.kind === 'rdtscp', tsc: tscBytes, aux, regs: regs.buf } });
    this.lastEventRegs = after;
    return { req: PtraceRequest.Cont, sig: 0 };
  }

}
