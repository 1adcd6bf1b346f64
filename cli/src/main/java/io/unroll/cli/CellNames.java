package io.unroll.cli;

import io.unroll.cell.CellType;
import java.util.Arrays;
import java.util.Iterator;
import java.util.stream.Stream;

/**
 * The cell names a {@code --cell} option accepts, from the registry, for picocli's
 * {@code ${COMPLETION-CANDIDATES}} in help texts: every full id ({@code rnn_tanh}, {@code lstm},
 * ...) and every family with a choice of activation ({@code rnn}, which means tanh unless an
 * activation is given, as in PyTorch's {@code nn.RNN}).
 */
final class CellNames implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
        return Arrays.stream(CellType.values())
                .flatMap(t -> t.activation() == null ? Stream.of(t.id()) : Stream.of(t.family(), t.id()))
                .distinct()
                .iterator();
    }
}
