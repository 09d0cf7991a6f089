/**
 * Carries out one decoded request against the target and produces its reply. The switch is
 * exhaustive over {@link GdbRequest}: a new request kind does not compile until it is handled here.
 * Handlers may throw; the session turns non-fatal errors into `Enn` replies.
 */
import { sendConsole } from './context';
import {
  decodeRegisterFile, encodeRegisterFile, readRegister, registerBytes, registerByNumber, writeRegister,
} from './amd64Registers';
import { DispatchContext, OK, Outcome, UNSUPPORTED, reply } from './context';
import { textToHex } from './encoding';
import { negotiate } from './features';
import { GdbRequest, PointType } from './requests';
import { currentThread, handleResume, reportStop } from './resume';
import { BreakpointOps, WatchKind } from './target';
import { ThreadSelector, formatThreadId, isSpecificThread, matchesProcess } from './threadIds';
import { handleXferRead } from './xfer';


/** The thread a selector names for a query, resolving "any"/"all" to the current thread. */
async function resolveThread(ctx: DispatchContext, sel: ThreadSelector): Promise<number> {
  return isSpecificThread(sel) ? sel.tid : currentThread(ctx);
}

async function threadExists(ctx: DispatchContext, sel: ThreadSelector): Promise<boolean> {
  if (!matchesProcess(sel, ctx.target.pid)) return false;
  if (!isSpecificThread(sel)) return true;
  return (await ctx.target.threads()).some((t) => t.tid === sel.tid);
}

async function handlePoint(ctx: DispatchContext, req: Extract<GdbRequest, { kind: 'point' }>): Promise<Outcome> {
  const t = ctx.target;
  const watchKinds: Partial<Record<PointType, WatchKind>> = { write: 'write', read: 'read', access: 'access' };
  const watchKind = watchKinds[req.type];
  if (watchKind) {
    if (!t.watchpoints) return UNSUPPORTED;
    if (req.op === 'insert') await t.watchpoints.insert(watchKind, req.addr, req.length);
    else await t.watchpoints.remove(watchKind, req.addr, req.length);
  } else {
    const ops: BreakpointOps | undefined = req.type === 'sw' ? t.breakpoints : t.hwBreakpoints;
    if (!ops) return UNSUPPORTED;
    if (req.op === 'insert') await ops.insert(req.addr, req.length);
    else await ops.remove(req.addr, req.length);
  }
  ctx.notePoint(req.op, req.type, req.addr, req.length);
  return OK;
}

async function handleMonitor(ctx: DispatchContext, command: string): Promise<Outcome> {
  if (!ctx.target.monitor) return UNSUPPORTED;
  sendConsole(ctx, await ctx.target.monitor.run(command));
  return OK;
}

async function handleThreadList(ctx: DispatchContext, first: boolean): Promise<Outcome> {
  // The whole list goes in the first reply; qsThreadInfo then ends it.
  if (!first) return reply('l');
  const threads = await ctx.target.threads();
  if (threads.length === 0) return reply('l');
  const ids = threads.map((t) => formatThreadId(ctx.target.pid, t.tid, ctx.negotiated.multiprocess));
  return reply('m' + ids.join(','));
}

