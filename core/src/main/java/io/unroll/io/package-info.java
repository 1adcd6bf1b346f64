/**
 * Files that cross the boundary to other tools: {@link io.unroll.io.Safetensors}, the reader and
 * atomic writer of the safetensors format that PyTorch and Hugging Face use for weights, with
 * PyTorch's parameter names kept as they are (malformed files raise
 * {@link io.unroll.io.SafetensorsFormatException}); {@link io.unroll.io.StateDict}, a PyTorch
 * {@code state_dict} into any parameter store, strict as {@code load_state_dict}; and
 * {@link io.unroll.io.Checkpoint}, a token model with its training state as a file PyTorch loads.
 */
package io.unroll.io;
