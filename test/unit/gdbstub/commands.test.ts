import { strict as assert } from 'assert';
import { parseCommand } from '../../../src/gdbstub/commands';
import { TargetCapabilities, capabilitiesOf } from '../../../src/gdbstub/features';
import { GdbRequest } from '../../../src/gdbstub/requests';
import { FakeTarget } from './fakeTarget';

const ALL: TargetCapabilities = capabilitiesOf(new FakeTarget());
const NONE: TargetCapabilities = capabilitiesOf(
  new FakeTarget({
    without: ['breakpoints', 'hwBreakpoints', 'watchpoints', 'reverse', 'auxv', 'execFile', 'siginfo', 'hostIo', 'monitor'],
  }),
);

function parse(text: string, caps = ALL): GdbRequest {
  return parseCommand(Buffer.from(text, 'latin1'), caps);
}

/** [packet, expected request] — compared with deepEqual after normalising Maps and Buffers. */
const VALID: [string, unknown][] = [
  ['?', { kind: 'haltReason' }],
  ['g', { kind: 'readRegisters' }],
  ['G0011ff', { kind: 'writeRegisters', data: Buffer.from([0, 0x11, 0xff]) }],
  ['p10', { kind: 'readRegister', regnum: 16 }],
  ['P10=0010400000000000', { kind: 'writeRegister', regnum: 16, value: Buffer.from('0010400000000000', 'hex') }],
  ['m401000,40', { kind: 'readMemory', addr: 0x401000n, length: 64 }],
  ['mffffffffffffffff,1', { kind: 'readMemory', addr: 0xffffffffffffffffn, length: 1 }],
  ['M601000,3:a1b2c3', { kind: 'writeMemory', addr: 0x601000n, data: Buffer.from('a1b2c3', 'hex') }],
  ['X601000,0:', { kind: 'writeMemory', addr: 0x601000n, data: Buffer.alloc(0) }],
  ['X601000,4:a}\x03}]b', { kind: 'writeMemory', addr: 0x601000n, data: Buffer.from('a#}b', 'latin1') }],
  ['Z0,401010,1', { kind: 'point', op: 'insert', type: 'sw', addr: 0x401010n, length: 1 }],
  ['z1,401010,1', { kind: 'point', op: 'remove', type: 'hw', addr: 0x401010n, length: 1 }],
  ['Z2,601000,8', { kind: 'point', op: 'insert', type: 'write', addr: 0x601000n, length: 8 }],
  ['Z3,601000,4', { kind: 'point', op: 'insert', type: 'read', addr: 0x601000n, length: 4 }],
  ['z4,601000,2', { kind: 'point', op: 'remove', type: 'access', addr: 0x601000n, length: 2 }],
  ['c', { kind: 'resume', direction: 'forward', actions: [{ action: 'continue' }] }],
  ['c401000', { kind: 'resume', direction: 'forward', actions: [{ action: 'continue' }], addr: 0x401000n }],
  ['s', { kind: 'resume', direction: 'forward', actions: [{ action: 'step' }] }],
  ['C0b', { kind: 'resume', direction: 'forward', actions: [{ action: 'continue', signal: 11 }] }],
  ['S05;401004', { kind: 'resume', direction: 'forward', actions: [{ action: 'step', signal: 5 }], addr: 0x401004n }],
  ['bc', { kind: 'resume', direction: 'backward', actions: [{ action: 'continue' }] }],
  ['bs', { kind: 'resume', direction: 'backward', actions: [{ action: 'step' }] }],
  ['vCont?', { kind: 'vContQuery' }],
  ['vCont;c', { kind: 'resume', direction: 'forward', actions: [{ action: 'continue' }] }],
  [
    'vCont;s:p4d2.4d3;c',
    {
      kind: 'resume', direction: 'forward',
      actions: [{ action: 'step', thread: { pid: 0x4d2, tid: 0x4d3 } }, { action: 'continue' }],
    },
  ],
  [
    'vCont;C1e:4d2;t',
    { kind: 'resume', direction: 'forward', actions: [{ action: 'continue', signal: 30, thread: { tid: 0x4d2 } }, { action: 'stop' }] },
  ],
  [
    'vCont;r401000,401010:p4d2.4d2;c:p4d2.-1',
    {
      kind: 'resume', direction: 'forward',
      actions: [
        { action: 'step', range: { start: 0x401000n, end: 0x401010n }, thread: { pid: 0x4d2, tid: 0x4d2 } },
        { action: 'continue', thread: { pid: 0x4d2, tid: -1 } },
      ],
    },
  ],
  ['Hgp4d2.4d3', { kind: 'setThread', op: 'g', thread: { pid: 0x4d2, tid: 0x4d3 } }],
  ['Hc-1', { kind: 'setThread', op: 'c', thread: { tid: -1 } }],
  ['Hg0', { kind: 'setThread', op: 'g', thread: { tid: 0 } }],
  ['Hgp0.0', { kind: 'setThread', op: 'g', thread: { pid: 0, tid: 0 } }],
  ['Tp4d2.4d3', { kind: 'threadAlive', thread: { pid: 0x4d2, tid: 0x4d3 } }],
  ['qThreadExtraInfo,p4d2.4d2', { kind: 'threadExtraInfo', thread: { pid: 0x4d2, tid: 0x4d2 } }],
  ['qC', { kind: 'currentThread' }],
  ['qfThreadInfo', { kind: 'threadList', first: true }],
  ['qsThreadInfo', { kind: 'threadList', first: false }],
  [
    'qSupported:multiprocess+;swbreak+;hwbreak-;xmlRegisters=i386',
    { kind: 'supported', features: [['multiprocess', true], ['swbreak', true], ['hwbreak', false], ['xmlRegisters', 'i386']] },
  ],
  ['qSupported', { kind: 'supported', features: [] }],
  ['QStartNoAckMode', { kind: 'startNoAck' }],
  ['QPassSignals:e;14;1e', { kind: 'passSignals', signals: [14, 20, 30] }],
  ['QPassSignals:', { kind: 'passSignals', signals: [] }],
  ['qAttached', { kind: 'attached' }],
  ['qAttached:4d2', { kind: 'attached', pid: 0x4d2 }],
  ['qXfer:features:read:target.xml:0,ffb', { kind: 'xferRead', object: 'features', annex: 'target.xml', offset: 0, length: 0xffb }],
  ['qXfer:auxv:read::10,20', { kind: 'xferRead', object: 'auxv', annex: '', offset: 16, length: 32 }],
  ['qXfer:exec-file:read:4d2:0,ffb', { kind: 'xferRead', object: 'exec-file', annex: '4d2', offset: 0, length: 0xffb }],
  ['qXfer:threads:read::0,ffb', { kind: 'xferRead', object: 'threads', annex: '', offset: 0, length: 0xffb }],
  ['qXfer:siginfo:read::0,80', { kind: 'xferRead', object: 'siginfo', annex: '', offset: 0, length: 128 }],
  ['qRcmd,7768656e', { kind: 'monitor', command: 'when' }],
  ['qSymbol::', { kind: 'symbol' }],
  ['!', { kind: 'extendedMode' }],
  ['D', { kind: 'detach' }],
  ['D;4d2', { kind: 'detach', pid: 0x4d2 }],
  ['k', { kind: 'kill', reply: false }],
  ['vKill;4d2', { kind: 'kill', pid: 0x4d2, reply: true }],
  ['vRun;', { kind: 'spawn', via: 'vRun' }],
  ['vAttach;4d2', { kind: 'spawn', via: 'vAttach' }],
  ['vFile:setfs:0', { kind: 'fileSetFs', pid: 0 }],
  ['vFile:open:2f6574632f706173737764,0,1c0', { kind: 'fileOpen', path: '/etc/passwd', flags: 0, mode: 0o700 }],
  ['vFile:pread:3,1000,200', { kind: 'filePread', fd: 3, count: 0x1000, offset: 0x200 }],
  ['vFile:pwrite:3,0,a,b', { kind: 'filePwrite', fd: 3, offset: 0, data: Buffer.from('a,b') }],
  ['vFile:close:3', { kind: 'fileClose', fd: 3 }],
  ['vFile:fstat:3', { kind: 'fileFstat', fd: 3 }],
  ['vFile:readlink:2f70726f632f312f657865', { kind: 'fileReadlink', path: '/proc/1/exe' }],
];

