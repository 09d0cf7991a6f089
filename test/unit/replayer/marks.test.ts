import { strict as assert } from 'assert';
import { Mark, Move, appendMove, boundary, cloneMark, describeMark, withoutLastStep } from '../../../src/replayer/marks';

const bp = (addr: bigint, count = 1): Move => ({ kind: 'bp', addr, count });
const step = (count = 1): Move => ({ kind: 'step', count });
const watch = (addr: bigint, count = 1): Move => ({ kind: 'watch', watches: [{ kind: 'write', addr, len: 4 }], count });

describe('marks (positions without a tick counter)', () => {
  it('merges consecutive moves of the same breakpoint, steps and watch set', () => {
    const path: Move[] = [];
    appendMove(path, bp(0x10n));
    appendMove(path, bp(0x10n));
    appendMove(path, bp(0x20n));
    appendMove(path, step());
    appendMove(path, step(3));
    appendMove(path, watch(0x100n));
    appendMove(path, watch(0x100n));
    appendMove(path, watch(0x200n));
    assert.deepEqual(path, [bp(0x10n, 2), bp(0x20n), step(4), watch(0x100n, 2), watch(0x200n)]);
  });

  it('does not merge different breakpoints or alias the appended move', () => {
    const path: Move[] = [];
    const m = bp(0x10n);
    appendMove(path, m);
    appendMove(path, bp(0x10n));
    assert.equal(m.count, 1, 'the caller\'s move object is not modified');
    assert.equal((path[0] as { count: number }).count, 2);
  });

  it('takes one single step off the end, and nothing else', () => {
    const m: Mark = { event: 7, path: [bp(0x10n, 3), step(2)] };
    const one = withoutLastStep(m)!;
    assert.deepEqual(one.path, [bp(0x10n, 3), step(1)]);
    assert.deepEqual(withoutLastStep(one)!.path, [bp(0x10n, 3)]);
    assert.deepEqual(m.path, [bp(0x10n, 3), step(2)], 'the original mark is unchanged');
    assert.equal(withoutLastStep({ event: 7, path: [bp(0x10n)] }), undefined);
    assert.equal(withoutLastStep(boundary(3)), undefined);
  });

  it('clones deeply and describes marks for logs', () => {
    const m: Mark = { event: 5, path: [bp(0x401000n, 2), step()] };
    const c = cloneMark(m);
    (c.path[0] as { count: number }).count = 9;
    assert.equal((m.path[0] as { count: number }).count, 2);
    assert.equal(describeMark(m), 'event 5 + bp 0x401000 x2, 1 step');
    assert.equal(describeMark(boundary(12)), 'event 12');
  });
});
