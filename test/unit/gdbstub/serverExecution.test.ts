import { strict as assert } from 'assert';
import { TargetError } from '../../../src/gdbstub/target';
import { DATA, PID, TEXT, TID2 } from './fakeTarget';
import { frame } from './gdbClient';
import { gdb, le64, parseStop, until, withServer } from './serverFixture';

describe('gdbstub server: execution and sessions', function () {
  this.timeout(10000);

  describe('breakpoints and resumes', () => {
    it('stops a vCont;c at an inserted breakpoint with swbreak and expedited registers', async () => {
      await withServer({}, async (f) => {
        const c = await gdb(f);
        assert.equal(await c.request('Z0,401010,1'), 'OK');
        assert.ok(f.target.swBreaks.has(0x401010n));
        const stop = parseStop(await c.request('vCont;c:p4d2.-1'));
        assert.equal(stop.signal, 5);
        assert.ok(stop.fields.has('swbreak'));
        assert.equal(stop.fields.get('thread'), 'p4d2.4d2');
        assert.equal(stop.fields.get('10'), le64(0x401010n));
        assert.ok(stop.fields.has('6') && stop.fields.has('7'));
        assert.equal(await c.request('z0,401010,1'), 'OK');
        assert.equal(f.target.swBreaks.size, 0);
        assert.equal(await c.request('c'), 'W00;process:4d2');
      });
    });

    it('reports hardware breakpoints and watchpoints', async () => {
      await withServer({}, async (f) => {
        const c = await gdb(f);
        f.target.stores.set(0x401008n, DATA + 4n);
        assert.equal(await c.request(`Z2,${DATA.toString(16)},8`), 'OK');
        let stop = parseStop(await c.request('c'));
        assert.equal(stop.fields.get('watch'), (DATA + 4n).toString(16));
        assert.equal(await c.request(`z2,${DATA.toString(16)},8`), 'OK');
        assert.equal(await c.request('Z1,401020,1'), 'OK');
        stop = parseStop(await c.request('c'));
        assert.ok(stop.fields.has('hwbreak'));
        assert.equal(stop.fields.get('10'), le64(0x401020n));
      });
    });

    it('omits swbreak when gdb did not ask for it', async () => {
      await withServer({}, async (f) => {
        const c = await f.connect();
        await c.request('qSupported:multiprocess+');
        await c.request('Z0,401010,1');
        const stop = parseStop(await c.request('c'));
        assert.ok(!stop.fields.has('swbreak'));
      });
    });

    it('turns steps, range steps and thread-specific actions into one resume request', async () => {
      await withServer({}, async (f) => {
        const c = await gdb(f);
        let stop = parseStop(await c.request('vCont;s:p4d2.4d3;c'));
        assert.equal(stop.fields.get('thread'), 'p4d2.4d3');
        assert.deepEqual(f.target.resumes.at(-1), { direction: 'forward', action: 'step', tid: TID2 });
        stop = parseStop(await c.request('vCont;r401000,401010:p4d2.4d2;c'));
        assert.equal(stop.fields.get('10'), le64(0x401010n));
        assert.deepEqual(f.target.resumes.at(-1), {
          direction: 'forward', action: 'step', tid: PID, range: { start: 0x401000n, end: 0x401010n },
        });
        await c.request('C1e');
        assert.equal(f.target.resumes.at(-1)!.signal, 10, 'gdb SIGUSR1 (30) is Linux 10');
        assert.equal(await c.request('vCont;t'), 'E16');
        assert.equal(await c.request('vCont?'), 'vCont;c;C;s;S;t;r');
      });
    });

    it('runs backward with bc/bs and reports the start of history', async () => {
      await withServer({}, async (f) => {
        const c = await gdb(f);
        await c.request('Z0,401008,1');
        parseStop(await c.request('c'));
        await c.request('s');
        assert.equal(f.target.rip(), 0x40100cn);
        let stop = parseStop(await c.request('bs'));
        assert.equal(stop.fields.get('10'), le64(0x401008n));
        await c.request('z0,401008,1');
        stop = parseStop(await c.request('bc'));
        assert.equal(stop.fields.get('replaylog'), 'begin');
        assert.equal(f.target.resumes.at(-1)!.direction, 'backward');
      });
    });

    it('continues through signals gdb passes (QPassSignals) but reports the others', async () => {
      await withServer({}, async (f) => {
        const c = await gdb(f);
        f.target.signalsAt.set(0x401008n, 10); // SIGUSR1
        await c.request('Z0,401020,1');
        let stop = parseStop(await c.request('c'));
        assert.equal(stop.signal, 0x1e, 'SIGUSR1 is gdb signal 30');
        f.target.setRip(PID, TEXT);
        assert.equal(await c.request('QPassSignals:1e'), 'OK');
        stop = parseStop(await c.request('c'));
        assert.ok(stop.fields.has('swbreak'));
        assert.equal(f.target.resumes.at(-1)!.signal, 10, 'the passed signal is delivered on the re-resume');
      });
    });
  });

  describe('interrupts', () => {
    it('delivers Ctrl-C to a pending resume and reports the resulting stop', async () => {
      await withServer({}, async (f) => {
        const c = await gdb(f);
        f.target.hangOnContinue = true;
        c.send('vCont;c');
        await until(() => f.server.state === 'running', 'the running state');
        assert.equal(c.hasPending, false);
        // Other packets wait behind the resume; they are answered after the stop.
        c.send('qC');
        c.interrupt();
        const stop = parseStop(await c.next());
        assert.equal(stop.signal, 2);
        assert.equal(await c.next(), 'QCp4d2.4d2');
        assert.equal(f.target.interrupts, 1);
        assert.equal(f.server.state, 'idle');
      });
    });

    it('keeps an interrupt that arrives together with the resume it is meant for', async () => {
      await withServer({}, async (f) => {
        const c = await gdb(f);
        f.target.hangOnContinue = true;
        c.sendRaw(Buffer.concat([frame('m401000,1'), frame('c'), Buffer.from([3])]));
        assert.equal(await c.next(), '90');
        assert.equal(parseStop(await c.next()).signal, 2);
      });
    });

    it('still reads Ctrl-C during a resume that follows a flood of queued packets', async () => {
      await withServer({}, async (f) => {
        const c = await gdb(f);
        f.target.hangOnContinue = true;
        const flood = (n: number) => Buffer.concat(Array.from({ length: n }, () => frame('qC')));
        c.sendRaw(Buffer.concat([flood(1500), frame('c'), flood(500)]));
        for (let i = 0; i < 1500; i++) assert.equal(await c.next(), 'QCp4d2.4d2');
        await until(() => f.server.state === 'running', 'the running state');
        c.interrupt();
        assert.equal(parseStop(await c.next()).signal, 2);
        for (let i = 0; i < 500; i++) assert.equal(await c.next(), 'QCp4d2.4d2');
      });
    });

    it('ignores Ctrl-C while the target is stopped', async () => {
      await withServer({}, async (f) => {
        const c = await gdb(f);
        c.interrupt();
        assert.equal(await c.request('qC'), 'QCp4d2.4d2');
        assert.equal(f.target.interrupts, 0);
      });
    });
  });

  describe('sessions', () => {
    it('survives a disconnect and serves the next gdb, removing breakpoints the first left behind', async () => {
      await withServer({}, async (f) => {
        const first = await gdb(f);
        await first.request('Z0,401010,1');
        await first.request('Z2,601000,4');
        first.socket.destroy();
        await until(() => f.ends.length === 1, 'the first session to end');
        assert.equal(f.ends[0].reason, 'disconnect');
        assert.equal(f.target.swBreaks.size, 0);
        assert.equal(f.target.watches.length, 0);
        const second = await gdb(f);
        assert.equal(parseStop(await second.request('?')).signal, 5);
        assert.equal(await second.request('m401000,1'), '90');
      });
    });

    it('interrupts a pending resume when gdb disappears', async () => {
      await withServer({}, async (f) => {
        const first = await gdb(f);
        f.target.hangOnContinue = true;
        first.send('c');
        await until(() => f.server.state === 'running', 'the running state');
        first.socket.destroy();
        await until(() => f.ends.length === 1, 'the session to end');
        assert.equal(f.target.interrupts, 1);
        f.target.hangOnContinue = false;
        const second = await gdb(f);
        assert.equal(parseStop(await second.request('?')).signal, 2);
      });
    });

    it('refuses a second debugger while one is connected', async () => {
      await withServer({}, async (f) => {
        const first = await gdb(f);
        const second = await f.connect();
        await second.closed;
        assert.equal(await first.request('qC'), 'QCp4d2.4d2');
      });
    });

    it('ends the session on detach and on kill', async () => {
      await withServer({}, async (f) => {
        const c = await gdb(f);
        assert.equal(await c.request('D;4d2'), 'OK');
        await c.closed;
        const k = await gdb(f);
        k.send('k');
        await k.closed;
        await until(() => f.ends.length === 2, 'both sessions to end');
        assert.deepEqual(f.ends.map((e) => e.reason), ['detach', 'kill']);
      });
    });

    it('stays connected after vKill in extended mode', async () => {
      await withServer({}, async (f) => {
        const c = await gdb(f);
        assert.equal(await c.request('!'), 'OK');
        assert.equal(await c.request('vKill;4d2'), 'OK');
        assert.equal(await c.request('qC'), 'QCp4d2.4d2');
      });
    });

    it('turns target errors into E replies and only fatal ones into a closed session', async () => {
      await withServer({}, async (f) => {
        const c = await gdb(f);
        f.target.failNext = { method: 'readMemory', error: new Error('boom') };
        assert.equal(await c.request('m401000,4'), 'E01');
        f.target.failNext = { method: 'readRegisters', error: new TargetError('gone', { errno: 3 }) };
        assert.equal(await c.request('g'), 'E03');
        f.target.failNext = { method: 'resume', error: new Error('cannot resume') };
        assert.equal(await c.request('c'), 'E01');
        assert.equal(f.server.state, 'idle');
        assert.equal(await c.request('m401000,1'), '90');
        f.target.failNext = { method: 'readRegisters', error: new TargetError('replay diverged', { fatal: true }) };
        c.send('g');
        assert.equal(await c.next(), 'E01');
        await c.closed;
        await until(() => f.ends.length === 1, 'the session to end');
        assert.equal(f.ends[0].reason, 'fatal');
        assert.match(f.ends[0].error!.message, /replay diverged/);
      });
    });
  });
});
