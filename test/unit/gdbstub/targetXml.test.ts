import { strict as assert } from 'assert';
import { registersFor } from '../../../src/gdbstub/amd64Registers';
import { buildTargetXml } from '../../../src/gdbstub/targetXml';

interface Element {
  name: string;
  attrs: Record<string, string>;
  children: Element[];
  text: string;
}

/**
 * A strict little XML parser for the subset target.xml uses: prolog, DOCTYPE, elements with
 * double-quoted attributes, text. Throws on anything malformed (unbalanced tags, bad attributes,
 * stray '<' or '&').
 */
function parseXml(xml: string): Element {
  let i = 0;
  const fail = (msg: string) => {
    throw new Error(`${msg} at offset ${i}: ${JSON.stringify(xml.slice(i, i + 30))}`);
  };
  const skipWs = () => {
    while (/\s/.test(xml[i] ?? '')) i++;
  };
  if (xml.startsWith('<?xml')) i = xml.indexOf('?>') + 2;
  skipWs();
  if (xml.startsWith('<!DOCTYPE', i)) i = xml.indexOf('>', i) + 1;
  skipWs();
  const parseElement = (): Element => {
    if (xml[i] !== '<') fail('expected <');
    i++;
    const name = /^[A-Za-z_][\w.-]*/.exec(xml.slice(i))?.[0];
    if (!name) fail('expected element name');
    i += name!.length;
    const attrs: Record<string, string> = {};
    for (;;) {
      skipWs();
      if (xml.startsWith('/>', i)) {
        i += 2;
        return { name: name!, attrs, children: [], text: '' };
      }
      if (xml[i] === '>') {
        i++;
        break;
      }
      const m = /^([A-Za-z_][\w.-]*)="([^"<&]*)"/.exec(xml.slice(i));
      if (!m) fail('bad attribute');
      if (m![1] in attrs) fail('duplicate attribute');
      attrs[m![1]] = m![2];
      i += m![0].length;
    }
    const children: Element[] = [];
    let text = '';
    for (;;) {
      if (xml.startsWith('</', i)) {
        i += 2;
        if (!xml.startsWith(name!, i)) fail(`mismatched close tag for ${name}`);
        i += name!.length;
        skipWs();
        if (xml[i] !== '>') fail('expected >');
        i++;
        return { name: name!, attrs, children, text: text.trim() };
      }
      if (xml[i] === '<') children.push(parseElement());
      else if (i >= xml.length) fail(`unterminated ${name}`);
      else if (xml[i] === '&') fail('bare &');
      else text += xml[i++];
    }
  };
  const root = parseElement();
  skipWs();
  if (i !== xml.length) fail('content after the root element');
  return root;
}

/** Types gdb predefines for target descriptions. */
const BUILTIN_TYPES = new Set([
  'int8', 'int16', 'int32', 'int64', 'int128', 'uint8', 'uint16', 'uint32', 'uint64', 'uint128',
  'code_ptr', 'data_ptr', 'ieee_half', 'ieee_single', 'ieee_double', 'arm_fpa_ext', 'i387_ext',
  'bfloat16', 'int', 'float',
]);

describe('gdbstub target description', () => {
  for (const avx of [true, false]) {
    describe(avx ? 'with AVX' : 'without AVX', () => {
      const xml = buildTargetXml({ avx });
      const root = parseXml(xml);

      it('is well-formed and declares amd64 GNU/Linux', () => {
        assert.equal(root.name, 'target');
        assert.equal(root.children[0].name, 'architecture');
        assert.equal(root.children[0].text, 'i386:x86-64');
        assert.equal(root.children[1].name, 'osabi');
        assert.equal(root.children[1].text, 'GNU/Linux');
      });

      it("has gdb's amd64-linux features in order", () => {
        const features = root.children.filter((c) => c.name === 'feature').map((f) => f.attrs.name);
        const expected = ['org.gnu.gdb.i386.core', 'org.gnu.gdb.i386.sse', 'org.gnu.gdb.i386.linux', 'org.gnu.gdb.i386.segments'];
        assert.deepEqual(features, avx ? [...expected, 'org.gnu.gdb.i386.avx'] : expected);
      });

      it('lists every register of the register table with its number, size and a defined type', () => {
        const features = root.children.filter((c) => c.name === 'feature');
        const regs = features.flatMap((f) => f.children.filter((c) => c.name === 'reg'));
        const table = registersFor({ avx });
        assert.equal(regs.length, table.length);
        regs.forEach((r, i) => {
          assert.equal(r.attrs.name, table[i].name);
          assert.equal(Number(r.attrs.regnum), table[i].regnum);
          assert.equal(Number(r.attrs.bitsize), table[i].bitsize);
        });
        for (const f of features) {
          const defined = new Set(f.children.filter((c) => c.name !== 'reg').map((c) => c.attrs.id));
          // Types come before registers, as gdb's DTD requires.
          const firstReg = f.children.findIndex((c) => c.name === 'reg');
          assert.ok(f.children.slice(firstReg).every((c) => c.name === 'reg'));
          for (const r of f.children.filter((c) => c.name === 'reg')) {
            assert.ok(BUILTIN_TYPES.has(r.attrs.type) || defined.has(r.attrs.type), `${r.attrs.name}: ${r.attrs.type}`);
          }
        }
        const names = regs.map((r) => r.attrs.name);
        for (const n of ['rip', 'eflags', 'st7', 'fop', 'xmm15', 'mxcsr', 'orig_rax', 'fs_base', 'gs_base']) {
          assert.ok(names.includes(n), n);
        }
        assert.equal(names.includes('ymm0h'), avx);
      });
    });
  }
});
