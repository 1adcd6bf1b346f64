package io.unroll.web;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.javalin.http.sse.SseClient;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The playground's live training sessions: at most {@link #MAX_SESSIONS} at once (a request for
 * one more gets a 429), each ended when it has had no event stream open and no request for
 * {@link #IDLE_MILLIS}: its page closed, or its curl user went away. One scheduler
 * thread pushes every session's newest snapshot to its event streams, up to
 * {@code 1 / PUSH_EVERY_MILLIS} times a second, and reaps the sessions nobody watches.
 */
final class TrainingSessions implements AutoCloseable {
    static final int MAX_SESSIONS = 2;
    static final long PUSH_EVERY_MILLIS = 50;
    static final long IDLE_MILLIS = 30_000;

    /** More sessions were asked for than may run at once. */
    static final class TooMany extends RuntimeException {
        TooMany(String message) {
            super(message);
        }
    }

    private record Entry(LiveSession session, List<Watcher> watchers, AtomicLong lastSeen) {}

    /** An open event stream and the snapshot version it has last been sent. */
    private static final class Watcher {
        final SseClient client;
        long sent = -1;

        Watcher(SseClient client) {
            this.client = client;
        }
    }

    private final Map<String, Entry> live = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final long idleMillis;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "playground-sessions");
        t.setDaemon(true);
        return t;
    });

    TrainingSessions() {
        this(IDLE_MILLIS);
    }

    /** @param idleMillis how long a session may go unwatched before it ends */
    TrainingSessions(long idleMillis) {
        this.idleMillis = idleMillis;
        scheduler.scheduleWithFixedDelay(this::pushAndReap, PUSH_EVERY_MILLIS, PUSH_EVERY_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** The session routes, under {@code /api/train}. */
    void routes(RoutesConfig routes) {
        routes.post("/api/train", this::create);
        routes.get("/api/train/{id}", ctx -> ctx.json(seen(ctx).session().latest()));
        routes.post("/api/train/{id}/pause", ctx -> {
            Entry e = seen(ctx);
            e.session().pause();
            ctx.json(e.session().latest());
        });
        routes.post("/api/train/{id}/resume", ctx -> {
            Entry e = seen(ctx);
            e.session().resume();
            ctx.json(e.session().latest());
        });
        routes.post("/api/train/{id}/stop", ctx -> {
            Entry e = seen(ctx);
            end(ctx.pathParam("id"));
            ctx.json(e.session().latest());
        });
        routes.get("/api/train/{id}/weights", ctx -> {
            Entry e = seen(ctx);
            ctx.contentType("application/octet-stream")
                    .header("Content-Disposition", "attachment; filename=\"playground-" + e.session().id() + ".safetensors\"")
                    .result(e.session().weights());
        });
        routes.sse("/api/train/{id}/events", client -> {
            Entry e = live.get(client.ctx().pathParam("id"));
            if (e == null) {
                client.sendEvent("error", "no training session " + client.ctx().pathParam("id") + " (it ended, or never began)");
                client.close();
                return;
            }
            Watcher w = new Watcher(client);
            e.watchers().add(w);
            e.lastSeen().set(System.currentTimeMillis());
            client.onClose(() -> {
                e.watchers().remove(w);
                e.lastSeen().set(System.currentTimeMillis());
            });
            client.keepAlive();
        });
    }

    private void create(Context ctx) {
        TrainRequest request = TrainRequest.parse(ctx.body());
        LiveSession session;
        synchronized (live) {
            if (live.size() >= MAX_SESSIONS) {
                throw new TooMany("already " + live.size() + " live training sessions, the most this server runs at once;"
                        + " stop one (POST /api/train/{id}/stop) or close its page");
            }
            String id = Long.toString(ids.incrementAndGet());
            session = new LiveSession(id, request);
            live.put(id, new Entry(session, new CopyOnWriteArrayList<>(), new AtomicLong(System.currentTimeMillis())));
        }
        session.start();
        ctx.status(HttpStatus.CREATED).json(session.latest());
    }

    /** The session a request names, marked as seen now. */
    private Entry seen(Context ctx) {
        String id = ctx.pathParam("id");
        Entry e = live.get(id);
        if (e == null) {
            throw new NoSession(id);
        }
        e.lastSeen().set(System.currentTimeMillis());
        return e;
    }

    /** A request for a session that is not live: a 404 naming it. */
    static final class NoSession extends RuntimeException {
        NoSession(String id) {
            super("no training session " + id + ": it ended (stopped, its page closed, or idle) or never began");
        }
    }

    /**
     * Sends every watcher the newest snapshot it has not had, and ends the sessions nobody watched
     * for {@code idleMillis}. A stream that fails to take an event is dropped, never the loop: an
     * exception here would end the scheduler's task for good.
     */
    private void pushAndReap() {
        long now = System.currentTimeMillis();
        for (Map.Entry<String, Entry> me : live.entrySet()) {
            Entry e = me.getValue();
            long version = e.session().version();
            for (Watcher w : e.watchers()) {
                try {
                    if (w.client.terminated()) {
                        e.watchers().remove(w);
                    } else if (w.sent != version) {
                        w.sent = version;
                        w.client.sendEvent("update", e.session().latest());
                    }
                } catch (RuntimeException gone) {
                    e.watchers().remove(w);
                }
            }
            if (e.watchers().isEmpty() && now - e.lastSeen().get() > idleMillis) {
                end(me.getKey());
            }
        }
    }

    private void end(String id) {
        Entry e = live.remove(id);
        if (e != null) {
            e.session().stop();
            for (Watcher w : e.watchers()) {
                try {
                    w.client.sendEvent("update", e.session().latest());
                    w.client.close();
                } catch (RuntimeException gone) {
                    // the page went away first; the session is ended all the same
                }
            }
        }
    }

    /** Stops every session and waits for their threads. */
    @Override
    public void close() {
        scheduler.shutdownNow();
        for (String id : List.copyOf(live.keySet())) {
            Entry e = live.remove(id);
            try {
                e.session().close();
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
