/**
 * Streaming inference: one input at a time, one output at a time, the state carried between calls
 * by a session that owns it, with an explicit reset between unrelated sequences
 * (docs/spec.md#streaming). {@link io.unroll.stream.StreamSession} is one stream,
 * {@link io.unroll.stream.StreamPool} many keyed streams stepped as one batch,
 * {@link io.unroll.stream.TokenStream} a token model's next-token logits.
 */
package io.unroll.stream;
