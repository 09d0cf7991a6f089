/**
 * Reverse execution with the real gdb against `rrts replay -s PORT TRACE`: every reverse command,
 * with breakpoints, hardware watchpoints, across system calls and a signal handler, at the start
 * of history, alternating with forward commands, a breakpoint hit 50,000 times, user checkpoints
 * and `replay -g`.
 *
 * Each case checks where gdb says it stopped, and compares the machine state there (all general
 * registers, eflags, the top of the stack and the program's variables, printed by `dump`) with
 * the state that a forward replay reached at the same point of execution: earlier in the same
 * gdb session, or in a second session that only goes forwards.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { compileFixture, fixtureLine, tempDir } from '../helpers/compile';
import { haveGdb } from '../helpers/gdb';
import { killAll, record, summary } from '../helpers/rrts';
import {
  State,
  ScriptResult,
  assertDifferentState,
  assertSameState,
  assertSameStates,
  between,
  differences,
  dump,
  dumpCounted,
  expectInOrder,
  runScript,
  stateOf,
  states,
  val,
} from './reverseHelpers';

/** The top of the stack: memory that calls, returns and signal frames change. */
const STACK = '*(long(*)[4])$sp';
/** rev_main's globals: what its rounds write and what its system calls return or fill in. */
const GLOBALS = ['g_round', 'g_sum', 'g_pids', 'g_nread', 'g_chunk'];
/** What every rev_main dump prints besides the registers. */
const V = [...GLOBALS, STACK];

/** gdb commands: single-step until the next instruction to execute is a call (opcode e8). */
const UNTIL_CALL = ['while *(unsigned char *)$pc != 0xe8', 'stepi', 'end'];

