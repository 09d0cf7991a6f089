import { strict as assert } from 'assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GdbServer } from '../../../src/gdbstub/server';
import { buildTargetXml } from '../../../src/gdbstub/targetXml';
import { DATA, EXEC_PATH, FakeOptions, FakeTarget, RODATA, TEXT, getUser, makeRegisters } from './fakeTarget';
import { GdbTestClient, frame, hex, unescape } from './gdbClient';
import { gdb, le64, parseStop, until, withServer } from './serverFixture';

describe('gdbstub server: protocol', function () {
  this.timeout(10000);

  describe('negotiation', () => {
    it('computes qSupported from the capabilities the target has', async () => {
      await withServer({}, async (f) => {
        const features = (await (await f.connect()).handshake()).split(';');
        for (const feat of [
          'PacketSize=20000', 'QStartNoAckMode+', 'qXfer:features:read+', 'qXfer:threads:read+', 'multiprocess+',
          'swbreak+', 'hwbreak+', 'ReverseContinue+', 'ReverseStep+', 'qXfer:auxv:read+', 'qXfer:exec-file:read+',
          'qXfer:siginfo:read+', 'QPassSignals+', 'vContSupported+',
        ]) {
          assert.ok(features.includes(feat), feat);
        }
      });
      const without: FakeOptions['without'] = ['breakpoints', 'hwBreakpoints', 'reverse', 'auxv', 'execFile', 'siginfo'];
      await withServer({ without }, async (f) => {
        const features = (await (await f.connect()).handshake()).split(';');
        for (const feat of ['swbreak+', 'hwbreak+', 'ReverseContinue+', 'ReverseStep+', 'qXfer:auxv:read+', 'qXfer:exec-file:read+', 'qXfer:siginfo:read+']) {
          assert.ok(!features.includes(feat), feat);
        }
        assert.ok(features.includes('qXfer:features:read+'));
      });
    });

    it('advertises reverse step and continue separately', async () => {
      const target = new FakeTarget();
      target.reverse = { actions: ['step'] };
      const server = new GdbServer(target);
      const port = await server.listen();
      const c = await GdbTestClient.connect(port);
      const features = (await c.handshake()).split(';');
      assert.ok(features.includes('ReverseStep+') && !features.includes('ReverseContinue+'));
      assert.equal(await c.request('bc'), '');
      c.socket.destroy();
      await server.close();
    });

    it('acks packets until QStartNoAckMode, then stops', async () => {
      await withServer({}, async (f) => {
        const c = await f.connect();
        await c.handshake(false);
        assert.equal(c.acks, 1);
        assert.equal(await c.request('QStartNoAckMode'), 'OK');
        c.ackMode = false;
        assert.equal(c.acks, 2);
        assert.equal(await c.request('qC'), 'QCp4d2.4d2');
        assert.equal(c.acks, 2);
      });
    });

    it('uses plain thread ids when gdb does not announce multiprocess', async () => {
      await withServer({}, async (f) => {
        const c = await f.connect();
        await c.request('qSupported:swbreak+');
        assert.equal(await c.request('qC'), 'QC4d2');
        assert.equal(await c.request('qfThreadInfo'), 'm4d2,4d3');
        assert.equal(parseStop(await c.request('?')).fields.get('thread'), '4d2');
      });
    });
  });

  describe('framing robustness', () => {
    it('NAKs a bad checksum in ack mode and executes the retransmission', async () => {
      await withServer({}, async (f) => {
        const c = await f.connect();
        await c.handshake(false);
        c.sendRaw('$M601000,1:ff#00');
        await until(() => c.naks === 1, 'a NAK');
        assert.equal(f.target.memoryWrites.length, 0);
        assert.equal(await c.request('M601000,1:ff'), 'OK');
        assert.equal(f.target.memoryWrites.length, 1);
      });
    });

    it('retransmits its last reply when gdb NAKs it', async () => {
      await withServer({}, async (f) => {
        const c = await f.connect();
        await c.handshake(false);
        assert.equal(await c.request('qC'), 'QCp4d2.4d2');
        c.sendRaw('-');
        assert.equal(await c.next(), 'QCp4d2.4d2');
      });
    });

    it('answers a corrupt packet with an error in no-ack mode, without executing it', async () => {
      await withServer({}, async (f) => {
        const c = await gdb(f);
        c.sendRaw('$M601000,1:ff#00');
        assert.equal(await c.next(), 'E01');
        assert.equal(f.target.memoryWrites.length, 0);
        assert.equal(await c.request('qC'), 'QCp4d2.4d2');
      });
    });

    it('skips garbage and handles split and merged packets', async () => {
      await withServer({}, async (f) => {
        const c = await gdb(f);
        const wire = Buffer.concat([Buffer.from('noise\r\n'), frame('qC'), Buffer.from('zz'), frame('m401000,2')]);
        for (const byte of wire) c.sendRaw(Buffer.from([byte]));
        assert.equal(await c.next(), 'QCp4d2.4d2');
        assert.equal(await c.next(), '909d');
      });
    });

    it('replies empty to unknown packets and keeps going', async () => {
      await withServer({}, async (f) => {
        const c = await gdb(f);
        for (const p of ['vMustReplyEmpty', 'qTStatus', 'qOffsets', 'qFooBar', 'QNonStop:1', 'vCont']) {
          assert.equal(await c.request(p), '', p);
        }
        assert.equal(await c.request('m401000,zz'), 'E16');
        assert.equal(await c.request('qSymbol::'), 'OK');
        assert.equal(await c.request('QPassSignals:e;1e'), 'OK');
        assert.equal(await c.request('qAttached:4d2'), '1');
        assert.equal(await c.request('!'), 'OK');
        assert.match(await c.request('vRun;;'), /^E\.rrts replays a recording/);
        assert.match(await c.request('vAttach;4d2'), /^E\./);
      });
    });
  });

  describe('registers', () => {
    it('serves g in gdb register order and p for single registers', async () => {
      await withServer({}, async (f) => {
        const c = await gdb(f);
        const g = await c.request('g');
        assert.equal(g.length, 816 * 2);
        const regs = makeRegisters(1);
        assert.equal(g.slice(0, 16), le64(getUser(regs, 'rax')));
        assert.equal(g.slice(128 * 2, 136 * 2), le64(TEXT));
        assert.equal(await c.request('p10'), le64(TEXT));
        assert.equal(await c.request('p11'), '46020000');
        assert.equal(await c.request('p28'), regs.xsave.subarray(160, 176).toString('hex'));
        assert.equal(await c.request('p3c'), regs.xsave.subarray(576, 592).toString('hex'));
        assert.equal(await c.request('p4c'), 'E16'); // past ymm15h
      });
    });

    it('writes registers with P and G and reads them back', async () => {
      await withServer({}, async (f) => {
        const c = await gdb(f);
        assert.equal(await c.request('P10=' + le64(0x401040n)), 'OK');
        assert.equal(f.target.rip(), 0x401040n);
        assert.equal(await c.request('P10=00'), 'E16');
        const g = await c.request('g');
        const writesBefore = f.target.registerWrites.length;
        assert.equal(await c.request('G' + g), 'OK');
        assert.equal(f.target.registerWrites.length, writesBefore, 'an unchanged G writes nothing');
        const modified = le64(0xabcdn) + g.slice(16);
        assert.equal(await c.request('G' + modified), 'OK');
        assert.equal(await c.request('p0'), le64(0xabcdn));
        assert.equal(await c.request('G' + g.slice(0, 20)), 'E16');
      });
    });

    it('follows Hg to another thread', async () => {
      await withServer({}, async (f) => {
        const c = await gdb(f);
        assert.equal(await c.request('Hgp4d2.4d3'), 'OK');
        assert.equal((await c.request('g')).slice(0, 16), le64(getUser(makeRegisters(2), 'rax')));
        assert.equal(await c.request('Hgp4d2.999'), 'E01');
        assert.equal(await c.request('Hgp999.4d2'), 'E01');
        assert.equal(await c.request('Tp4d2.4d3'), 'OK');
        assert.equal(await c.request('Tp4d2.777'), 'E01');
        assert.equal(await c.request('qThreadExtraInfo,p4d2.4d3'), hex('fake-<worker>'));
      });
    });
  });

  describe('memory', () => {
    it('reads with m, writes with M and binary X', async () => {
      await withServer({}, async (f) => {
        const c = await gdb(f);
        assert.equal(await c.request('m401000,4'), '909daab7');
        assert.equal(await c.request('M601000,3:0a0b0c'), 'OK');
        assert.equal(await c.request('m601000,3'), '0a0b0c');
        const data = Buffer.from([0x23, 0x24, 0x7d, 0x2a, 0x00, 0x03]);
        const body = Buffer.concat([Buffer.from('X601010,6:'), Buffer.from('}\x03}\x04}]}\x0a\x00\x03', 'latin1')]);
        assert.equal(await c.request(body), 'OK');
        assert.equal(await c.request('m601010,6'), data.toString('hex'));
        assert.equal(await c.request('X601000,0:'), 'OK');
        assert.deepEqual(f.target.memoryWrites.map((w) => w.data.length), [3, 6]);
      });
    });

    it('returns short reads at the end of a mapping and errors for unmapped or read-only memory', async () => {
      await withServer({}, async (f) => {
        const c = await gdb(f);
        assert.equal((await c.request(`m${(RODATA + 60n).toString(16)},10`)).length, 8);
        assert.equal(await c.request('m1000,4'), 'E0e');
        assert.equal(await c.request(`M${RODATA.toString(16)},1:00`), 'E0e');
        assert.equal(await c.request('M1000,1:00'), 'E0e');
        assert.equal(f.target.memoryWrites.length, 0);
      });
    });

    it('run-length encodes long runs in memory replies', async () => {
      await withServer({}, async (f) => {
        const c = await gdb(f);
        assert.equal(await c.request(`M${DATA.toString(16)},40:${'00'.repeat(64)}`), 'OK');
        const raw: Buffer[] = [];
        c.socket.on('data', (d) => raw.push(d));
        assert.equal(await c.request(`m${DATA.toString(16)},40`), '00'.repeat(64));
        assert.ok(Buffer.concat(raw).length < 40, 'the reply was compressed');
      });
    });
  });

  describe('queries and transfers', () => {
    it('lists threads with qfThreadInfo and qXfer:threads:read', async () => {
      await withServer({}, async (f) => {
        const c = await gdb(f);
        assert.equal(await c.request('qfThreadInfo'), 'mp4d2.4d2,p4d2.4d3');
        assert.equal(await c.request('qsThreadInfo'), 'l');
        const xml = unescape((await c.request('qXfer:threads:read::0,1000')).slice(1)).toString();
        assert.match(xml, /<thread id="p4d2\.4d2" name="fake-main"\/>/);
        assert.match(xml, /<thread id="p4d2\.4d3" name="fake-&#60;worker&#62;"\/>/);
      });
    });

    it('serves target.xml in windows that reassemble exactly', async () => {
      await withServer({}, async (f) => {
        const c = await gdb(f);
        let xml = Buffer.alloc(0);
        for (let offset = 0; ; offset += 0x100) {
          const r = await c.request(`qXfer:features:read:target.xml:${offset.toString(16)},100`);
          assert.match(r, /^[ml]/);
          xml = Buffer.concat([xml, unescape(r.slice(1))]);
          if (r[0] === 'l') break;
        }
        assert.equal(xml.toString(), buildTargetXml({ avx: true }));
        assert.equal(await c.request('qXfer:features:read:other.xml:0,100'), 'E00');
        assert.equal(await c.request(`qXfer:features:read:target.xml:${(xml.length + 1).toString(16)},100`), 'E01');
      });
    });

    it('reads auxv, exec-file and siginfo', async () => {
      await withServer({}, async (f) => {
        const c = await gdb(f);
        const auxv = unescape((await c.request('qXfer:auxv:read::0,1000')).slice(1));
        assert.equal(auxv.readBigUInt64LE(0), 9n);
        assert.equal(auxv.readBigUInt64LE(8), TEXT);
        assert.equal(await c.request('qXfer:exec-file:read:4d2:0,1000'), 'l' + EXEC_PATH);
        const si = unescape((await c.request('qXfer:siginfo:read::0,80')).slice(1));
        assert.equal(si.length, 128);
        assert.equal(si.readInt32LE(0), 5);
      });
    });

    it('runs monitor commands with output in O packets', async () => {
      await withServer({}, async (f) => {
        const c = await gdb(f);
        assert.deepEqual(await c.requestWithConsole('qRcmd,' + hex('echo hello')), { console: 'hello\n', reply: 'OK' });
        const big = await c.requestWithConsole('qRcmd,' + hex('big'));
        assert.equal(big.console, 'x'.repeat(3000) + '\n');
        assert.equal((await c.requestWithConsole('qRcmd,' + hex('fail'))).reply, 'E05');
      });
      await withServer({ without: ['monitor'] }, async (f) => {
        const c = await gdb(f);
        assert.equal(await c.request('qRcmd,' + hex('echo hi')), '');
      });
    });

    it('does read-only host I/O on the files the target maps', async () => {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rrts-gdbstub-'));
      const local = path.join(dir, 'prog');
      const content = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 31) & 0xff));
      await fs.writeFile(local, content, { mode: 0o751 });
      try {
        await withServer({ execFileLocal: local }, async (f) => {
          const c = await gdb(f);
          assert.equal(await c.request('vFile:setfs:0'), 'F0');
          assert.equal(await c.request(`vFile:open:${hex('/nope')},0,0`), 'F-1,2');
          assert.equal(await c.request(`vFile:open:${hex(EXEC_PATH)},1,0`), 'F-1,1e');
          assert.equal(await c.request(`vFile:open:${hex(EXEC_PATH)},200,1a4`), 'F-1,1e');
          const opened = await c.request(`vFile:open:${hex(EXEC_PATH)},0,0`);
          assert.match(opened, /^F[0-9a-f]+$/);
          const fd = opened.slice(1);
          let got = Buffer.alloc(0);
          for (;;) {
            const r = await c.request(`vFile:pread:${fd},400,${got.length.toString(16)}`);
            const semi = r.indexOf(';');
            const n = parseInt(r.slice(1, semi), 16);
            if (n === 0) break;
            const data = unescape(r.slice(semi + 1));
            assert.equal(data.length, n);
            got = Buffer.concat([got, data]);
          }
          assert.deepEqual(got, content);
          const st = await c.request(`vFile:fstat:${fd}`);
          assert.equal(st.slice(0, 4), 'F40;');
          const stat = unescape(st.slice(4));
          assert.equal(stat.length, 64);
          assert.equal(stat.readUInt32BE(8), 0o100751);
          assert.equal(stat.readBigUInt64BE(28), 5000n);
          assert.equal(await c.request(`vFile:pwrite:${fd},0,abc`), 'F-1,9');
          assert.equal(await c.request(`vFile:close:${fd}`), 'F0');
          assert.equal(await c.request(`vFile:close:${fd}`), 'F-1,9');
          assert.equal(await c.request(`vFile:pread:${fd},10,0`), 'F-1,9');
          assert.equal(await c.request(`vFile:readlink:${hex(EXEC_PATH)}`), 'F-1,16');
        });
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    });
  });
});
