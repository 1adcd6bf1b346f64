package io.unroll.io;

import io.unroll.cell.CellType;
import io.unroll.layer.Recurrent;
import io.unroll.layer.RecurrentConfig;
import io.unroll.tensor.Check;
import io.unroll.tensor.Param;
import io.unroll.tensor.ParamStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Loads a PyTorch {@code state_dict} saved as safetensors into a {@link ParamStore}, matching
 * tensors to parameters by name, as {@code module.load_state_dict(sd, strict=True)} does: every
 * parameter must be in the file, the file must hold nothing else, and every shape must be exactly
 * the parameter's. The names are the store's own: {@code rnn.weight_ih_l0} for a model whose
 * recurrent stack is its attribute {@code rnn}, bare {@code weight_ih_l0} for an {@code nn.LSTM}
 * saved alone (a {@link io.unroll.layer.Recurrent} built with the prefix {@code ""}).
 *
 * <p>F32 tensors load exactly; F64 ones are rounded to float32, as {@code load_state_dict} copies
 * into a float32 module. Nothing is written to the store unless the whole file fits it, and the
 * one error lists every missing and unexpected name and every shape that differs.
 */
public final class StateDict {
    /** How many names an error lists before it says how many more there are. */
    private static final int LISTED = 20;

    private StateDict() {}

    /** Reads {@code file} and loads it into {@code params}; returns the file as read, for its metadata. */
    public static Safetensors.Contents load(Path file, ParamStore params) throws IOException {
        Safetensors.Contents contents = Safetensors.read(file);
        load(contents, params);
        return contents;
    }

    /**
     * Loads {@code contents} into {@code params}.
     *
     * @throws IllegalArgumentException   if a parameter is missing from the file, the file holds a
     *                                    tensor the store has no parameter for, a shape differs, a
     *                                    tensor is not a float tensor, or a value is not finite
     * @throws SafetensorsFormatException if the file became shorter after it was read, or its
     *                                    tensor data cannot be read
     */
    public static void load(Safetensors.Contents contents, ParamStore params) throws SafetensorsFormatException {
        requireFits(contents, params.params());
        List<float[]> values = new ArrayList<>(params.params().size());
        for (Param p : params.params()) {
            float[] v = contents.floats(p.name());
            Check.finite(contents.file() + ": " + p.name(), v);
            values.add(v);
        }
        for (int i = 0; i < values.size(); i++) {
            Param p = params.params().get(i);
            p.set(contents.shape(p.name()), values.get(i));
        }
    }

    /**
     * The checks of {@link #load} that read no data: every parameter in the file at its shape as a
     * float tensor, nothing else in the file. For a parameter list declared but not yet allocated
     * ({@link ParamStore.Builder#params()}), so that a file that does not fit costs no allocation.
     *
     * @throws IllegalArgumentException listing every missing and unexpected name and every shape
     *                                  or dtype that differs
     */
    static void requireFits(Safetensors.Contents contents, List<Param> params) {
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        for (Param p : params) {
            if (!contents.has(p.name())) {
                missing.add(p.name());
            } else if (!Arrays.equals(contents.shape(p.name()), p.shape())) {
                mismatched.add(p.name() + " has shape " + Arrays.toString(contents.shape(p.name())) + " in the file, "
                        + Arrays.toString(p.shape()) + " in the model");
            } else if (contents.dtype(p.name()) != Safetensors.Dtype.F32 && contents.dtype(p.name()) != Safetensors.Dtype.F64) {
                mismatched.add(p.name() + " has dtype " + contents.dtype(p.name()) + ", expected a float tensor (F32 or F64)");
            }
        }
        Set<String> declared = new HashSet<>();
        for (Param p : params) {
            declared.add(p.name());
        }
        for (String name : contents.names()) {
            if (!declared.contains(name)) {
                unexpected.add(name);
            }
        }
        if (!missing.isEmpty() || !unexpected.isEmpty() || !mismatched.isEmpty()) {
            throw new IllegalArgumentException(contents.file() + " does not fit the model's " + params.size()
                    + " parameters (" + names(params) + "): " + problems(missing, unexpected, mismatched)
                    + likelyCause(missing, unexpected, mismatched));
        }
    }

    private static String problems(List<String> missing, List<String> unexpected, List<String> mismatched) {
        List<String> parts = new ArrayList<>();
        if (!missing.isEmpty()) {
            parts.add("missing " + list(missing));
        }
        if (!unexpected.isEmpty()) {
            parts.add("unexpected " + list(unexpected));
        }
        if (!mismatched.isEmpty()) {
            parts.add(list(mismatched, "; "));
        }
        return String.join("; ", parts);
    }

