package io.unroll.tensor;

import java.util.Arrays;

/**
 * A named view into a {@link ParamStore}: the values and gradients of one parameter tensor,
 * stored row-major at {@link #offset()} of the store's single arrays. Names are PyTorch's
 * {@code state_dict} names ({@code rnn.weight_ih_l0}, {@code head.bias}, ...).
 */
public final class Param {
    private final String name;
    private final int[] shape;
    private final int offset;
    private final int size;
    private ParamStore store;

    Param(String name, int[] shape, int offset) {
        this.name = name;
        this.shape = shape.clone();
        this.offset = offset;
        this.size = Check.arrayLength(name, shape);
    }

    void bind(ParamStore store) {
        this.store = store;
    }

    public String name() {
        return name;
    }

    public int[] shape() {
        return shape.clone();
    }

    /** Number of rows: the first dimension (1 for a scalar). */
    public int rows() {
        return shape.length == 0 ? 1 : shape[0];
    }

    /** Number of values in one row: the product of all but the first dimension. */
    public int columns() {
        return shape.length == 0 ? 1 : size / shape[0];
    }

    public int offset() {
        return offset;
    }

    public int size() {
        return size;
    }

    /** The store's value array; this parameter occupies {@code [offset, offset + size)}. */
    public float[] data() {
        return boundStore().values();
    }

    /** The store's gradient array; this parameter occupies {@code [offset, offset + size)}. */
    public float[] grad() {
        return boundStore().grads();
    }

    /** A copy of this parameter's values. */
    public float[] copyValues() {
        return Arrays.copyOfRange(data(), offset, offset + size);
    }

    /** A copy of this parameter's gradient. */
    public float[] copyGrad() {
        return Arrays.copyOfRange(grad(), offset, offset + size);
    }

    /**
     * Overwrites this parameter's values with a tensor of the same shape, as PyTorch's
     * {@code copy_} and {@code load_state_dict} require: a transposed or reshaped array of the
     * right size is refused, not silently taken.
     *
     * @param shape  the shape of {@code values}, e.g. {@code [G·H, I]} for a {@code weight_ih}
     * @param values row-major, exactly the product of {@code shape} numbers
     */
    public void set(int[] shape, float[] values) {
        if (!Arrays.equals(shape, this.shape)) {
            boolean transposed = shape != null && shape.length == 2 && this.shape.length == 2
                    && shape[0] == this.shape[1] && shape[1] == this.shape[0];
            throw new IllegalArgumentException(name + " has shape " + Arrays.toString(this.shape) + ", given "
                    + Arrays.toString(shape) + (transposed ? "; the values are transposed (PyTorch stores a weight as [out, in])"
                    : "; the likely cause is a tensor of another layer or model size"));
        }
        Check.shape(name, values, shape);
        System.arraycopy(values, 0, data(), offset, size);
    }

    private ParamStore boundStore() {
        if (store == null) {
            throw new IllegalStateException("parameter " + name + " is not bound yet: call ParamStore.Builder.build() first");
        }
        return store;
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
