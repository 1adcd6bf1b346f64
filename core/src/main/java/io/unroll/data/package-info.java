/** Data for sequence models: character vocabularies and token sequences. */
package io.unroll.data;
