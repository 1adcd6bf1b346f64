/**
 * The {@code unroll} command-line tool: {@link io.unroll.cli.Main} (the command tree, exit codes
 * and the one-line error contract), {@link io.unroll.cli.CommonOptions} (the {@code --json},
 * {@code --seed}, {@code --rng} and {@code --verbose} options every command mixes in), and the
 * terminal output helpers: {@link io.unroll.cli.Json} for {@code --json}, {@link io.unroll.bench.Table}
 * for aligned tables and {@link io.unroll.cli.BarChart} for log-scale bar charts of quantities
 * that span many decades, such as gradient norms through time.
 *
 * <p>Only this package prints or exits; the library in {@code io.unroll} never does.
 */
package io.unroll.cli;
