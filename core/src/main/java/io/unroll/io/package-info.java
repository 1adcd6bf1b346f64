/**
 * Files that cross the boundary to other tools: {@link io.unroll.io.Safetensors}, the reader and
 * atomic writer of the safetensors format that PyTorch and Hugging Face use for weights, with
 * PyTorch's parameter names kept as they are; malformed files raise
 * {@link io.unroll.io.SafetensorsFormatException}.
 */
package io.unroll.io;
