/**
 * The target description gdb fetches with `qXfer:features:read:target.xml`. It is one self-contained
 * document (no xi:include annexes) with the features of gdb's own amd64-linux description:
 * org.gnu.gdb.i386.core, .sse, .linux, .segments and, when the CPU has it, .avx. Register elements
 * come from the table in {@link ./amd64Registers}; only the named types (flags, vectors, unions)
 * are spelled out here, copied from gdb's features/i386/64bit-*.xml.
 */
import { FeatureName, GdbRegister, registersFor } from './amd64Registers';
import { CpuFeatures } from './target';

const FEATURE_IDS: Record<FeatureName, string> = {
  core: 'org.gnu.gdb.i386.core',
  sse: 'org.gnu.gdb.i386.sse',
  linux: 'org.gnu.gdb.i386.linux',
  segments: 'org.gnu.gdb.i386.segments',
  avx: 'org.gnu.gdb.i386.avx',
};

const FEATURE_ORDER: readonly FeatureName[] = ['core', 'sse', 'linux', 'segments', 'avx'];

function flags(id: string, fields: readonly [string, number, number][]): string[] {
  return [
    `<flags id="${id}" size="4">`,
    ...fields.map(([name, start, end]) => `  <field name="${name}" start="${start}" end="${end}"/>`),
    '</flags>',
  ];
}

/** Named types each feature's registers refer to; they must precede the registers (gdb's DTD). */
const FEATURE_TYPES: Record<FeatureName, readonly string[]> = {
  core: flags('i386_eflags', [
    ['CF', 0, 0], ['', 1, 1], ['PF', 2, 2], ['AF', 4, 4], ['ZF', 6, 6], ['SF', 7, 7], ['TF', 8, 8],
    ['IF', 9, 9], ['DF', 10, 10], ['OF', 11, 11], ['NT', 14, 14], ['RF', 16, 16], ['VM', 17, 17],
    ['AC', 18, 18], ['VIF', 19, 19], ['VIP', 20, 20], ['ID', 21, 21],
  ]),
  sse: [
    '<vector id="v8bf16" type="bfloat16" count="8"/>',
    '<vector id="v8h" type="ieee_half" count="8"/>',
    '<vector id="v4f" type="ieee_single" count="4"/>',
    '<vector id="v2d" type="ieee_double" count="2"/>',
    '<vector id="v16i8" type="int8" count="16"/>',
    '<vector id="v8i16" type="int16" count="8"/>',
    '<vector id="v4i32" type="int32" count="4"/>',
    '<vector id="v2i64" type="int64" count="2"/>',
    '<union id="vec128">',
    '  <field name="v8_bfloat16" type="v8bf16"/>',
    '  <field name="v8_half" type="v8h"/>',
    '  <field name="v4_float" type="v4f"/>',
    '  <field name="v2_double" type="v2d"/>',
    '  <field name="v16_int8" type="v16i8"/>',
    '  <field name="v8_int16" type="v8i16"/>',
    '  <field name="v4_int32" type="v4i32"/>',
    '  <field name="v2_int64" type="v2i64"/>',
    '  <field name="uint128" type="uint128"/>',
    '</union>',
    ...flags('i386_mxcsr', [
      ['IE', 0, 0], ['DE', 1, 1], ['ZE', 2, 2], ['OE', 3, 3], ['UE', 4, 4], ['PE', 5, 5],
      ['DAZ', 6, 6], ['IM', 7, 7], ['DM', 8, 8], ['ZM', 9, 9], ['OM', 10, 10], ['UM', 11, 11],
      ['PM', 12, 12], ['FZ', 15, 15],
    ]),
  ],
  linux: [],
  segments: [],
  avx: [],
};

function regElement(r: GdbRegister): string {
  const group = r.group ? ` group="${r.group}"` : '';
  return `<reg name="${r.name}" bitsize="${r.bitsize}" type="${r.type}" regnum="${r.regnum}"${group}/>`;
}

/** The complete target.xml for a CPU. */
export function buildTargetXml(cpu: CpuFeatures): string {
  const regs = registersFor(cpu);
  const lines = [
    '<?xml version="1.0"?>',
    '<!DOCTYPE target SYSTEM "gdb-target.dtd">',
    '<target version="1.0">',
    '  <architecture>i386:x86-64</architecture>',
    '  <osabi>GNU/Linux</osabi>',
  ];
  for (const feature of FEATURE_ORDER) {
    const members = regs.filter((r) => r.feature === feature);
    if (members.length === 0) continue;
    lines.push(`  <feature name="${FEATURE_IDS[feature]}">`);
    for (const t of FEATURE_TYPES[feature]) lines.push(`    ${t}`);
    for (const r of members) lines.push(`    ${regElement(r)}`);
    lines.push('  </feature>');
  }
  lines.push('</target>', '');
  return lines.join('\n');
}