const CHUNKS = 'chunk-00chunk-01chunk-02chunk-03chunk-04chunk-05chunk-06chunk-07';

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('gdb: reverse execution', function () {
  this.timeout(120_000);
  let tmp: { dir: string; cleanup: () => void };
  let prog: string, trace: string;
  let sigProg: string, sigTrace: string;
  let hotProg: string, hotTrace: string;
  const L = (tag: string): number => fixtureLine('rev_main', tag);

  /** A line gdb prints when it shows the source line tagged `tag` of `fixture`. */
  const srcLine = (tag: string, fixture = 'rev_main'): RegExp => new RegExp(`^${fixtureLine(fixture, tag)}\\s.*${esc(tag)}\\b`);
  /** The frame line gdb prints for a stop in FN(ARGS) at the line tagged `tag`. */
  const frameLine = (fn: string, args: string, tag: string, opts: { pc?: boolean; fixture?: string } = {}): RegExp => {
    const fixture = opts.fixture ?? 'rev_main';
    const pc = opts.pc === undefined ? '(0x[0-9a-f]+ in )?' : opts.pc ? '0x[0-9a-f]+ in ' : '';
    return new RegExp(`^${pc}${esc(fn)} \\(${esc(args)}\\) at .*${esc(fixture)}\\.c:${fixtureLine(fixture, tag)}$`);
  };

  const main = (lines: string[], serverArgs: string[] = []): Promise<ScriptResult> =>
    runScript(trace, prog, tmp.dir, lines, { serverArgs });

  /** Fail, showing what gdb printed between the two dumps, unless `re` matches a line of it. */
  function expectBetween(out: string, from: string, to: string, patterns: RegExp[]): void {
    const part = between(out, from, to);
    try {
      expectInOrder(part, patterns);
    } catch (e) {
      assert.fail(`between states ${from} and ${to}: ${(e as Error).message}`);
    }
  }

  /** The states of `r`, and a function that returns one (failing the test if it is missing). */
  function parse(r: ScriptResult): (tag: string) => State {
    const all = states(r.output);
    return (tag: string) => stateOf(all, tag, r.output);
  }

  before(function () {
    if (!haveGdb()) this.skip();
    tmp = tempDir('rrts-reverse-');
    const data = path.join(tmp.dir, 'chunks');
    fs.writeFileSync(data, CHUNKS);

    prog = compileFixture('rev_main');
    trace = path.join(tmp.dir, 'rev_main-trace');
    const rec = record(trace, prog, [data]);
    assert.equal(rec.status, 0, summary(rec));
    assert.match(rec.stdout, /^round 0 chunk-00\n[\s\S]*round 7 chunk-07\nsum 8108\n$/);

    sigProg = compileFixture('rev_signal');
    sigTrace = path.join(tmp.dir, 'rev_signal-trace');
    const srec = record(sigTrace, sigProg);
    assert.equal(srec.status, 0, summary(srec));
    assert.equal(srec.stdout, 'hits 4 seen 4006\n');

    hotProg = compileFixture('rev_hot');
    hotTrace = path.join(tmp.dir, 'rev_hot-trace');
    const hrec = record(hotTrace, hotProg);
    assert.equal(hrec.status, 0, summary(hrec));
    assert.match(hrec.stdout, /^acc -?\d+\n$/);
  });
  after(() => tmp?.cleanup());
  afterEach(async () => killAll());

  it('reverse-continue to a loop breakpoint lands on the previous hit, with the registers of the forward stop there', async () => {
    const vars = [...V, 'i'];
    const script = ['break body'];
    for (let k = 0; k <= 4; k++) script.push('continue', ...dump(`fwd-${k}`, vars));
    script.push('reverse-continue', ...dump('rev-3', vars));
    script.push('reverse-continue', ...dump('rev-2', vars));
    script.push('continue', ...dump('again-3', vars));
    const r = await main(script);
    const st = parse(r);

    expectBetween(r.output, 'fwd-4', 'rev-3', [/^Breakpoint 1, body \(i=3\) at /, srcLine('TAG-BODY-CALL')]);
    expectBetween(r.output, 'rev-3', 'rev-2', [/^Breakpoint 1, body \(i=2\) at /, srcLine('TAG-BODY-CALL')]);
    expectBetween(r.output, 'rev-2', 'again-3', [/^Breakpoint 1, body \(i=3\) at /]);
    assertDifferentState(st('fwd-2'), st('fwd-3'), 'two hits of the breakpoint');
    assertSameState(st('rev-3'), st('fwd-3'), 'reverse-continue from hit 5 lands on hit 4');
    assertSameState(st('rev-2'), st('fwd-2'), 'reverse-continue again lands on hit 3');
    assertSameState(st('again-3'), st('fwd-3'), 'continue after going back reaches hit 4 again');
    assert.equal(val(st('rev-2'), 'i'), '2', 'i at hit 3');
  });

  it('reverse-step, reverse-next and reverse-finish stop where forward stepping stopped, with the same state', async () => {
    const script = [
      'break body', 'continue', 'continue', 'continue', 'delete',
      ...dump('body-start', V),
      ...UNTIL_CALL, ...dump('body-callinsn', V),
      'step', ...dump('mid-call', V),
      ...UNTIL_CALL, ...dump('mid-callinsn', V),
      'step', ...dump('leaf-body', V),
      'next', ...dump('leaf-ret', V),
      'next', ...dump('leaf-end', V),
      'next', ...dump('mid-after', V),
      'next', ...dump('mid-ret', V),
      'next', ...dump('mid-end', V),
      'next', ...dump('body-sum', V),
      // and back
      'reverse-step', ...dump('rs-mid-end', V),
      'reverse-step', ...dump('rs-mid-ret', V),
      'reverse-step', ...dump('rs-mid-after', V),
      'reverse-step', ...dump('rs-leaf-end', V),
      'reverse-step', ...dump('rs-leaf-ret', V),
      'reverse-finish', ...dump('rf-mid-callinsn', V),
      'reverse-step', ...dump('rs-mid-call', V),
      'reverse-finish', ...dump('rf-body-callinsn', V),
      'reverse-next', ...dump('rn-body-start', V),
      'next', ...dump('n-body-sum', V),
      'reverse-next', ...dump('rn2-body-start', V),
    ];
    const r = await main(script);
    const st = parse(r);

    // the forward walk went where the test means it to
    expectBetween(r.output, 'body-callinsn', 'mid-call', [frameLine('middle', 'x=2', 'TAG-MID-CALL', { pc: false })]);
    expectBetween(r.output, 'mid-callinsn', 'leaf-body', [frameLine('leaf', 'x=2', 'TAG-LEAF-BODY', { pc: false })]);
    expectBetween(r.output, 'mid-end', 'body-sum', [frameLine('body', 'i=2', 'TAG-BODY-SUM', { pc: false })]);
    // reverse-step enters middle() at its last line, walks back through it and into leaf()
    expectBetween(r.output, 'body-sum', 'rs-mid-end', [frameLine('middle', 'x=2', 'TAG-MID-END', { pc: false }), srcLine('TAG-MID-END')]);
    expectBetween(r.output, 'rs-mid-end', 'rs-mid-ret', [srcLine('TAG-MID-RET')]);
    expectBetween(r.output, 'rs-mid-ret', 'rs-mid-after', [srcLine('TAG-MID-AFTER')]);
    expectBetween(r.output, 'rs-mid-after', 'rs-leaf-end', [frameLine('leaf', 'x=2', 'TAG-LEAF-END', { pc: false })]);
    expectBetween(r.output, 'rs-leaf-end', 'rs-leaf-ret', [srcLine('TAG-LEAF-RET')]);
    // reverse-finish stops at the call instruction in the caller
    expectBetween(r.output, 'rs-leaf-ret', 'rf-mid-callinsn', [frameLine('middle', 'x=2', 'TAG-MID-CALL', { pc: true })]);
    expectBetween(r.output, 'rf-mid-callinsn', 'rs-mid-call', [srcLine('TAG-MID-CALL')]);
    expectBetween(r.output, 'rs-mid-call', 'rf-body-callinsn', [frameLine('body', 'i=2', 'TAG-BODY-CALL', { pc: true })]);
    expectBetween(r.output, 'rf-body-callinsn', 'rn-body-start', [srcLine('TAG-BODY-CALL')]);
    expectBetween(r.output, 'rn-body-start', 'n-body-sum', [srcLine('TAG-BODY-SUM')]);
    expectBetween(r.output, 'n-body-sum', 'rn2-body-start', [srcLine('TAG-BODY-CALL')]);

    assertDifferentState(st('mid-ret'), st('mid-end'), 'two lines of middle()');
    const same: [string, string][] = [
      ['rs-mid-end', 'mid-end'], ['rs-mid-ret', 'mid-ret'], ['rs-mid-after', 'mid-after'],
      ['rs-leaf-end', 'leaf-end'], ['rs-leaf-ret', 'leaf-ret'], ['rf-mid-callinsn', 'mid-callinsn'],
      ['rs-mid-call', 'mid-call'], ['rf-body-callinsn', 'body-callinsn'], ['rn-body-start', 'body-start'],
      ['n-body-sum', 'body-sum'], ['rn2-body-start', 'body-start'],
    ];
    for (const [back, fwd] of same) assertSameState(st(back), st(fwd), `${back} (reached backwards)`);
  });

  it('reverse-stepi and reverse-nexti retrace the forward stepi/nexti sequence exactly; reverse-stepi after finish lands on ret', async () => {
    const STEPS = 34, NEXTS = 8;
    const script = ['break body', 'continue', 'continue', 'continue', 'delete', ...dump('s-0', V)];
    for (let k = 1; k <= STEPS; k++) script.push('stepi', ...dump(`s-${k}`, V));
    for (let k = STEPS - 1; k >= 0; k--) script.push('reverse-stepi', ...dump(`rsi-${k}`, V));
    for (let k = 1; k <= NEXTS; k++) script.push('nexti', ...dump(`n-${k}`, V));
    for (let k = NEXTS - 1; k >= 0; k--) script.push('reverse-nexti', ...dump(`rni-${k}`, V));
    script.push(
      'tbreak leaf', 'continue', 'finish', ...dump('after-finish', V),
      'reverse-stepi', 'x/i $pc', ...dump('rsi-ret', V),
      'stepi', ...dump('ret-stepped', V),
    );
    const r = await main(script);
    const st = parse(r);

    const s = (k: number): State => st(`s-${k}`);
    assertSameStates(Array.from({ length: STEPS }, (_, k): [State, State] => [st(`rsi-${k}`), s(k)]), 'reverse-stepi back through the stepi sequence');
    assertSameStates(Array.from({ length: NEXTS }, (_, k): [State, State] => [st(`rni-${k}`), k === 0 ? s(0) : st(`n-${k}`)]), 'reverse-nexti back through the nexti sequence');
    // the stepi sequence went into middle() and leaf() and back (the sp moved down and up again)
    const sps = Array.from({ length: STEPS + 1 }, (_, k) => BigInt(s(k).regs.rsp));
    assert.ok(sps.some((v) => v < sps[0] - 48n) && sps[STEPS] === sps[0], `stepi went down two calls and back: rsp ${sps.map((v) => v.toString(16)).join(' ')}`);
    // every nexti state is one of the stepi states, later ones, and nexti skipped over the call
    let prev = 0, skipped = false;
    for (let k = 1; k <= NEXTS; k++) {
      const n = st(`n-${k}`);
      const j = sps.findIndex((_, i) => i > prev && differences(n, s(i)).length === 0);
      assert.ok(j > 0, `nexti ${k} reached a state the stepi sequence went through:\n${n.text}`);
      if (j > prev + 1) skipped = true;
      prev = j;
    }
    assert.ok(skipped, 'nexti stepped over the call to middle()');
    // finish out of leaf(), then reverse-stepi: leaf's ret, as in the stepi sequence
    expectBetween(r.output, 'after-finish', 'rsi-ret', [/^=> 0x[0-9a-f]+ <leaf\+\d+>:\s+ret/]);
    const ret = st('rsi-ret');
    const j = sps.findIndex((_, i) => s(i).regs.rip === ret.regs.rip);
    assert.ok(j >= 0, `the ret at ${ret.regs.rip} is in the stepi sequence`);
    assertSameState(ret, s(j), 'reverse-stepi from the return of finish');
    assertSameState(st('ret-stepped'), st('after-finish'), 'stepi over the ret again');
    assertSameState(st('after-finish'), s(j + 1), 'finish stopped after the ret');
  });

  /**
   * A forward-only session: for each write, run to the start of the line tagged `tag` in round
   * `round`, then stepi until g_sum changes, dumping the state before each step as PREFIX-N and
   * the state after the last step too. `last(PREFIX)` is the N of that one: the state right
   * after the write; PREFIX-(N-1) is the state just before it.
   */
  async function forwardWrites(writes: { prefix: string; tag: string; round: number; vars: string[] }[]) {
    const script: string[] = [];
    for (const w of writes) {
      script.push(
        `break rev_main.c:${L(w.tag)} if g_round == ${w.round}`, 'continue', 'delete',
        'set $n = 0', 'set $v0 = g_sum',
        'while g_sum == $v0', ...dumpCounted(w.prefix, '$n', w.vars), 'stepi', 'set $n = $n + 1', 'end',
        ...dumpCounted(w.prefix, '$n', w.vars),
      );
    }
    const r = await main(script);
    const all = states(r.output);
    const last = (prefix: string): number => {
      const ns = [...all.keys()].filter((k) => k.startsWith(`${prefix}-`)).map((k) => Number(k.slice(prefix.length + 1)));
      assert.ok(ns.length >= 2, `the forward session stepped over a write for ${prefix}\n--- gdb output ---\n${r.output}`);
      return Math.max(...ns);
    };
    return { st: (tag: string) => stateOf(all, tag, r.output), last };
  }
  /** Round 2's two writes of g_sum (in body, then at the round's end), reached going forwards. */
  async function round2Writes() {
    const mainVars = [...V, 'i'];
    const bodyVars = [...V, 'i', 'v'];
    const writes = await forwardWrites([
      { prefix: 'fs', tag: 'TAG-BODY-SUM', round: 2, vars: bodyVars },
      { prefix: 'fe', tag: 'TAG-ROUND-END', round: 2, vars: mainVars },
    ]);
    const fwd = writes.st, fs2 = writes.last('fs'), fe2 = writes.last('fe');
    return {
      fwd, fs2, fe2,
      sumBefore: val(fwd('fs-0'), 'g_sum'), sumAfterBody: val(fwd(`fs-${fs2}`), 'g_sum'), sumAfterEnd: val(fwd(`fe-${fe2}`), 'g_sum'),
    };
  }


  it('a hardware watchpoint backwards: reverse-continue shows Old/New reversed and stops just before each write', async () => {
    const mainVars = [...V, 'i'];
    const bodyVars = [...V, 'i', 'v'];
    const script = [
      'break body', 'continue', 'continue', 'continue', 'continue', 'delete',
      ...dump('at-body-3', V),
      'watch g_sum',
      'reverse-continue', 'x/i $pc', ...dump('w-end-2', mainVars),
      'reverse-continue', 'x/i $pc', ...dump('w-sum-2', bodyVars),
      'stepi', ...dump('w-sum-2-stepped', bodyVars),
    ];
    const r = await main(script);
    const st = parse(r);
    const { fwd, fs2, fe2, sumBefore, sumAfterBody, sumAfterEnd } = await round2Writes();
    assert.equal(val(st('at-body-3'), 'g_sum'), sumAfterEnd, 'g_sum at the start of round 3 is what round 2 left');

    expectBetween(r.output, 'at-body-3', 'w-end-2', [
      /^(Hardware )?[Ww]atchpoint 2: g_sum$/,
      new RegExp(`^Old value = ${sumAfterEnd}$`),
      new RegExp(`^New value = ${sumAfterBody}$`),
      new RegExp(`^0x[0-9a-f]+ in main \\(argc=2, argv=0x[0-9a-f]+\\) at .*rev_main\\.c:${L('TAG-ROUND-END')}$`),
      /^=> 0x[0-9a-f]+ <main\+\d+>:\s+mov\s+%rax,0x[0-9a-f]+\(%rip\)\s+# 0x[0-9a-f]+ <g_sum>$/,
    ]);
    expectBetween(r.output, 'w-end-2', 'w-sum-2', [
      /^(Hardware )?[Ww]atchpoint 2: g_sum$/,
      new RegExp(`^Old value = ${sumAfterBody}$`),
      new RegExp(`^New value = ${sumBefore}$`),
      frameLine('body', 'i=2', 'TAG-BODY-SUM', { pc: true }),
      /^=> 0x[0-9a-f]+ <body\+\d+>:\s+mov\s+%rax,0x[0-9a-f]+\(%rip\)\s+# 0x[0-9a-f]+ <g_sum>$/,
    ]);
    assertSameState(st('w-end-2'), fwd(`fe-${fe2 - 1}`), 'reverse watchpoint stop before the write of TAG-ROUND-END');
    assertSameState(st('w-sum-2'), fwd(`fs-${fs2 - 1}`), 'reverse watchpoint stop before the write of TAG-BODY-SUM');
    assertSameState(st('w-sum-2-stepped'), fwd(`fs-${fs2}`), 'stepi over that write');
  });

  it('reverse-continue right after a forward watchpoint stop stops before the write just reported (as rr does)', async () => {
    const mainVars = [...V, 'i'];
    const bodyVars = [...V, 'i', 'v'];
    const script = [
      'break body', 'continue', 'continue', 'continue', 'delete',
      'watch g_sum',
      'continue', ...dump('fw-sum-2', bodyVars),
      'continue', ...dump('fw-end-2', mainVars),
      'reverse-continue', 'x/i $pc', ...dump('rw-end-2', mainVars),
      'reverse-continue', 'x/i $pc', ...dump('rw-sum-2', bodyVars),
    ];
    const r = await main(script);
    const st = parse(r);
    const { fwd, fs2, fe2, sumBefore, sumAfterBody, sumAfterEnd } = await round2Writes();
    // the forward watchpoint stops are right after the writes
    assertSameState(st('fw-sum-2'), fwd(`fs-${fs2}`), 'forward watchpoint stop after the TAG-BODY-SUM write');
    assertSameState(st('fw-end-2'), fwd(`fe-${fe2}`), 'forward watchpoint stop after the TAG-ROUND-END write');
    // going back, the first write met is the one the last forward stop reported
    expectBetween(r.output, 'fw-end-2', 'rw-end-2', [
      /^(Hardware )?[Ww]atchpoint 2: g_sum$/,
      new RegExp(`^Old value = ${sumAfterEnd}$`),
      new RegExp(`^New value = ${sumAfterBody}$`),
      new RegExp(`^0x[0-9a-f]+ in main \\(argc=2, argv=0x[0-9a-f]+\\) at .*rev_main\\.c:${L('TAG-ROUND-END')}$`),
    ]);
    assertSameState(st('rw-end-2'), fwd(`fe-${fe2 - 1}`), 'reverse-continue from after the TAG-ROUND-END write');
    expectBetween(r.output, 'rw-end-2', 'rw-sum-2', [
      new RegExp(`^Old value = ${sumAfterBody}$`),
      new RegExp(`^New value = ${sumBefore}$`),
      frameLine('body', 'i=2', 'TAG-BODY-SUM', { pc: true }),
    ]);
    assertSameState(st('rw-sum-2'), fwd(`fs-${fs2 - 1}`), 'reverse-continue again: before the TAG-BODY-SUM write');
  });

  it('reverse-continue with a watchpoint right after stepi over a write stops before that write', async () => {
    const bodyVars = [...V, 'i', 'v'];
    const script = [
      `break rev_main.c:${L('TAG-BODY-SUM')} if g_round == 2`, 'continue', 'delete',
      'set $v0 = g_sum', 'while g_sum == $v0', 'stepi', 'end', ...dump('stepped-over', bodyVars),
      'watch g_sum',
      'reverse-continue', 'x/i $pc', ...dump('rw-sum-2', bodyVars),
    ];
    const r = await main(script);
    const st = parse(r);
    const writes = await forwardWrites([{ prefix: 'fs', tag: 'TAG-BODY-SUM', round: 2, vars: bodyVars }]);
    const fwd = writes.st, fs2 = writes.last('fs');
    const sumBefore = val(fwd('fs-0'), 'g_sum'), sumAfterBody = val(fwd(`fs-${fs2}`), 'g_sum');
    assertSameState(st('stepped-over'), fwd(`fs-${fs2}`), 'stepi just past the write');
    expectBetween(r.output, 'stepped-over', 'rw-sum-2', [
      /^(Hardware )?[Ww]atchpoint 2: g_sum$/,
      new RegExp(`^Old value = ${sumAfterBody}$`),
      new RegExp(`^New value = ${sumBefore}$`),
      frameLine('body', 'i=2', 'TAG-BODY-SUM', { pc: true }),
    ]);
    assertSameState(st('rw-sum-2'), fwd(`fs-${fs2 - 1}`), 'reverse-continue: before the write just stepped over');
  });

  it('reverse-continue across read/getpid/write system calls: registers, read() buffers and results match, back and forth', async () => {
    const vars = [...V, 'i', 'n', 'local', 'line'];
    const script = [`break rev_main.c:${L('TAG-WRITE')}`];
    for (let k = 0; k <= 4; k++) script.push('continue', ...dump(`f-${k}`, vars));
    const moves: [string, string][] = [
      ['reverse-continue', 'r-3'], ['reverse-continue', 'r-2'], ['reverse-continue', 'r-1'],
      ['continue', 'c-2'], ['continue', 'c-3'], ['reverse-continue', 'rb-2'], ['reverse-continue', 'rb-1'], ['reverse-continue', 'rb-0'],
    ];
    for (const [cmd, tag] of moves) script.push(cmd, ...dump(tag, vars));
    script.push('reverse-continue', ...dump('before-all', [STACK])); // globals: see the start-of-history test
    const r = await main(script);
    const st = parse(r);

    for (let k = 0; k <= 4; k++) {
      const f = st(`f-${k}`);
      assert.equal(val(f, 'g_round'), String(k), `g_round at hit ${k}`);
      assert.match(val(f, 'g_chunk'), new RegExp(`^"chunk-0${k}\\\\000`), `g_chunk (read() into a local, copied) at hit ${k}`);
      assert.equal(val(f, 'g_nread'), '8', `g_nread at hit ${k}`);
      assert.match(val(f, 'local'), new RegExp(`^"chunk-0${k}\\\\000`), `local (read()'s buffer) at hit ${k}`);
      assert.match(val(f, 'line'), new RegExp(`^"round ${k} chunk-0${k}\\\\n`), `line at hit ${k}`);
    }
    assert.equal(BigInt(val(st('f-3'), 'g_pids')), 4n * BigInt(val(st('f-0'), 'g_pids')), 'g_pids sums the same recorded pid');
    for (const [, tag] of moves) {
      const k = tag.slice(-1);
      expectBetween(r.output, prevTag(moves, tag), tag, [/^Breakpoint 1, main \(argc=2, argv=0x[0-9a-f]+\) at /, srcLine('TAG-WRITE')]);
      assertSameState(st(tag), st(`f-${k}`), `${tag}: the write line of round ${k}`);
    }
    // before round 0's breakpoint hit there is no other: back to the start
    expectBetween(r.output, 'rb-0', 'before-all', [/^No more reverse-execution history\.$/]);
    function prevTag(list: [string, string][], tag: string): string {
      const i = list.findIndex(([, t]) => t === tag);
      return i === 0 ? 'f-4' : list[i - 1][1];
    }
  });

  it('reverse-stepi through read(): each instruction, the syscall and the buffer it filled match the forward stepi sequence', async () => {
    const STEPS = 40;
    const BUF = '*(char(*)[16])$buf';
    const vars = [...GLOBALS, BUF, '$n_syscalls', STACK];
    const script = [
      `break rev_main.c:${L('TAG-READ')} if g_round == 2`, 'continue', 'delete',
      'set $buf = (char *)local', 'set $n_syscalls = 0',
      ...dump('rd-0', vars),
    ];
    for (let k = 1; k <= STEPS; k++) {
      // count the syscall instructions executed (0f 05) so the test knows it crossed read's
      script.push('if *(unsigned short *)$pc == 0x050f', 'set $n_syscalls = $n_syscalls + 1', 'end', 'stepi', ...dump(`rd-${k}`, vars));
    }
    for (let k = STEPS - 1; k >= 0; k--) {
      script.push('reverse-stepi', 'if *(unsigned short *)$pc == 0x050f', 'set $n_syscalls = $n_syscalls - 1', 'end', ...dump(`rrd-${k}`, vars));
    }
    script.push('stepi', 'stepi', ...dump('rd-again-2', vars));
    const r = await main(script);
    const st = parse(r);

    assert.match(val(st('rd-0'), BUF), /^'\\000' <repeats 15 times>$/, 'local is empty before read()');
    assert.match(val(st(`rd-${STEPS}`), BUF), /^"chunk-02\\000/, `read() filled local within ${STEPS} instructions`);
    assert.equal(val(st(`rd-${STEPS}`), '$n_syscalls'), '2', 'the syscall instructions of read() and getpid() were stepped over');
    assert.equal(val(st(`rd-${STEPS}`), 'g_nread'), '8', 'g_nread');
    assertSameStates(
      Array.from({ length: STEPS }, (_, k): [State, State] => [st(`rrd-${k}`), st(`rd-${k}`)]),
      'reverse-stepi back through read() and getpid(), compared with the forward stepi there',
    );
    assertSameState(st('rd-again-2'), st('rd-2'), 'stepi forward again');
  });

  it('a breakpoint on the instruction right after a syscall instruction is hit, forwards and backwards', async () => {
    const vars = [...V, '$rax'];
    const script = [
      `break rev_main.c:${L('TAG-GETPID')} if g_round == 2`, 'continue', 'delete',
      // into getpid(): up to its syscall instruction (0f 05), then over it
      'while *(unsigned short *)$pc != 0x050f', 'stepi', 'end',
      'stepi', ...dump('after-sys-2', vars), 'set $after = $pc',
      'break *$after',
      'continue', ...dump('bp-3', vars),
      'reverse-continue', ...dump('rbp-2', vars),
    ];
    const r = await main(script);
    const st = parse(r);
    const after = st('after-sys-2');
    assert.equal(val(after, 'g_round'), '2', 'g_round after the syscall of round 2');

    // getpid() of round 3 returns through the same instruction: the breakpoint must stop there
    expectBetween(r.output, 'after-sys-2', 'bp-3', [/^Breakpoint 2, /]);
    const bp3 = st('bp-3');
    assert.equal(bp3.regs.rip, after.regs.rip, 'stopped on the instruction after the syscall');
    assert.equal(val(bp3, 'g_round'), '3', 'in round 3');
    expectBetween(r.output, 'bp-3', 'rbp-2', [/^Breakpoint 2, /]);
    // r11 is left out: a stepi over a syscall leaves TF in it (see the read() stepi test)
    assertSameState(st('rbp-2'), after, 'reverse-continue to the breakpoint after the syscall of round 2', ['r11']);
  });

  it('reverse-continue with a libc breakpoint not hit before reaches the start of history; continue then stops there', async () => {
    // raw memory only (see the start-of-history test)
    const vars = ['*(int *)&g_round', '*(long *)&g_sum', STACK];
    const script = [
      ...dump('init', vars),
      'break body', 'continue', 'delete', ...dump('body-0', vars),
      'break write',
      'reverse-continue', ...dump('start', vars),
      'continue', 'bt 2', ...dump('write-0', vars),
      'reverse-continue', ...dump('start-again', vars),
    ];
    const r = await main(script);
    const st = parse(r);
    const f = parse(await main(['break write', 'continue', ...dump('write-0', vars)]));

    expectBetween(r.output, 'body-0', 'start', [/^No more reverse-execution history\.$/, /^0x[0-9a-f]+ in _start \(\) from /]);
    assertSameState(st('start'), st('init'), 'reverse-continue from main with `break write`');
    expectBetween(r.output, 'start', 'write-0', [/^Breakpoint 2, .*write/, /^#1 +0x[0-9a-f]+ in main \(/]);
    assertSameState(st('write-0'), f('write-0'), 'continue to the first write()');
    expectBetween(r.output, 'write-0', 'start-again', [/^No more reverse-execution history\.$/]);
    assertSameState(st('start-again'), st('init'), 'reverse-continue from the first write()');
  });

  it('reverse-continue back into the first invocation of a signal handler (raise(SIGUSR1), nostop pass)', async () => {
    const vars = ['g_hits', 'g_round', 'g_seen', 'sig', STACK];
    const script = ['handle SIGUSR1 nostop noprint pass', 'break on_usr1'];
    for (let k = 1; k <= 3; k++) script.push('continue', ...dump(`h-${k}`, vars));
    script.push('reverse-continue', ...dump('rh-2', vars));
    script.push('reverse-continue', ...dump('rh-1', vars), 'bt');
    script.push('continue', ...dump('again-2', vars), 'reverse-continue', 'reverse-continue', ...dump('none', [STACK]));
    const r = await runScript(sigTrace, sigProg, tmp.dir, script);
    const st = parse(r);

    for (let k = 1; k <= 3; k++) {
      assert.equal(val(st(`h-${k}`), 'g_hits'), String(k - 1), `g_hits in handler call ${k}`);
      assert.equal(val(st(`h-${k}`), 'g_round'), String(k - 1), `g_round in handler call ${k}`);
    }
    const hit = frameLine('on_usr1', 'sig=10', 'TAG-HANDLER', { pc: false, fixture: 'rev_signal' });
    expectBetween(r.output, 'h-3', 'rh-2', [new RegExp(`^Breakpoint 1, ${hit.source.slice(1)}`)]);
    expectBetween(r.output, 'rh-2', 'rh-1', [new RegExp(`^Breakpoint 1, ${hit.source.slice(1)}`)]);
    expectBetween(r.output, 'rh-1', 'again-2', [
      /^#0 +on_usr1 \(sig=10\) at .*rev_signal\.c:/,
      /^#1 +<signal handler called>$/,
      new RegExp(`^#\\d+ +0x[0-9a-f]+ in main \\(\\) at .*rev_signal\\.c:${fixtureLine('rev_signal', 'TAG-RAISE')}$`),
    ]);
    assertSameState(st('rh-2'), st('h-2'), 'reverse-continue into handler call 2');
    assertSameState(st('rh-1'), st('h-1'), 'reverse-continue into handler call 1');
    assertSameState(st('again-2'), st('h-2'), 'continue into handler call 2 again');
    assertDifferentState(st('h-1'), st('h-2'), 'two handler calls');
    // nothing before the first handler call: reverse-continue ends at the start of history
    expectBetween(r.output, 'again-2', 'none', [/^Breakpoint 1, on_usr1/, /^No more reverse-execution history\.$/]);
  });

  it('at the start of history reverse-continue and reverse-stepi say "No more reverse-execution history." at the first instruction', async () => {
    // Raw memory only: after going back over ld.so's loading of libc, gdb 13 finds the
    // program's globals without their debug info ("'g_round' has unknown type") until
    // `info sharedlibrary`; that is gdb's symbol lookup, not the replay's state.
    const vars = ['*(int *)&g_round', '*(long *)&g_sum', STACK, '*(long(*)[4])($sp+32)'];
    const script = [
      ...dump('init', vars), 'monitor when',
      'break main', 'continue', 'delete', ...dump('in-main', vars),
      'reverse-continue', ...dump('start', vars), 'monitor when',
      'reverse-stepi', ...dump('start-2', vars),
      'stepi', ...dump('step-1', vars),
      'reverse-stepi', ...dump('start-3', vars),
    ];
    const r = await main(script);
    const st = parse(r);
    const fwd = await main([...dump('init', vars), 'stepi', ...dump('step-1', vars)]);
    const fst = parse(fwd);

    const [initWhen, startWhen] = expectInOrder(r.output, [/^Current event: (\d+)$/, /^Current event: (\d+)$/]);
    assert.equal(startWhen[1], initWhen[1], 'monitor when at the start of history');
    expectBetween(r.output, 'in-main', 'start', [/^No more reverse-execution history\.$/, /^0x[0-9a-f]+ in _start \(\) from /]);
    expectBetween(r.output, 'start', 'start-2', [/^No more reverse-execution history\.$/]);
    expectBetween(r.output, 'step-1', 'start-3', [/^No more reverse-execution history\.$|^0x[0-9a-f]+ in _start/]);
    assertDifferentState(st('in-main'), st('init'), 'main and the first instruction');
    assertSameState(st('start'), st('init'), 'reverse-continue to the start of history');
    assertSameState(st('start-2'), st('init'), 'reverse-stepi at the start of history stays there');
    assertSameState(st('init'), fst('init'), 'the initial stop of a fresh replay');
    assertSameState(st('step-1'), fst('step-1'), 'stepi from the start again');
    assertSameState(st('start-3'), st('init'), 'reverse-stepi back to the first instruction');
  });

  it('alternating directions with breakpoints added and removed ends where a plain forward replay does', async () => {
    const script = [
      'break body', 'continue', 'continue', 'continue',
      'reverse-continue', ...dump('a1', V),                   // body, round 1
      'continue', ...dump('a2', V),                           // body, round 2
      'delete 1', 'break leaf',
      'continue', ...dump('a3', V),                           // leaf, round 2
      'reverse-step', ...dump('a4', V),                       // middle: start of TAG-MID-CALL, round 2
      'delete 2',
      'next', ...dump('a5', V),                               // middle: TAG-MID-AFTER, round 2
      `break rev_main.c:${L('TAG-WRITE')}`,
      'reverse-continue', ...dump('a6', V),                   // TAG-WRITE, round 1
      'break middle',
      'continue', ...dump('a7', V),                           // middle, round 2
      'reverse-next', ...dump('a8', V),                       // body: start of TAG-BODY-CALL, round 2
      'continue', ...dump('a9', V),                           // middle, round 2
      'delete', 'next', 'next', ...dump('a10', V),            // middle: TAG-MID-RET, round 2
    ];
    const r = await main(script);
    const st = parse(r);
    const forward = [
      ['f-body-1', 'body', 1], ['f-write-1', `rev_main.c:${L('TAG-WRITE')}`, 1], ['f-body-2', 'body', 2],
      ['f-mid-2', 'middle', 2], ['f-leaf-2', 'leaf', 2], ['f-midafter-2', `rev_main.c:${L('TAG-MID-AFTER')}`, 2],
      ['f-midret-2', `rev_main.c:${L('TAG-MID-RET')}`, 2],
    ] as const;
    const fscript: string[] = [];
    for (const [tag, where, round] of forward) fscript.push(`tbreak ${where} if g_round == ${round}`, 'continue', ...dump(tag, V));
    const f = parse(await main(fscript));

    expectBetween(r.output, 'a2', 'a3', [/^Breakpoint 2, leaf \(x=2\) at /]);
    expectBetween(r.output, 'a3', 'a4', [frameLine('middle', 'x=2', 'TAG-MID-CALL', { pc: false })]);
    expectBetween(r.output, 'a4', 'a5', [srcLine('TAG-MID-AFTER')]);
    expectBetween(r.output, 'a5', 'a6', [/^Breakpoint 3, main /, srcLine('TAG-WRITE')]);
    expectBetween(r.output, 'a6', 'a7', [/^Breakpoint 4, middle \(x=2\) at /]);
    expectBetween(r.output, 'a7', 'a8', [frameLine('body', 'i=2', 'TAG-BODY-CALL', { pc: false })]);
    expectBetween(r.output, 'a8', 'a9', [/^Breakpoint 4, middle \(x=2\) at /]);
    const expected: [string, string][] = [
      ['a1', 'f-body-1'], ['a2', 'f-body-2'], ['a3', 'f-leaf-2'], ['a4', 'f-mid-2'], ['a5', 'f-midafter-2'],
      ['a6', 'f-write-1'], ['a7', 'f-mid-2'], ['a8', 'f-body-2'], ['a9', 'f-mid-2'], ['a10', 'f-midret-2'],
    ];
    for (const [a, e] of expected) assertSameState(st(a), f(e), `${a} of the alternating session`);
  });

  it('a breakpoint hit 50,000 times: reverse-continue from the end lands on the last call, then on the one before', async () => {
    const vars = ['g_acc', 'n', STACK];
    const r = await runScript(hotTrace, hotProg, tmp.dir, [
      `break rev_hot.c:${fixtureLine('rev_hot', 'TAG-END')}`, 'continue', 'delete', 'break hotfn',
      'reverse-continue', ...dump('r-49999', vars),
      'reverse-continue', ...dump('r-49998', vars),
      'continue', ...dump('c-49999', vars),
      'reverse-continue', ...dump('rr-49998', vars),
    ], { timeoutMs: 100_000 });
    const st = parse(r);
    const f = parse(await runScript(hotTrace, hotProg, tmp.dir, [
      'break near_end', 'continue', 'delete', 'break hotfn',
      'continue', ...dump('f-49998', vars), 'continue', ...dump('f-49999', vars),
    ]));

    expectInOrder(r.output, [
      /^Breakpoint 2, hotfn \(n=49999\) at .*rev_hot\.c:/,
      /^Breakpoint 2, hotfn \(n=49998\) at .*rev_hot\.c:/,
      /^Breakpoint 2, hotfn \(n=49999\) at .*rev_hot\.c:/,
      /^Breakpoint 2, hotfn \(n=49998\) at .*rev_hot\.c:/,
    ]);
    assert.equal(val(f('f-49998'), 'n'), '49998');
    assertSameState(st('r-49999'), f('f-49999'), 'reverse-continue from the end: the last call');
    assertSameState(st('r-49998'), f('f-49998'), 'reverse-continue again: the call before');
    assertSameState(st('c-49999'), f('f-49999'), 'continue: the last call again');
    assertSameState(st('rr-49998'), f('f-49998'), 'reverse-continue once more');
  });

  it('monitor checkpoint / checkpoints / restart N return to the marked point', async () => {
    const vars = [...V, 'i'];
    const script = [
      'break body', 'continue', 'continue', ...dump('c-1', vars), 'monitor when',
      'monitor checkpoint',
      'continue', ...dump('c-2', vars), 'continue', ...dump('c-3', vars),
      'monitor checkpoints',
      'monitor restart 1',
      // gdb caches registers and memory across a monitor command: make it read them again
      'maintenance flush register-cache', 'maintenance flush dcache',
      ...dump('restarted', vars), 'monitor when',
      'continue', ...dump('then-2', vars),
      'reverse-continue', ...dump('then-1', vars),
      'monitor restart 2',
    ];
    const r = await main(script);
    const st = parse(r);

    const m = expectInOrder(r.output, [
      /^Current event: (\d+)$/,
      /^Checkpoint 1 at (event \d+.*)$/,
      /^ +1 +(event \d+.*)$/,
      /^At checkpoint 1 \((event \d+.*)\)/,
      /^Current event: (\d+)$/,
      /^rrts: no checkpoint 2; 'monitor checkpoints' lists them$/,
    ]);
    assert.equal(m[4][1], m[0][1], 'monitor when after restart');
    assert.equal(m[2][1], m[1][1], 'monitor checkpoints lists checkpoint 1');
    assert.equal(m[3][1], m[1][1], 'restart names checkpoint 1');
    assertDifferentState(st('c-3'), st('c-1'), 'hits 2 and 4');
    assertSameState(st('restarted'), st('c-1'), 'monitor restart 1');
    expectBetween(r.output, 'restarted', 'then-2', [/^Breakpoint 1, body \(i=2\) at /]);
    assertSameState(st('then-2'), st('c-2'), 'continue after restart');
    assertSameState(st('then-1'), st('c-1'), 'reverse-continue after restart');
  });

  it('rrts replay -g EVENT starts at that event: monitor when, then forward and backward to the same states as a full replay', async () => {
    const vars = [...V, 'i'];
    const full = await main(['break body', 'continue', 'continue', ...dump('f-1', vars), 'continue', ...dump('f-2', vars), 'monitor when', 'continue', ...dump('f-3', vars)]);
    const f = parse(full);
    const event = Number(expectInOrder(between(full.output, 'f-2', 'f-3'), [/^Current event: (\d+)$/])[0][1]);
    assert.ok(event > 1, `event ${event}`);

    const r = await main(['monitor when', 'break body', 'continue', ...dump('g-2', vars), 'continue', ...dump('g-3', vars),
      'reverse-continue', 'reverse-continue', ...dump('g-1', vars)], ['-g', String(event)]);
    const st = parse(r);
    expectInOrder(r.output, [new RegExp(`^Current event: ${event}$`), /^Breakpoint 1, body \(i=2\) at /]);
    assertSameState(st('g-2'), f('f-2'), 'the first hit after event ' + event);
    assertSameState(st('g-3'), f('f-3'), 'the next hit');
    assertSameState(st('g-1'), f('f-1'), 'reverse-continue to before the -g event');
  });
});
