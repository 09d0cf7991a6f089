/** placeholder: the gdb server lands next */
import { TraceReader } from '../trace/traceStream';
export async function serveGdb(_r: TraceReader, _o: { port?: number; host: string; gotoEvent?: number; pid?: number; launchGdb: boolean }): Promise<number> {
  throw new Error('gdb serving is not wired yet');
}
