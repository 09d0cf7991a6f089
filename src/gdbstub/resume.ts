/**
 * Resumes: c, s, C, S, vCont, bc, bs. All of them become one {@link ResumeRequest} for an all-stop
 * target, run through the session (so Ctrl-C reaches the target), and end in a stop reply.
 */
import { REGNUM, readRegister, registerByNumber, writeRegister } from './amd64Registers';
import { DispatchContext, Outcome, reply } from './context';
import { GdbRequest, ResumeAction } from './requests';
import { fromGdbSignal, toGdbSignal } from './signals';
import { ExpeditedRegisters, formatStopReply, stopThread } from './stopReply';
import { sendConsole } from './context';
import { GdbTarget, ResumeRequest, StopReason } from './target';
import { ANY_THREAD, isSpecificThread, matchesProcess } from './threadIds';

type ResumeGdbRequest = Extract<GdbRequest, { kind: 'resume' }>;

/** The thread gdb means when it says "any thread": the last one it saw stop. */
export async function currentThread(ctx: DispatchContext): Promise<number> {
  if (ctx.lastStopTid !== undefined) return ctx.lastStopTid;
  const tid = stopThread(await ctx.target.currentStop());
  if (tid !== undefined) {
    ctx.lastStopTid = tid;
    return tid;
  }
  const threads = await ctx.target.threads();
  return threads[0]?.tid ?? ctx.target.pid;
}

/**
 * Reduce gdb's actions to one all-stop resume: an action aimed at a specific thread (gdb's
 * "step this thread, continue the rest") wins over the default action.
 */
async function planResume(req: ResumeGdbRequest, ctx: DispatchContext): Promise<ResumeRequest | string> {
  const active = req.actions.filter((a) => a.action !== 'stop');
  if (active.length === 0) return 'no thread is resumed';
  for (const a of active) {
    if (a.thread && !matchesProcess(a.thread, ctx.target.pid)) return 'action for an unknown process';
  }
  const primary: ResumeAction = active.find((a) => a.thread && isSpecificThread(a.thread)) ?? active[0];
  let tid: number;
  if (primary.thread && isSpecificThread(primary.thread)) tid = primary.thread.tid;
  else if (isSpecificThread(ctx.continueThread)) tid = ctx.continueThread.tid;
  else tid = await currentThread(ctx);

  let signal: number | undefined;
  if (primary.signal) {
    signal = fromGdbSignal(primary.signal);
    if (signal === undefined) return `gdb signal ${primary.signal} has no Linux equivalent`;
  }
  const action = primary.action === 'continue' ? 'continue' : 'step';
  return {
    direction: req.direction,
    action,
    tid,
    ...(signal !== undefined ? { signal } : {}),
    ...(primary.range ? { range: primary.range } : {}),
  };
}

/** rbp, rsp and rip of the stopped thread, so gdb needs no `g` just to show where it stopped. */
async function expeditedRegisters(target: GdbTarget, tid: number): Promise<ExpeditedRegisters> {
  const out = new Map<number, Buffer>();
  try {
    const regs = await target.readRegisters(tid);
    for (const regnum of [REGNUM.rbp, REGNUM.rsp, REGNUM.rip]) {
      const value = readRegister(regs, registerByNumber(target.cpu, regnum)!);
      if (value) out.set(regnum, value);
    }
  } catch {
    // Expedited registers are an optimisation; gdb will ask with `g` instead.
  }
  return out;
}

/** A stop gdb asked us not to report (QPassSignals) during a continue. */
function isPassedSignal(stop: StopReason, ctx: DispatchContext): stop is Extract<StopReason, { kind: 'signal' }> {
  return stop.kind === 'signal' && stop.cause === undefined && ctx.passSignals.has(toGdbSignal(stop.signal));
}

/** Format a stop for gdb and make its thread the current one. */
export async function reportStop(ctx: DispatchContext, stop: StopReason): Promise<string> {
  const tid = stopThread(stop);
  ctx.lastStopTid = tid;
  // After a stop gdb addresses "the" thread; both selections follow the stopped thread.
  ctx.queryThread = ANY_THREAD;
  ctx.continueThread = ANY_THREAD;
  const expedited = tid !== undefined ? await expeditedRegisters(ctx.target, tid) : new Map();
  // Text the target wants the user to see with this stop: console output before the reply.
  if (stop.kind === 'signal' && stop.message) sendConsole(ctx, stop.message);
  return formatStopReply(stop, ctx.target.pid, ctx.negotiated, expedited);
}

export async function handleResume(req: ResumeGdbRequest, ctx: DispatchContext): Promise<Outcome> {
  const plan = await planResume(req, ctx);
  if (typeof plan === 'string') {
    ctx.logger.warn(`resume rejected: ${plan}`);
    return reply('E16');
  }
  if (req.addr !== undefined) {
    // `c ADDR`: resume somewhere else. Goes through the target like any register write.
    const rip = registerByNumber(ctx.target.cpu, REGNUM.rip)!;
    const value = Buffer.alloc(8);
    value.writeBigUInt64LE(req.addr);
    const regs = await ctx.target.readRegisters(plan.tid);
    await ctx.target.writeRegisters(plan.tid, writeRegister(regs, rip, value));
  }
  let request = plan;
  for (;;) {
    const { stop, interrupted } = await ctx.runTarget(request);
    if (!interrupted && request.action === 'continue' && isPassedSignal(stop, ctx)) {
      ctx.logger.debug(`passing signal ${stop.signal} of thread ${stop.tid} without stopping`);
      request = { ...plan, tid: stop.tid, signal: stop.signal };
      continue;
    }
    return reply(await reportStop(ctx, stop));
  }
}
