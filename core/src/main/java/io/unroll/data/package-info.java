/**
 * Data for sequence models: character vocabularies, and {@link io.unroll.data.Batch}, one training
 * batch as token ids with class targets or as vectors with real targets.
 */
package io.unroll.data;
