package io.unroll.cli;

import io.unroll.web.Playground;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code unroll playground}: the RNN unrolled through time, live in a browser (docs/playground.md).
 * Serves the page and its API until Ctrl-C, which ends every training session and stops the
 * server before the JVM exits.
 */
@Command(name = "playground", mixinStandardHelpOptions = true, description = {
    "A local web page with the RNN unrolled through time: pick a cell, a length, a hidden",
    "size, an init and a scale, and see the gradient reaching every step, the decay curve",
    "against its bound, the spectrum of W_hh and the verdict; train the network on a",
    "long-range task and watch them change. Serves until Ctrl-C. The page and its API:",
    "docs/playground.md."})
public final class PlaygroundCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;
    @Spec
    CommandSpec spec;
    @Option(names = "--port", defaultValue = "8080", description = "The port to listen on; 0 for any free one (default: ${DEFAULT-VALUE}).")
    int port;
    @Option(names = "--host", defaultValue = "127.0.0.1",
            description = "The address to listen on (default: ${DEFAULT-VALUE}, this machine only). Another address lets other"
                    + " machines in: the playground has no login.")
    String host;

    @Override
    public Integer call() throws InterruptedException {
        if (port < 0 || port > 65_535) {
            throw new ParameterException(spec.commandLine(), "--port is " + port + ", expected 0 to 65535");
        }
        InetAddress address;
        try {
            address = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new ParameterException(spec.commandLine(), "--host is '" + host + "', which does not resolve to an address");
        }
        PrintWriter err = spec.commandLine().getErr();
        if (!address.isLoopbackAddress()) {
            err.println("unroll: warning: listening on " + host + ", so other machines can reach the playground; it has no"
                    + " login, and anyone who can reach it can start training runs on this machine");
            err.flush();
        }
        Playground playground = Playground.start(host, port);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            playground.close();
            err.println("unroll: playground stopped");
            err.flush();
            stopped.countDown();
            StderrFilter.drain();
        }, "unroll-playground-stop"));
        PrintWriter out = spec.commandLine().getOut();
        out.println("Unroll playground: " + playground.uri());
        out.println("Open it in a browser; Ctrl-C stops the server.");
        out.flush();
        stopped.await();
        return 0;
    }
}