const MALFORMED: string[] = [
  'G0', 'Gzz', 'p', 'pxyz', 'P10', 'P10=', 'P10=zz', 'm', 'm401000', 'm401000,', 'mzz,1', 'm401000,zz',
  'm10000000000000000,1', 'M601000,4:a1b2', 'M601000,1', 'X601000,4:ab', 'X601000,1:}', 'Z0,401000',
  'Z0,401000,1;X1,0', 'Zq,1,1', 'czz', 'Cxx', 'C100', 'vCont;', 'vCont;x', 'vCont;c:zz', 'vCont;r401000',
  'vCont;Cxx', 'Hgq', 'T', 'Tzz', 'qAttached:zz', 'qXfer:features:read:target.xml:0', 'qXfer:features:read:target.xml:x,1',
  'qRcmd,abc', 'D;zz', 'vKill;', 'vFile:open:zz,0,0', 'vFile:open:2f', 'vFile:pread:1,2', 'vFile:close:x',
  'vFile:readlink:z', 'QPassSignals:zz',
];

const UNKNOWN: string[] = [
  'vMustReplyEmpty', 'qTStatus', 'qOffsets', 'qTfV', 'QNonStop:0', 'qCRC:0,1', 'vCont', 'Hm1', 'qSupportedX',
  'qXfer:features:write:target.xml:0:abc', 'qXfer:libraries-svr4:read::0,ffb', 'vFile:unlink:2f', '', 'e',
  'qXfer:constructor:read::0,1', 'qXfer:__proto__:read::0,1',
];

