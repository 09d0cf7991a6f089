/** The trace format version. Bump it with any change to proto/trace.proto or the file layout. */
export const TRACE_VERSION = 1;
/** First bytes of the events file. */
export const TRACE_MAGIC = Buffer.from('RRTS-TRACE\n');
