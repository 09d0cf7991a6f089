/**
 * The real gdb (over TCP, `target extended-remote`) against `rrts replay -s PORT TRACE`.
 * The fixture is recorded once; every test starts its own replay server and a `gdb -batch` with
 * a list of commands, then matches gdb's output in order (like the conformance .expect files).
 */
import { strict as assert } from 'assert';
import * as path from 'path';
import { compileFixture, fixtureLine, tempDir } from '../helpers/compile';
import { InteractiveGdb, expectInOrder, haveGdb, runGdb, startReplayServer, ReplayServer } from '../helpers/gdb';
import { killAll, record, sleep, summary } from '../helpers/rrts';

function expectNone(output: string, re: RegExp, why: string): void {
  const line = output.split('\n').find((l) => re.test(l));
  assert.equal(line, undefined, `${why}: ${re} matched "${line}"\n--- gdb output ---\n${output}`);
}

/** The replayed program's part of the server's stdout (without rrts's "connect with" banner). */
function programOutput(serverStdout: string): string {
  return serverStdout.replace(/^rrts: replaying .*; connect with:\n {2}gdb .*\n/m, '');
}

const FINAL_OUTPUT = 'debugme 49 45 120 4098\n';

describe('gdb: debugging a replay', function () {
  let tmp: { dir: string; cleanup: () => void };
  let prog: string;
  let trace: string;
  const line = (tag: string): number => fixtureLine('debugme', tag);
  const gdb = (commands: string[]) => runGdb(trace, prog, commands);

  before(function () {
    if (!haveGdb()) this.skip();
    tmp = tempDir('rrts-gdb-');
    prog = compileFixture('debugme');
    trace = path.join(tmp.dir, 'debugme-trace');
    const rec = record(trace, prog);
    assert.equal(rec.status, 0, summary(rec));
    assert.equal(rec.stdout, 'first\n' + FINAL_OUTPUT);
  });
  after(() => tmp?.cleanup());
  afterEach(async () => killAll());

  it('break by function, continue, bt, info locals, print locals/globals/heap, x/4xw', async () => {
    const r = await gdb([
      'break square', 'continue', 'bt', 'print x', 'up', 'info locals',
      'print local_a', 'print g_total', 'print g_counter', 'print *g_heap@4', 'print g_heap[2]', 'print g_name',
      'x/4xw g_heap',
    ]);
    expectInOrder(r.output, [
      /^Breakpoint 1 at 0x[0-9a-f]+: file .*debugme\.c, line \d+\./,
      /^Breakpoint 1, square \(x=7\) at .*debugme\.c:\d+/,
      /TAG-SQUARE-BODY/,
      /^#0 +square \(x=7\) at .*debugme\.c:/,
      new RegExp(`^#1 +0x[0-9a-f]+ in main \\(\\) at .*debugme\\.c:${line('TAG-CALL-SQUARE')}`),
      /^\$1 = 7$/,
      /^#1 /,
      /^local_a = 7$/,
      /^local_b = 0$/,
      /^\$2 = 7$/,
      /^\$3 = 1000$/,
      /^\$4 = 0$/,
      /^\$5 = \{4096, 4097, 4098, 4099\}$/,
      /^\$6 = 4098$/,
      /^\$7 = "debugme"$/,
      /^0x[0-9a-f]+:\s+0x00001000\s+0x00001001\s+0x00001002\s+0x00001003$/,
    ]);
  });

  it('break by file:line, continue to the third hit, print the argument and a global', async () => {
    const l = line('TAG-BUMP');
    const r = await gdb([`break debugme.c:${l}`, 'continue', 'continue', 'continue', 'print i', 'print g_counter', 'info breakpoints']);
    expectInOrder(r.output, [
      new RegExp(`^Breakpoint 1 at 0x[0-9a-f]+: file .*debugme\\.c, line ${l}\\.`),
      new RegExp(`^Breakpoint 1, bump \\(i=0\\) at .*debugme\\.c:${l}`),
      new RegExp(`^Breakpoint 1, bump \\(i=1\\) at .*debugme\\.c:${l}`),
      new RegExp(`^Breakpoint 1, bump \\(i=2\\) at .*debugme\\.c:${l}`),
      /^\$1 = 2$/,
      /^\$2 = 1$/,
      /breakpoint already hit 3 times/,
    ]);
  });

  it('break in libc (write): bt shows the program\'s caller, finish gives write\'s result', async () => {
    const r = await gdb(['break write', 'continue', 'bt', 'finish']);
    expectInOrder(r.output, [
      /^Breakpoint 1 at /,
      /^Breakpoint 1, .*write/,
      /^#0 .*write/,
      new RegExp(`^#1 +0x[0-9a-f]+ in say \\(what=0x[0-9a-f]+ "first\\\\n"\\) at .*debugme\\.c:${line('TAG-SAY-WRITE')}`),
      new RegExp(`^#2 +0x[0-9a-f]+ in main \\(\\) at .*debugme\\.c:`),
      /^say \(what=.*"first\\n"\) at .*debugme\.c:/,
      /^Value returned is \$1 = 6$/,
    ]);
  });

  it('step into a call, next over a line, finish with "Value returned"', async () => {
    const l = line('TAG-CALL-SQUARE');
    const r = await gdb([`break ${l}`, 'continue', 'step', 'next', 'print result', 'finish', 'next', 'print local_b']);
    expectInOrder(r.output, [
      new RegExp(`^Breakpoint 1, main \\(\\) at .*debugme\\.c:${l}`),
      /^square \(x=7\) at .*debugme\.c:\d+/,
      /TAG-SQUARE-BODY/,
      /^\d+\s+return result;/,
      /^\$1 = 49$/,
      /in main \(\) at .*debugme\.c:/,
      /^Value returned is \$2 = 49$/,
      /say\("first\\n"\);/,
      /^\$3 = 49$/,
    ]);
  });

  it('info registers rip, $pc and $xmm0', async () => {
    const r = await gdb(['break square', 'continue', 'info registers rip', 'print $pc == square', 'print/x $rdi', 'print $xmm0', 'print $sp != 0']);
    expectInOrder(r.output, [
      /^Breakpoint 1, square/,
      /^rip\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <square\+\d+>$/,
      /^\$1 = (0|1)$/,
      /^\$2 = 0x7$/,
      /^\$3 = \{v8_bfloat16 = .*v4_float = .*v2_int64 = .*uint128 = /,
      /^\$4 = 1$/,
    ]);
  });

  it('watch a global: stops where it changes with Old value / New value', async () => {
    const r = await gdb(['break bump', 'continue', 'delete', 'watch g_counter', 'continue', 'bt 1', 'continue', 'continue']);
    expectInOrder(r.output, [
      /^Breakpoint 1, bump \(i=0\)/,
      /^(Hardware )?[Ww]atchpoint 2: g_counter$/,
      /^(Hardware )?[Ww]atchpoint 2: g_counter$/,
      /^Old value = 0$/,
      /^New value = 1$/,
      /^#0 +bump \(i=1\)/,
      /^Old value = 1$/,
      /^New value = 3$/,
      /^Old value = 3$/,
      /^New value = 6$/,
    ]);
  });

  it('tbreak stops once; a conditional breakpoint stops only where its condition holds', async () => {
    const r = await gdb(['tbreak fact', 'continue', 'info breakpoints', 'break fact if n == 2', 'continue', 'print n', 'bt', 'continue', 'print g_total']);
    expectInOrder(r.output, [
      /^Temporary breakpoint 1 at /,
      /^Temporary breakpoint 1, fact \(n=5\)/,
      /^No breakpoints or watchpoints\.$/,
      /^Breakpoint 2 at /,
      /^Breakpoint 2, fact \(n=2\)/,
      /^\$1 = 2$/,
      /^#0 +fact \(n=2\)/,
      /^#1 .* in fact \(n=3\)/,
      /^#2 .* in fact \(n=4\)/,
      /^#3 .* in fact \(n=5\)/,
      /^#4 .* in main \(\)/,
      // the condition holds only once: the next stop is the end of the recording
      /^Program (received|terminated with) signal SIGKILL/,
      /^\$2 = 120$/,
    ]);
    expectNone(r.output, /^Breakpoint 2, fact \(n=[^2]/, 'the conditional breakpoint stops only at n == 2');
  });

  it('info threads shows one Thread; monitor help and monitor when', async () => {
    const r = await gdb(['info threads', 'monitor help', 'monitor when', 'break say', 'continue', 'monitor when', 'continue', 'monitor when']);
    const m = expectInOrder(r.output, [
      /^\* 1 +Thread \d+/,
      /\bwhen\b/,
      /^Current event: (\d+)$/,
      /^Breakpoint 1, say \(what=.*"first/,
      /^Current event: (\d+)$/,
      /^Breakpoint 1, say \(what=.*"debugme/,
      /^Current event: (\d+)$/,
    ]);
    const threadLines = r.output.split('\n').filter((l) => /^[* ] +\d+ +Thread /.test(l));
    assert.equal(threadLines.length, 1, `one thread:\n${r.output}`);
    const [start, first, second] = [Number(m[2][1]), Number(m[4][1]), Number(m[6][1])];
    assert.ok(start < first && first < second, `event numbers grow as the replay goes forward: ${start} ${first} ${second}`);
  });

  it('continue to the end of the recording reports SIGKILL; gdb stays usable; kill ends it', async () => {
    const r = await gdb(['continue', 'info registers rip', 'print g_counter', 'print g_total', 'bt', 'info threads', 'kill', 'info inferiors']);
    expectInOrder(r.output, [
      /^Program received signal SIGKILL, Killed\.$/,
      /^rip\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <.*exit.*>$/,
      /^\$1 = 45$/,
      /^\$2 = 120$/,
      /^#0 .*exit/,
      /^\* 1 +Thread /,
      /^\[Inferior 1 \(process \d+\) killed\]$/,
      /^\* 1 +<null>/,
    ]);
    expectNone(r.output, /Remote connection closed|Remote communication error/, 'the connection stays up');
    assert.equal(programOutput(r.serverStdout), 'first\n' + FINAL_OUTPUT, 'the replayed program wrote its whole output');
  });

  it('call of a program function is refused, and the replay goes on correctly afterwards', async () => {
    // gdb's printf formats locally: it calls nothing in the inferior.
    const show = (when: string): string => `printf "${when}: i=%d g_counter=%d\\n", i, g_counter`;
    const r = await gdb([
      'break bump', 'continue', 'continue', show('before call'), 'call square(3)', show('after call'),
      'continue', show('next stop'), 'delete', 'continue', 'printf "at end: g_counter=%d g_total=%d\\n", g_counter, g_total',
    ]);
    const callAt = r.output.indexOf('before call: ');
    assert.ok(callAt >= 0, r.output);
    const afterCall = r.output.slice(callAt);
    expectNone(afterCall, /^\$\d+ = 9$/, 'the call must not run (square(3) would be 9)');
    assert.match(afterCall, /error|E\d\d|cannot|not supported|refus/i, `gdb reports an error for the call:\n${r.output}`);
    expectInOrder(r.output, [
      /^Breakpoint 1, bump \(i=0\)/,
      /^Breakpoint 1, bump \(i=1\)/,
      /^before call: i=1 g_counter=0$/,
      // the refused call leaves the replay where it was
      /^after call: i=1 g_counter=0$/,
      /^Breakpoint 1, bump \(i=2\)/,
      /^next stop: i=2 g_counter=1$/,
      /^Program received signal SIGKILL/,
      /^at end: g_counter=45 g_total=120$/,
    ]);
    assert.equal(programOutput(r.serverStdout), 'first\n' + FINAL_OUTPUT, 'the replay wrote what the recording did');
  });

  describe('Ctrl-C', () => {
    let spinTrace: string;
    let spin: string;
    let server: ReplayServer | undefined;
    let gdbProc: InteractiveGdb | undefined;

    before(function () {
      spin = compileFixture('spin');
      spinTrace = path.join(tmp.dir, 'spin-trace');
      // about 4 s of a loop without syscalls: replay must be interrupted in the middle of it
      const rec = record(spinTrace, spin, ['4000']);
      assert.equal(rec.status, 0, summary(rec));
    });
    afterEach(async () => {
      await gdbProc?.close(2000);
      await server?.stop();
      gdbProc = server = undefined;
    });

    it('SIGINT to gdb during continue stops the replay inside the loop; bt shows the loop function', async () => {
      server = await startReplayServer(spinTrace);
      gdbProc = new InteractiveGdb(server.port, spin, ['break main', 'continue', 'next', 'next', 'continue']);
      await gdbProc.waitFor(/Continuing\.\n[^]*Continuing\.\n/, 60_000);
      await sleep(700);
      gdbProc.signal('SIGINT');
      await gdbProc.waitFor(/Program received signal SIGINT/, 30_000);
      gdbProc.send('bt');
      gdbProc.send('print g_spins > 0');
      gdbProc.send('monitor when');
      gdbProc.send('quit');
      const status = await Promise.race([gdbProc.done, sleep(30_000).then(() => 'timeout')]);
      const out = gdbProc.output.replace(/^(\(gdb\) )+/gm, '');
      assert.notEqual(status, 'timeout', `gdb quits:\n${out}`);
      expectInOrder(out, [
        /^Breakpoint 1, main /,
        /^Continuing\.$/,
        /^Program received signal SIGINT, Interrupt\.$/,
        /^#0 .*spin_for_a_while \(n=4000000000\)/,
        /^#1 .* in main \(/,
        /^\$1 = 1$/,
        /^Current event: \d+$/,
      ]);
      expectNone(out, /^done \d+/, 'the loop was interrupted before it finished');
    });
  });
});
