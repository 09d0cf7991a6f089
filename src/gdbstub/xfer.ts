/**
 * qXfer:OBJECT:read — gdb reads an object in windows of (offset, length) and we answer `m<data>`
 * when more follows or `l<data>` for the last window, data binary-escaped.
 */
import { DispatchContext, Outcome, UNSUPPORTED, reply } from './context';
import { escapeBinary } from './packet';
import { buildTargetXml } from './targetXml';
import { formatThreadId } from './threadIds';
import { parseHexInt } from './encoding';

/** One window of `data`, framed as gdb expects. Offsets past the end are an error. */
export function xferWindow(data: Buffer, offset: number, length: number, budget: number): Outcome {
  if (offset > data.length) return reply('E01');
  // Escaping can double the size; keep the reply inside the packet size we advertised.
  const take = Math.min(length, Math.max(1, Math.floor(budget / 2)), data.length - offset);
  const end = offset + take;
  const marker = end < data.length ? 'm' : 'l';
  return reply(Buffer.concat([Buffer.from(marker), escapeBinary(data.subarray(offset, end))]));
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function threadsXml(ctx: DispatchContext): Promise<Buffer> {
  const threads = await ctx.target.threads();
  const lines = ['<?xml version="1.0"?>', '<threads>'];
  for (const t of threads) {
    const id = formatThreadId(ctx.target.pid, t.tid, ctx.negotiated.multiprocess);
    const name = t.name !== undefined ? ` name="${escapeXml(t.name)}"` : '';
    lines.push(`<thread id="${id}"${name}/>`);
  }
  lines.push('</threads>', '');
  return Buffer.from(lines.join('\n'), 'utf8');
}

/** The bytes of an xfer object, or `null` for an unknown annex. */
async function xferObject(ctx: DispatchContext, object: string, annex: string): Promise<Buffer | null | 'unsupported'> {
  const t = ctx.target;
  switch (object) {
    case 'features':
      return annex === 'target.xml' ? Buffer.from(buildTargetXml(t.cpu), 'utf8') : null;
    case 'threads':
      return annex === '' ? threadsXml(ctx) : null;
    case 'auxv':
      if (!t.auxv) return 'unsupported';
      return annex === '' ? t.auxv.read() : null;
    case 'exec-file': {
      if (!t.execFile) return 'unsupported';
      const pid = annex === '' ? t.pid : parseHexInt(annex);
      return pid === null ? null : Buffer.from(await t.execFile.path(pid), 'utf8');
    }
    case 'siginfo': {
      if (!t.siginfo) return 'unsupported';
      if (annex !== '') return null;
      const tid = ctx.lastStopTid ?? t.pid;
      return t.siginfo.read(tid);
    }
    default:
      return 'unsupported';
  }
}

export async function handleXferRead(
  ctx: DispatchContext,
  req: { object: string; annex: string; offset: number; length: number },
): Promise<Outcome> {
  const data = await xferObject(ctx, req.object, req.annex);
  if (data === 'unsupported') return UNSUPPORTED;
  if (data === null) return reply('E00');
  return xferWindow(data, req.offset, req.length, ctx.packetSize);
}
