/**
 * The real gdb against the fake target: proves gdb accepts our qSupported, target.xml, register
 * file, stop replies and host I/O. Skipped when gdb is not installed. Every gdb run is wrapped in
 * `timeout` and uses -batch, so a protocol mismatch fails the test instead of hanging it.
 */
import { strict as assert } from 'assert';
import { execFile, execFileSync } from 'child_process';
import { existsSync } from 'fs';
import { GdbServer } from '../../../src/gdbstub/server';
import { SessionEnd } from '../../../src/gdbstub/session';
import { DATA, FakeOptions, FakeTarget, TEXT } from './fakeTarget';

function gdbAvailable(): boolean {
  try {
    execFileSync('gdb', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface GdbRun {
  stdout: string;
  stderr: string;
  target: FakeTarget;
  ends: SessionEnd[];
}

async function runGdb(commands: string[], options: FakeOptions = {}, setup?: (t: FakeTarget) => void): Promise<GdbRun> {
  const target = new FakeTarget(options);
  setup?.(target);
  const ends: SessionEnd[] = [];
  const server = new GdbServer(target, { onSessionEnd: (e) => ends.push(e) });
  const port = await server.listen();
  const args = ['-k', '5', '30', 'gdb', '-nx', '-batch', '-ex', 'set remotetimeout 10', '-ex', `target remote 127.0.0.1:${port}`];
  for (const c of commands) args.push('-ex', c);
  try {
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      execFile('timeout', args, { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
        if (err && (err as { code?: number }).code === 124) reject(new Error(`gdb timed out:\n${stdout}\n${stderr}`));
        else resolve({ stdout, stderr });
      });
    });
    // gdb detaches when it quits; wait for the session to finish cleanly.
    const deadline = Date.now() + 5000;
    while (ends.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return { stdout, stderr, target, ends };
  } finally {
    await server.close();
  }
}

function assertNoProtocolTrouble(run: GdbRun): void {
  assert.doesNotMatch(run.stderr, /Remote failure|protocol error|Bad register|Truncated register|Ignoring packet error|not supported/i, run.stderr);
}

describe('gdbstub with the real gdb', function () {
  this.timeout(60000);

  before(function () {
    if (!gdbAvailable()) this.skip();
  });

  it('connects, reads registers (general, x87, SSE, AVX) and memory', async () => {
    const run = await runGdb([
      'info registers rip',
      'x/4xb 0x401000',
      'p/x $xmm0.v16_int8',
      'p/x $ymm0.v8_int32',
      'info registers eflags',
      'p/x $fs_base',
      'p $orig_rax',
      'p $mxcsr',
      'p/x $fctrl',
      'info threads',
    ]);
    assertNoProtocolTrouble(run);
    const out = run.stdout;
    assert.match(out, /rip\s+0x401000\s+0x401000/);
    assert.match(out, /0x401000:\s+0x90\s+0x9d\s+0xaa\s+0xb7/);
    assert.match(out, /\{0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f\}/);
    assert.match(out, /\{0x13121110, 0x17161514, 0x1b1a1918, 0x1f1e1d1c, 0xa3a2a1a0, 0xa7a6a5a4, 0xabaaa9a8, 0xafaeadac\}/);
    assert.match(out, /eflags\s+0x246\s+\[ PF ZF IF \]/);
    assert.match(out, /= 0x7ffff7d8a740/);
    assert.match(out, /= -1/);
    assert.match(out, /\[ IM DM ZM OM UM PM \]/);
    assert.match(out, /= 0x37f/);
    assert.match(out, /Thread 1234\.1234 "fake-main"/);
    assert.match(out, /Thread 1234\.1235 "fake-<worker>"/);
    assert.equal(run.ends[0]?.reason, 'detach');
  });

  it('writes registers and memory', async () => {
    const run = await runGdb([
      `set {int}${DATA} = 0x12345678`,
      `x/xw ${DATA}`,
      'set $rax = 0xfeedface',
      'p/x $rax',
      'set $xmm1.v4_int32[2] = 77',
      'p $xmm1.v4_int32[2]',
    ]);
    assertNoProtocolTrouble(run);
    assert.match(run.stdout, /0x601000:\s+0x12345678/);
    assert.match(run.stdout, /= 0xfeedface/);
    assert.match(run.stdout, /= 77/);
    assert.ok(run.target.registerWrites.length >= 2);
  });

  it('runs to breakpoints and watchpoints, steps, and runs backward to the start of history', async () => {
    const run = await runGdb(
      [
        'break *0x401010',
        'continue',
        'p $pc',
        'stepi',
        'p $pc',
        'reverse-stepi',
        'p $pc',
        'delete',
        'reverse-continue',
        'p $pc',
        `awatch *(int*)${DATA + 8n}`,
        'continue',
        'delete',
        'hbreak *0x401040',
        'continue',
        'p $pc',
        'delete',
        'continue',
      ],
      {},
      (t) => t.stores.set(TEXT + 0x20n, DATA + 8n),
    );
    assertNoProtocolTrouble(run);
    const out = run.stdout;
    assert.match(out, /hit Breakpoint 1, 0x0000000000401010/);
    assert.match(out, /\$1 = \(void \(\*\)\(\)\) 0x401010/);
    assert.match(out, /\$2 = \(void \(\*\)\(\)\) 0x401014/);
    assert.match(out, /\$3 = \(void \(\*\)\(\)\) 0x401010/);
    assert.match(out, /No more reverse-execution history\./);
    assert.match(out, /\$4 = \(void \(\*\)\(\)\) 0x401000/);
    assert.match(out, /Hardware access \(read\/write\) watchpoint 2: \*\(int\*\)6295560/);
    assert.match(out, /hit Breakpoint 3, 0x0000000000401040/);
    assert.match(out, /\[Inferior 1 \(process 1234\) exited normally\]/);
  });

  it('loads the executable over host I/O', async function () {
    const exe = ['/usr/bin/true', '/bin/true'].find((p) => existsSync(p));
    if (!exe) this.skip();
    const run = await runGdb(['info files', 'monitor echo hello from rrts'], { execFileLocal: exe });
    assertNoProtocolTrouble(run);
    assert.match(run.stdout, /Reading symbols from target:\/fake\/bin\/prog/);
    assert.match(run.stdout, /Entry point: 0x[0-9a-f]+/);
    assert.match(run.stderr + run.stdout, /hello from rrts/);
  });
});
