/**
 * Streaming inference: one input at a time, one output at a time, the state carried between calls
 * by a session that owns it, with an explicit reset between unrelated sequences (SPEC §6).
 */
package io.unroll.stream;
