/**
 * Which of rrts's own stdout (1) / stderr (2) a tracee fd is, if either (0): the same open file,
 * by kcmp. Writes there are what `replay` prints again. When 1 and 2 are the same file (2>&1),
 * an fd numbered 2 counts as stderr.
 */
import { ptrace } from '../shared/native/ops';

export function stdioOf(tid: number, fd: number): 0 | 1 | 2 {
  if (fd < 0) return 0;
  const [out, err] = ptrace.kcmpFile(tid, fd, 1).kcmpFile(tid, fd, 2).run(true).slice(-2);
  if (fd === 2 && err?.ret === 0) return 2;
  if (out?.ret === 0) return 1;
  return err?.ret === 0 ? 2 : 0;
}
