/**
 * Schema pin. Changing proto/trace.proto changes the trace format: when this test fails, bump
 * TRACE_VERSION in src/trace/version.ts AND update both constants below in the same change
 * (old traces must then be refused with a clear version error instead of misread).
 */
import { strict as assert } from 'assert';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { TRACE_VERSION, TRACE_MAGIC } from '../../../src/trace/version';
import { PROTO_FILE } from '../../../src/trace/schema';

/** sha256 of proto/trace.proto for TRACE_VERSION below. */
const PINNED_SCHEMA_SHA256 = 'ba9ef49d13cef8bd310c2900a5de79d44a1d7d831b9050236013f0c929666eb8';
/** The format version that goes with that schema. */
const PINNED_TRACE_VERSION = 1;

const PROTO = path.resolve(__dirname, '..', '..', '..', '..', 'proto', 'trace.proto');

describe('trace schema pin', () => {
  it('proto/trace.proto has the pinned sha256 (a schema change must bump TRACE_VERSION and this pin)', () => {
    const sha = crypto.createHash('sha256').update(fs.readFileSync(PROTO)).digest('hex');
    assert.equal(sha, PINNED_SCHEMA_SHA256, 'proto/trace.proto changed: bump TRACE_VERSION and update the pins in this file');
  });

  it('TRACE_VERSION is the pinned version', () => {
    assert.equal(TRACE_VERSION, PINNED_TRACE_VERSION, 'TRACE_VERSION changed: update the pinned schema hash and version together');
  });

  it('the schema rrts loads is the pinned file, and the magic is RRTS-TRACE\\n', () => {
    assert.equal(path.resolve(PROTO_FILE), PROTO);
    assert.equal(TRACE_MAGIC.toString('latin1'), 'RRTS-TRACE\n');
  });
});