function normalise(req: GdbRequest): unknown {
  return JSON.parse(
    JSON.stringify(req, (_k, v) => {
      if (typeof v === 'bigint') return `0x${v.toString(16)}`;
      if (v instanceof Map) return [...v];
      if (v && v.type === 'Buffer' && Array.isArray(v.data)) return `buf:${Buffer.from(v.data).toString('hex')}`;
      return v;
    }),
  );
}

describe('gdbstub command table', () => {
  for (const [packet, expected] of VALID) {
    it(`parses ${JSON.stringify(packet)}`, () => {
      const got = parse(packet);
      assert.deepEqual(normalise(got), normalise(expected as GdbRequest));
    });
  }

  for (const packet of MALFORMED) {
    it(`rejects malformed ${JSON.stringify(packet)}`, () => {
      assert.equal(parse(packet).kind, 'malformed');
    });
  }

  for (const packet of UNKNOWN) {
    it(`does not recognise ${JSON.stringify(packet)}`, () => {
      assert.equal(parse(packet).kind, 'unknown');
    });
  }

  describe('capability gating', () => {
    const gated = [
      'Z0,401000,1', 'z1,401000,1', 'Z2,601000,4', 'bc', 'bs', 'qXfer:auxv:read::0,10',
      'qXfer:exec-file:read::0,10', 'qXfer:siginfo:read::0,10', 'qRcmd,6869', 'vFile:setfs:0',
      'vFile:open:2f,0,0', 'vFile:pread:3,1,0', 'vFile:close:3', 'vFile:fstat:3', 'vFile:readlink:2f',
    ];
    for (const packet of gated) {
      it(`${packet} is recognised with the capability and unknown without it`, () => {
        assert.notEqual(parse(packet, ALL).kind, 'unknown');
        assert.equal(parse(packet, NONE).kind, 'unknown');
      });
    }

    it('keeps base packets without any capability', () => {
      for (const packet of ['?', 'g', 'm0,1', 'qXfer:features:read:target.xml:0,1', 'qXfer:threads:read::0,1', 'vCont;c']) {
        assert.notEqual(parse(packet, NONE).kind, 'unknown', packet);
      }
    });

    it('recognises only the watchpoint kinds the target supports', () => {
      const caps = { ...ALL, watchKinds: new Set(['write'] as const) };
      assert.equal(parse('Z2,0,1', caps).kind, 'point');
      assert.equal(parse('Z3,0,1', caps).kind, 'unknown');
      assert.equal(parse('Z4,0,1', caps).kind, 'unknown');
    });
  });
});
