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
 * Processes created by fork/vfork/clone are traced too (each a RecordTask); they run freely and
 * their events interleave in the trace in the order their stops arrive. Threads (tasks sharing
 * memory and running at once) need scheduling and are refused for now.
 *
 * Every event is written as it happens (TraceWriter), so a killed recorder leaves a usable trace.
 */
import * as os from 'os';
import { rrtsSpawn } from '../shared/native/binding';
import { ptrace, last, PtraceRequest, Op } from '../shared/native/ops';
import { RecordTask, Resume } from './recordTask';
import { Stop, decodeStop } from '../shared/stop';
import { ErrnoError, UserError } from '../shared/errors';
import { STUB_PAGE, STUB_SYSCALL_AFTER } from '../shared/stubPage';
import { SIG } from '../shared/signals';
import { SpawnFlag } from '../shared/spawnFlags';
import { TraceWriter } from '../trace/traceStream';

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

const WAIT_SLICE_MS = 250;
const SCHED_SLICE_MS = 20;
const YIELD_MS = 50;

export class RecordSession {
  readonly prog = ptrace;
  readonly tasks = new Map<number, RecordTask>();
  /** "dev:ino" of files mapped MAP_SHARED so far: writes into them are recorded for replay */
  readonly sharedFiles = new Set<string>();
  stopping?: string;
  private pid = 0;
  /** children announced by their parent's fork event whose first stop has not come yet */
  private readonly expected = new Set<number>();
  /** children that stopped before their parent's fork event was written: held until it is */
  private readonly early = new Set<number>();
  private outcome?: RecordOutcome;
  private lastYield = Date.now();

  constructor(private readonly opts: RecordOptions, readonly writer: TraceWriter) {}

  /** Ask the loop to end the recording (SIGTERM to rrts): the tracees are killed, the trace kept. */
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
    this.tasks.set(pid, new RecordTask(pid, this, { forked: false }));
    this.writer.writeHeader({
      rrtsVersion: o.rrtsVersion, argv: o.argv, env: o.env, cwd: o.cwd, exePath: o.exe,
      stackLimit: o.stackLimit, startTimeMs: Date.now(), ticks: 'software', stubPage: Number(STUB_PAGE),
      pid, hostname: os.hostname(),
    });

