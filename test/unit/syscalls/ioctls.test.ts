import { strict as assert } from 'assert';
import { IOCTL_OUTPARAMS, IOC_READ, IOC_WRITE, decodeIoc } from '../../../src/shared/syscalls/ioctls';
import {
  ARCH_PRCTL_OPS, FCNTL_OPS, FUTEX_OPS, MSGCTL_OPS, OpTable, PRCTL_OPS, SECCOMP_OPS, SEMCTL_OPS,
  SHMCTL_OPS,
} from '../../../src/shared/syscalls/ops';
import { haveGcc, probe, program } from './cprobe';

describe('ioctl and op tables', () => {
  it('decodes _IOC fields', () => {
    // TCGETS2 = _IOR('T', 0x2A, struct termios2)
    assert.deepEqual(decodeIoc(0x802c542a), { dir: IOC_READ, type: 0x54, nr: 0x2a, size: 44 });
    // FS_IOC_FIEMAP = _IOWR('f', 11, struct fiemap)
    assert.deepEqual(decodeIoc(0xc020660b), { dir: IOC_READ | IOC_WRITE, type: 0x66, nr: 11, size: 32 });
    assert.equal(decodeIoc(0x5401).dir, 0);
  });

  it('names are unique within each table', () => {
    const names = [...IOCTL_OUTPARAMS.values()].map((d) => d.name);
    assert.equal(new Set(names).size, names.length);
  });

  describe('numbers match the C headers (gcc)', function () {
    before(function () {
      if (!haveGcc()) this.skip();
    });

    it('IOCTL_OUTPARAMS', function () {
      this.timeout(30000);
      const items = [...IOCTL_OUTPARAMS.values()].map((d) => [d.name, d.name] as const);
      const got = probe(program(
        ['asm/termbits.h', 'sys/ioctl.h', 'linux/sockios.h', 'linux/fs.h', 'linux/fiemap.h'], items,
      ));
      for (const [nr, d] of IOCTL_OUTPARAMS) {
        assert.equal(got.get(d.name), BigInt(nr), `${d.name}: table has 0x${nr.toString(16)}`);
      }
    });

    // Newer ops than the headers (6.1) know are skipped by #ifdef; most must be checked.
    const cases: Array<[string, OpTable, string[], number]> = [
      ['fcntl', FCNTL_OPS, ['fcntl.h'], 25],
      ['prctl', PRCTL_OPS, ['linux/prctl.h'], 45],
      ['futex', FUTEX_OPS, ['linux/futex.h'], 14],
      ['arch_prctl', ARCH_PRCTL_OPS, ['asm/prctl.h'], 14],
      ['shmctl', SHMCTL_OPS, ['sys/shm.h'], 9],
      ['semctl', SEMCTL_OPS, ['sys/sem.h'], 14],
      ['msgctl', MSGCTL_OPS, ['sys/msg.h'], 7],
      ['seccomp', SECCOMP_OPS, ['linux/seccomp.h'], 4],
    ];
    for (const [what, table, headers, minChecked] of cases) {
      it(`${what} ops`, function () {
        this.timeout(30000);
        const items = [...table.ops.values()].map((d) => [d.name, d.name] as const);
        const got = probe(program(headers, items, true));
        let checked = 0;
        for (const [nr, d] of table.ops) {
          const v = got.get(d.name);
          if (v === undefined) continue;
          assert.equal(v, BigInt(nr), `${what} ${d.name}`);
          checked++;
        }
        assert.ok(checked >= minChecked, `only ${checked} ${what} ops found in the headers`);
      });
    }
  });
});