export async function dispatch(req: GdbRequest, ctx: DispatchContext): Promise<Outcome> {
  const t = ctx.target;
  switch (req.kind) {
    case 'haltReason':
      return reply(await reportStop(ctx, await t.currentStop()));

    case 'readRegisters': {
      const regs = await t.readRegisters(await resolveThread(ctx, ctx.queryThread));
      return reply(encodeRegisterFile(regs, t.cpu), { rle: true });
    }
    case 'writeRegisters': {
      const tid = await resolveThread(ctx, ctx.queryThread);
      const regs = await t.readRegisters(tid);
      let updated;
      try {
        updated = decodeRegisterFile(regs, t.cpu, req.data);
      } catch (err) {
        ctx.logger.warn(`G rejected: ${(err as Error).message}`);
        return reply('E16');
      }
      if (updated !== regs) await t.writeRegisters(tid, updated);
      return OK;
    }
    case 'readRegister': {
      const reg = registerByNumber(t.cpu, req.regnum);
      if (!reg) return reply('E16');
      const value = readRegister(await t.readRegisters(await resolveThread(ctx, ctx.queryThread)), reg);
      return reply(value ? value.toString('hex') : 'xx'.repeat(registerBytes(reg)));
    }
    case 'writeRegister': {
      const reg = registerByNumber(t.cpu, req.regnum);
      if (!reg || req.value.length !== registerBytes(reg)) return reply('E16');
      const tid = await resolveThread(ctx, ctx.queryThread);
      const regs = await t.readRegisters(tid);
      if (readRegister(regs, reg) === undefined) return reply('E16');
      const updated = writeRegister(regs, reg, req.value);
      if (updated !== regs) await t.writeRegisters(tid, updated);
      return OK;
    }

    case 'readMemory': {
      if (req.length === 0) return reply('');
      // gdb accepts short reads and asks again for the rest.
      const data = await t.readMemory(req.addr, Math.min(req.length, Math.floor(ctx.packetSize / 2)));
      return data.length > 0 ? reply(data.toString('hex'), { rle: true }) : reply('E0e');
    }
    case 'writeMemory':
      // `X ADDR,0:` is gdb probing for X support: nothing to write.
      if (req.data.length > 0) await t.writeMemory(req.addr, req.data);
      return OK;

    case 'point':
      return handlePoint(ctx, req);

    case 'resume':
      return handleResume(req, ctx);
    case 'vContQuery':
      return reply('vCont;c;C;s;S;t;r');

    case 'setThread':
      if (!(await threadExists(ctx, req.thread))) return reply('E01');
      if (req.op === 'g') ctx.queryThread = req.thread;
      else ctx.continueThread = req.thread;
      return OK;
    case 'threadAlive':
      return reply(isSpecificThread(req.thread) && (await threadExists(ctx, req.thread)) ? 'OK' : 'E01');
    case 'currentThread':
      return reply('QC' + formatThreadId(t.pid, await currentThread(ctx), ctx.negotiated.multiprocess));
    case 'threadList':
      return handleThreadList(ctx, req.first);
    case 'threadExtraInfo': {
      const info = (await t.threads()).find((th) => th.tid === req.thread.tid);
      return info ? reply(textToHex(info.name ?? '')) : reply('E01');
    }

    case 'supported': {
      const { reply: features, negotiated } = negotiate(ctx.caps, req.features, ctx.packetSize);
      ctx.negotiated = negotiated;
      return reply(features);
    }
    case 'startNoAck':
      return reply('OK', { after: 'startNoAck' });
    case 'passSignals':
      ctx.passSignals = new Set(req.signals);
      return OK;
    case 'attached':
      // Always "attached": gdb then detaches, rather than kills, when it quits.
      return reply('1');
    case 'xferRead':
      return handleXferRead(ctx, req);
    case 'monitor':
      return handleMonitor(ctx, req.command);
    case 'symbol':
      return OK;
    case 'extendedMode':
      ctx.extendedMode = true;
      return OK;

    case 'detach':
      return reply('OK', { after: 'detach' });
    case 'kill':
      return req.reply ? reply('OK', { after: 'kill' }) : { reply: null, after: 'kill' };
    case 'spawn':
      ctx.logger.warn(`${req.via} refused: the debuggee is a recording`);
      return reply(`E.rrts replays a recording; it cannot ${req.via === 'vRun' ? 'run' : 'attach to'} other processes`);

    case 'fileSetFs':
      return ctx.hostIo ? reply(ctx.hostIo.setFs(req.pid)) : UNSUPPORTED;
    case 'fileOpen':
      return ctx.hostIo ? reply(await ctx.hostIo.open(req.path, req.flags)) : UNSUPPORTED;
    case 'filePread':
      return ctx.hostIo ? reply(await ctx.hostIo.pread(req.fd, req.count, req.offset)) : UNSUPPORTED;
    case 'filePwrite':
      return ctx.hostIo ? reply(ctx.hostIo.pwrite()) : UNSUPPORTED;
    case 'fileClose':
      return ctx.hostIo ? reply(await ctx.hostIo.close(req.fd)) : UNSUPPORTED;
    case 'fileFstat':
      return ctx.hostIo ? reply(await ctx.hostIo.fstat(req.fd)) : UNSUPPORTED;
    case 'fileReadlink':
      return ctx.hostIo ? reply(await ctx.hostIo.readlink(req.path)) : UNSUPPORTED;

    case 'unknown':
      ctx.logger.debug(`unsupported packet ${req.packet}`);
      return UNSUPPORTED;
    case 'malformed':
      ctx.logger.warn(`malformed packet ${req.packet}: ${req.reason}`);
      return reply('E16');

    default: {
      const unreachable: never = req;
      throw new Error(`unhandled request ${JSON.stringify(unreachable)}`);
    }
  }
}