    this.schedule(pid, { req: PtraceRequest.Cont, sig: 0 });
    this.dispatch();
    while (this.tasks.size > 0) {
      const stop = await this.waitAny();
      if (stop.kind === 'timeout') continue;
      if (this.userRunning === stop.tid) this.userRunning = undefined;
      const resume = this.handle(stop);
      if (resume) this.schedule(stop.tid, resume);
      this.dispatch();
    }
    return this.outcome ?? { code: 0 };
  }

  /*
   * Scheduling, as rr does it: one task at a time in user space, so that the trace orders the
   * tasks' events as they really happened (two processes printing at once print in trace
   * order). A task entering a call that may block lets the next one run; so does one that has
   * not stopped within SCHED_SLICE_MS (waiting on shared memory, or in a call the table does not
   * know to block).
   */
  private userRunning?: number;
  private readonly ready: { tid: number; r: Resume }[] = [];
  /** resumes queued on the ptrace queue, not yet run (they run with the next wait) */
  private queued: { tid: number; r: Resume }[] = [];

  private schedule(tid: number, r: Resume): void {
    this.ready.push({ tid, r });
  }

  private dispatch(): void {
    while (this.userRunning === undefined && this.ready.length > 0) {
      const next = this.ready.shift()!;
      this.prog.resume(next.tid, next.r.req, next.r.sig);
      this.queued.push(next);
      if (!next.r.mayBlock) this.userRunning = next.tid;
    }
  }

  /** Run the queued resumes and wait; a resume of a task that just died is dropped. */
  private waitOnce(sliceMs: number): Stop | undefined {
    const res = this.prog.wait(-1, sliceMs).run(true);
    const ran = res.filter((r) => r.op === Op.Resume).length;
    const rest = this.queued.slice(ran);
    const failed = res.find((r) => r.op === Op.Resume && r.ret < 0);
    this.queued = [];
    const w = last(res);
    if (w.op === Op.Wait && w.ret >= 0) return decodeStop(w.data);
    if (failed && this.userRunning !== undefined && !rest.some((q) => q.tid === this.userRunning)) this.userRunning = undefined;
    for (const q of rest) {
      this.prog.resume(q.tid, q.r.req, q.r.sig);
      this.queued.push(q);
    }
    if (!failed) throw new ErrnoError(-w.ret, 'waitpid');
    this.dispatch();
    return undefined;
  }

  /** Wait for any task, in slices so that Node's event loop (signals to rrts) gets turns. */
  private async waitAny(): Promise<Stop> {
    // A program that keeps making syscalls never lets a wait time out: give Node's event loop
    // (SIGTERM/SIGHUP handlers) a turn every YIELD_MS all the same.
    if (Date.now() - this.lastYield >= YIELD_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      this.lastYield = Date.now();
      if (this.stopping) for (const t of this.tasks.keys()) this.prog.kill(t, SIG.SIGKILL);
    }
    for (;;) {
      const slice = this.ready.length > 0 ? SCHED_SLICE_MS : WAIT_SLICE_MS;
      const stop = this.waitOnce(slice);
      if (!stop) continue;
      if (stop.kind !== 'timeout') return stop;
      if (this.userRunning !== undefined && this.ready.length > 0) {
        // The running task is taking its time (blocked, or spinning): let the next one run too.
        this.userRunning = undefined;
        this.dispatch();
        continue;
      }
      await new Promise((resolve) => setImmediate(resolve));
      if (this.stopping) for (const t of this.tasks.keys()) this.prog.kill(t, SIG.SIGKILL);
    }
  }

  private handle(stop: Exclude<Stop, { kind: 'timeout' }>): Resume | undefined {
    const holder = this.heldBy.get(stop.tid);
    if (holder !== undefined) {
      this.deferred.push(stop);
      return undefined;
    }
    const task = this.tasks.get(stop.tid);
    if (!task) {
      // A new task's first stop, possibly before its parent's fork event.
      if (this.expected.delete(stop.tid)) return this.start(stop.tid);
      this.early.add(stop.tid);
      return undefined;
    }
    switch (stop.kind) {
      case 'exited':
      case 'killed': {
        if (!task.execSeen && stop.kind === 'exited' && (stop.code === 126 || stop.code === 127)) {
          throw new UserError(`rrts: cannot execute ${this.opts.exe}`, stop.code);
        }
        task.writeInterrupted();
        const exit = stop.kind === 'exited' ? { code: stop.code, signal: 0 } : { code: 0, signal: stop.signal, core: stop.core };
        this.writer.writeEvent({ tid: stop.tid, exit });
        if (stop.tid === this.pid) this.outcome = stop.kind === 'exited' ? { code: stop.code } : { signal: stop.signal, core: stop.core };
        this.tasks.delete(stop.tid);
        this.release(stop.tid);
        return undefined;
      }
      case 'event':
        return task.onEvent(stop);
      case 'syscall':
        return task.onSyscallExit(stop.regs);
      case 'signal':
        return task.onSignal(stop);
    }
  }

  /** parent tid -> the memory-sharing child in execve that holds it (see RecordTask.memoryParent) */
  private readonly heldBy = new Map<number, number>();
  /** stops of held parents, handled when they are released */
  private deferred: Exclude<Stop, { kind: 'timeout' }>[] = [];

  hold(parent: number, child: number): void {
    this.heldBy.set(parent, child);
  }

  /** The child is out of its execve (or gone): handle its parent's stops that waited. */
  release(child: number): void {
    for (const [parent, holder] of [...this.heldBy]) {
      if (holder !== child) continue;
      this.heldBy.delete(parent);
      const mine = this.deferred.filter((s) => s.tid === parent);
      this.deferred = this.deferred.filter((s) => s.tid !== parent);
      for (const stop of mine) {
        const resume = this.handle(stop);
        if (resume) this.schedule(stop.tid, resume);
      }
    }
  }

  /** A parent's fork event named `child`: start tracing it (now, or when its first stop comes). */
  adoptChild(child: number, memoryParent?: number): void {
    const task = new RecordTask(child, this, { forked: true });
    task.memoryParent = memoryParent;
    this.tasks.set(child, task);
    if (this.early.delete(child)) this.schedule(child, { req: PtraceRequest.Cont, sig: 0 });
    else this.expected.add(child);
  }

  private start(child: number): Resume {
    const t = this.tasks.get(child);
    if (t) t.startStop = false;
    return { req: PtraceRequest.Cont, sig: 0 };
  }

  /** End the recording here: the program does something rrts cannot record yet. */
  refuse(why: string): never {
    for (const tid of this.tasks.keys()) this.prog.kill(tid, SIG.SIGKILL);
    this.prog.run(true);
    for (let i = 0; i < 1000 && this.tasks.size > 0; i++) {
      const w = last(this.prog.wait(-1, 1000).run(true));
      if (w.ret < 0) break;
      const s = decodeStop(w.data);
      if (s.kind === 'timeout') break;
      if (s.kind === 'exited' || s.kind === 'killed') this.tasks.delete(s.tid);
      else this.prog.resume(s.tid, PtraceRequest.Cont, 0);
    }
    this.writer.writeEvent({ tid: this.pid, end: { reason: why } });
    throw new UserError(`rrts: ${why}; the recording stops here`, 1);
  }
}
