package io.unroll.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * 50 clients sending 1,000 probe requests in all to a server on 127.0.0.1, one in ten of them bad:
 * every good one answered 200, every bad one 400, none 5xx; the heap the server keeps afterwards
 * is what it kept before, give or take 32 MiB, and the heap in use never passes 1 GiB on the way.
 */
class PlaygroundLoadTest {
    static final int CLIENTS = 50;
    static final int REQUESTS = 1000;

    @Test
    void fiftyClientsAThousandProbesNoServerErrorAndABoundedHeap() throws Exception {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        try (Playground server = Playground.start("127.0.0.1", 0)) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            http.send(HttpRequest.newBuilder(server.uri().resolve("/api/probe?length=4&hidden=2")).build(),
                    HttpResponse.BodyHandlers.discarding()); // the server's first answer sets up what every later one uses
            long before = settledHeap(memory);
            AtomicLong peak = new AtomicLong();
            AtomicBoolean loading = new AtomicBoolean(true);
            Thread sampler = new Thread(() -> {
                while (loading.get()) {
                    peak.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            sampler.start();
            Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
            AtomicInteger next = new AtomicInteger();
            ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                done.add(clients.submit(() -> {
                    for (int k = next.getAndIncrement(); k < REQUESTS; k = next.getAndIncrement()) {
                        String query = k % 10 == 9 ? "hidden=" + (300 + k) : "cell=" + (k % 3 == 0 ? "lstm" : "gru")
                                + "&length=" + (20 + k % 21) + "&hidden=8&seed=" + k;
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(server.uri().resolve("/api/probe?" + query)).build(),
                                HttpResponse.BodyHandlers.ofString());
                        statuses.computeIfAbsent(r.statusCode(), s -> new AtomicInteger()).incrementAndGet();
                        int expected = k % 10 == 9 ? 400 : 200;
                        assertEquals(expected, r.statusCode(), query + ": " + r.body());
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            clients.shutdown();
            loading.set(false);
            sampler.join();
            Map<Integer, Integer> counts = new TreeMap<>();
            statuses.forEach((s, n) -> counts.put(s, n.get()));
            assertEquals(Map.of(200, 900, 400, 100), counts, "every request answered, none with a server error");
            long after = settledHeap(memory);
            assertTrue(after - before < 32L << 20, "the server keeps " + (after - before) / 1024 + " KiB more than before the load");
            assertTrue(peak.get() < 1L << 30, "the heap in use peaked at " + peak.get() / (1 << 20) + " MiB");
        }
    }

    /** The heap in use after a few collections, once it stops falling. */
    private static long settledHeap(MemoryMXBean memory) throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int k = 0; k < 5; k++) {
            System.gc();
            Thread.sleep(50);
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
