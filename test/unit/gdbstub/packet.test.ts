import { rng } from '../../helpers/random';
import { strict as assert } from 'assert';
import {
  PacketDecoder, PacketEvent, checksum, encodePacket, encodeRle, escapeBinary, expandRle, unescapeBinary,
} from '../../../src/gdbstub/packet';

const b = (s: string) => Buffer.from(s, 'latin1');
const packets = (events: PacketEvent[]) =>
  events.filter((e) => e.type === 'packet').map((e) => (e as { payload: Buffer }).payload.toString('latin1'));

describe('gdbstub packet codec', () => {
  describe('checksums and framing', () => {
    it('computes the checksum as the byte sum mod 256', () => {
      assert.equal(checksum(b('OK')), 0x9a);
      assert.equal(checksum(b('qC')), 0xb4);
      assert.equal(checksum(b('')), 0);
      assert.equal(checksum(Buffer.alloc(300, 0xff)), (300 * 0xff) & 0xff);
    });

    it('frames bodies with $...#xx using two lower-case digits', () => {
      assert.equal(encodePacket('OK').toString(), '$OK#9a');
      assert.equal(encodePacket('').toString(), '$#00');
      assert.equal(encodePacket('\x01').toString('latin1'), '$\x01#01');
    });

    it('refuses bodies with an unescaped $ or #', () => {
      assert.throws(() => encodePacket('a$b'), /unescaped \$/);
      assert.throws(() => encodePacket('a#b'), /unescaped #/);
    });
  });

  describe('binary escaping', () => {
    it('escapes exactly # $ } * as } followed by byte^0x20', () => {
      assert.equal(escapeBinary(b('a#b$c}d*e')).toString('latin1'), 'a}\x03b}\x04c}]d}\x0ae');
      assert.equal(escapeBinary(Buffer.from([0x03, 0x00, 0x2b, 0x2d])).toString('hex'), '03002b2d');
    });

    it('round-trips every byte value', () => {
      const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const escaped = escapeBinary(all);
      assert.equal(escaped.length, 256 + 4);
      assert.ok(!escaped.includes(0x23) && !escaped.includes(0x24) && !escaped.includes(0x2a));
      assert.deepEqual(unescapeBinary(escaped), all);
    });

    it('rejects a dangling escape', () => {
      assert.equal(unescapeBinary(b('abc}')), null);
    });
  });

  describe('run-length encoding', () => {
    it('expands X*c to X plus (c - 29) copies, as gdb documents', () => {
      assert.equal(expandRle(b('0* '))!.toString(), '0000'); // ' ' = 32 → 3 more
      assert.equal(expandRle(b('ab*"c'))!.toString(), 'abbbbbbc'); // '"' = 34 → 5 more
      assert.equal(expandRle(b('x*~'))!.toString(), 'x'.repeat(98));
    });

    it('rejects a * with nothing to repeat or no count', () => {
      assert.equal(expandRle(b('*!')), null);
      assert.equal(expandRle(b('a*')), null);
      assert.equal(expandRle(b('a*\x10')), null);
    });

    it('encodes long runs, never with # or $ as a count, and round-trips', () => {
      const random = rng(7);
      for (let n = 0; n < 300; n++) {
        let text = '';
        while (text.length < 200) text += '0123456789abcdef'[Math.floor(random() * 16)].repeat(1 + Math.floor(random() * 40));
        const encoded = encodeRle(b(text));
        for (let i = 0; i < encoded.length; i++) {
          if (encoded[i] !== 0x2a) continue;
          const count = encoded[++i];
          assert.ok(count !== 0x23 && count !== 0x24 && count !== 0x2a && count >= 32 && count <= 126, `count ${count}`);
        }
        assert.equal(expandRle(encoded)!.toString('latin1'), text);
      }
      assert.ok(encodeRle(b('0'.repeat(64))).length < 10);
    });

    it('leaves runs of special bytes alone', () => {
      assert.equal(encodeRle(b('}}}}}}')).toString('latin1'), '}}}}}}');
    });

    it('frames RLE bodies with the checksum of the encoded bytes', () => {
      const framed = encodePacket('0'.repeat(16), { rle: true }).toString('latin1');
      const body = framed.slice(1, framed.indexOf('#'));
      assert.ok(body.includes('*'));
      assert.equal(framed.slice(-2), checksum(b(body)).toString(16).padStart(2, '0'));
    });
  });

  describe('PacketDecoder', () => {
    it('decodes a stream fed one byte at a time', () => {
      const d = new PacketDecoder();
      const stream = b('+$qSupported:multiprocess+#c6$g#67');
      const events: PacketEvent[] = [];
      for (const byte of stream) events.push(...d.feed(Buffer.from([byte])));
      assert.deepEqual(events.map((e) => e.type), ['ack', 'packet', 'packet']);
      assert.deepEqual(packets(events), ['qSupported:multiprocess+', 'g']);
    });

    it('decodes several packets merged in one chunk, with acks between', () => {
      const d = new PacketDecoder();
      const events = d.feed(Buffer.concat([encodePacket('m401000,4'), b('+'), encodePacket('?'), b('-')]));
      assert.deepEqual(events.map((e) => e.type), ['packet', 'ack', 'packet', 'nak']);
      assert.deepEqual(packets(events), ['m401000,4', '?']);
    });

    it('keeps a packet split across chunks, including inside the checksum', () => {
      const d = new PacketDecoder();
      assert.deepEqual(d.feed(b('$qC#')), []);
      assert.deepEqual(d.feed(b('b')), []);
      assert.deepEqual(packets(d.feed(b('4'))), ['qC']);
    });

    it('skips garbage before $ and reports it', () => {
      const d = new PacketDecoder();
      const events = d.feed(b('hello world$?#3f'));
      assert.deepEqual(events[0], { type: 'garbage', length: 11 });
      assert.deepEqual(packets(events), ['?']);
    });

    it('sees 0x03 between packets as an interrupt but as data inside one', () => {
      const d = new PacketDecoder();
      const body = Buffer.concat([b('X0,1:'), Buffer.from([3])]);
      const events = d.feed(Buffer.concat([Buffer.from([3]), encodePacket(body), Buffer.from([3])]));
      assert.deepEqual(events.map((e) => e.type), ['interrupt', 'packet', 'interrupt']);
      assert.deepEqual((events[1] as { payload: Buffer }).payload, body);
    });

    it('flags a bad checksum (and non-hex checksum digits) as corrupt', () => {
      const d = new PacketDecoder();
      assert.deepEqual(d.feed(b('$OK#00')), [{ type: 'corrupt', reason: 'checksum' }]);
      assert.deepEqual(d.feed(b('$OK#zz')), [{ type: 'corrupt', reason: 'checksum' }]);
      assert.deepEqual(packets(d.feed(b('$OK#9A'))), ['OK']); // upper-case digits are fine
    });

    it('restarts on a $ inside a frame so a truncated packet does not eat the next one', () => {
      const d = new PacketDecoder();
      const events = d.feed(b('$m40100$qC#b4'));
      assert.deepEqual(events.map((e) => e.type), ['garbage', 'packet']);
      assert.deepEqual(packets(events), ['qC']);
      const events2 = d.feed(b('$g#6$qC#b4'));
      assert.deepEqual(events2.map((e) => e.type), ['corrupt', 'packet']);
    });

    it('expands RLE in received packets and rejects bad RLE', () => {
      const d = new PacketDecoder();
      assert.deepEqual(packets(d.feed(encodePacket('M0,4:0* '))), ['M0,4:0000']);
      assert.deepEqual(d.feed(encodePacket('*!')), [{ type: 'corrupt', reason: 'rle' }]);
    });

    it('reports an oversized frame as overflow and recovers', () => {
      const d = new PacketDecoder(16);
      const events = d.feed(Buffer.concat([encodePacket('x'.repeat(40)), encodePacket('?')]));
      assert.deepEqual(events[0], { type: 'corrupt', reason: 'overflow' });
      assert.deepEqual(packets(events), ['?']);
    });

    it('round-trips random binary X packets split at random points', () => {
      const random = rng(42);
      for (let round = 0; round < 100; round++) {
        const data = Buffer.from(Array.from({ length: Math.floor(random() * 300) }, () => Math.floor(random() * 256)));
        const body = Buffer.concat([b(`X1000,${data.length.toString(16)}:`), escapeBinary(data)]);
        const wire = Buffer.concat([b('junk'), encodePacket(body), encodePacket('?')]);
        const d = new PacketDecoder();
        const events: PacketEvent[] = [];
        let i = 0;
        while (i < wire.length) {
          const n = 1 + Math.floor(random() * 50);
          events.push(...d.feed(wire.subarray(i, i + n)));
          i += n;
        }
        const got = events.filter((e) => e.type === 'packet') as { payload: Buffer }[];
        assert.equal(got.length, 2);
        const payload = got[0].payload;
        assert.deepEqual(unescapeBinary(payload.subarray(payload.indexOf(0x3a) + 1)), data);
      }
    });
  });
});