    private static String likelyCause(List<String> missing, List<String> unexpected, List<String> mismatched) {
        if (!missing.isEmpty() && !unexpected.isEmpty()) {
            return "; the likely cause is a module whose attributes are named otherwise (a prefix such as 'rnn.' "
                    + "present on one side only), or built with other options";
        }
        if (!unexpected.isEmpty()) {
            return "; the likely cause is a module with more parts or other options (bidirectional, proj_size)";
        }
        if (!missing.isEmpty()) {
            return "; the file is incomplete, or the model has parts (biases, layers) the saved module lacked";
        }
        return "; the likely cause is a model built with other sizes than the saved one";
    }

    private static String names(List<Param> params) {
        List<String> names = new ArrayList<>();
        for (Param p : params) {
            names.add(p.name());
        }
        return list(names);
    }

    /**
     * Names for an error message, comma-separated, the first {@value #LISTED} only: a file with
     * thousands of tensors still gives an error of one readable line.
     */
    static String list(List<String> names) {
        return list(names, ", ");
    }

    private static String list(List<String> items, String separator) {
        if (items.size() <= LISTED) {
            return String.join(separator, items);
        }
        return String.join(separator, items.subList(0, LISTED)) + separator + "and " + (items.size() - LISTED) + " more";
    }

    /**
     * The recurrent stack in a file of weights under PyTorch's names, with or without a module
     * prefix ({@code rnn.weight_ih_l0} as the playground writes them, {@code weight_ih_l0} as
     * {@code unroll flow --save} does): the cell from the metadata {@code unroll.cell}, the input
     * and hidden sizes and the layers from the shapes, the biases if the file has them. Other
     * tensors in the file (a head, an input sequence) are left alone.
     *
     * @throws IllegalArgumentException naming what is missing or does not fit: no {@code unroll.cell},
     *                                  no {@code weight_ih_l0}, a layer's tensor of another shape, a value that is not finite
     */
    public static Recurrent recurrentStack(Safetensors.Contents contents) throws SafetensorsFormatException {
        String cellId = contents.metadata().get("unroll.cell");
        if (cellId == null) {
            throw new IllegalArgumentException(contents.file() + " has no unroll.cell entry in its metadata, so its cell is unknown;"
                    + " it is written by the playground and by 'unroll flow --save'");
        }
        CellType cell = CellType.parse(cellId);
        String prefix = null;
        for (String name : contents.names()) {
            if (name.endsWith("weight_ih_l0")) {
                prefix = name.substring(0, name.length() - "weight_ih_l0".length());
            }
        }
        if (prefix == null) {
            throw new IllegalArgumentException(contents.file() + " has no tensor named weight_ih_l0 (with or without a prefix"
                    + " such as rnn.): it holds no recurrent stack under PyTorch's names");
        }
        int[] ih = contents.shape(prefix + "weight_ih_l0");
        if (ih.length != 2 || ih[0] % cell.gates() != 0) {
            throw new IllegalArgumentException(contents.file() + ": " + prefix + "weight_ih_l0 has shape " + Arrays.toString(ih)
                    + ", expected [" + cell.gates() + "·H, I] for a " + cell.id());
        }
        int layers = 0;
        while (contents.has(prefix + "weight_ih_l" + layers)) {
            layers++;
        }
        RecurrentConfig config = RecurrentConfig.of(cell, ih[1], ih[0] / cell.gates(), layers)
                .withBiases(contents.has(prefix + "bias_ih_l0"), contents.has(prefix + "bias_hh_l0"));
        ParamStore.Builder pb = ParamStore.builder();
        Recurrent stack = new Recurrent(pb, prefix, config);
        ParamStore params = pb.build();
        List<Param> list = params.params();
        List<String> mismatched = new ArrayList<>();
        for (Param p : list) {
            if (!contents.has(p.name())) {
                mismatched.add(p.name() + " is missing");
            } else if (!Arrays.equals(contents.shape(p.name()), p.shape())) {
                mismatched.add(p.name() + " has shape " + Arrays.toString(contents.shape(p.name())) + ", expected "
                        + Arrays.toString(p.shape()));
            }
        }
        if (!mismatched.isEmpty()) {
            throw new IllegalArgumentException(contents.file() + " does not hold a " + cell.id() + " stack of " + layers + " x "
                    + config.hiddenSize() + " on inputs of " + config.inputSize() + ": " + list(mismatched, "; "));
        }
        for (Param p : list) {
            float[] v = contents.floats(p.name());
            Check.finite(contents.file() + ": " + p.name(), v);
            p.set(p.shape(), v);
        }
        return stack;
    }
}
