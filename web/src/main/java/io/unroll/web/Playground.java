package io.unroll.web;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.javalin.http.staticfiles.Location;
import io.javalin.json.JavalinJackson;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Semaphore;

/**
 * The playground: a local web server with the page of the RNN unrolled through time and the JSON
 * API behind it (docs/playground.md). Everything the page loads comes from this server, its
 * chart library included, so it works on a machine without internet.
 *
 * <p>Requests are bounded: a body of at most {@link #MAX_BODY} bytes, probe sizes capped by
 * {@link ProbeRequest}, at most as many probes computed at once as the machine has cores (the
 * others wait their turn), at most {@link FirstPictures#CAPACITY} first pictures kept for the
 * whole pictures that follow them, and at most {@link TrainingSessions#MAX_SESSIONS} live training
 * sessions. A bad request is a 400 whose JSON names the field; nothing a request sends ends in a 5xx.
 */
public final class Playground implements AutoCloseable {
    /** The largest request body taken: the API's bodies are a few fields. */
    static final long MAX_BODY = 16 * 1024;
    private static final String UPLOT = "META-INF/resources/webjars/uplot/";
    /** Set on a request whose error has been answered, so the 404 page does not answer it again. */
    private static final String ANSWERED = "unroll.answered";

    private final Javalin app;
    private final TrainingSessions sessions;
    private final URI uri;

    private Playground(Javalin app, TrainingSessions sessions, String host) {
        this.app = app;
        this.sessions = sessions;
        this.uri = URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + app.port() + "/");
    }

    /**
     * Starts a server on {@code host}:{@code port} (0 for any free port) and returns once it
     * listens.
     *
     * @throws IllegalStateException if the port cannot be bound (in use, or not allowed), saying which
     */
    public static Playground start(String host, int port) {
        return start(host, port, TrainingSessions.IDLE_MILLIS);
    }

    /** {@link #start(String, int)} with sessions that end after {@code idleMillis} unwatched. */
    static Playground start(String host, int port, long idleMillis) {
        // probes with the Jacobians and probes without them wait in separate lines, so a page's quick
        // first picture never waits behind the long computations of other changes
        Semaphore probes = new Semaphore(Runtime.getRuntime().availableProcessors(), true);
        Semaphore quickProbes = new Semaphore(Runtime.getRuntime().availableProcessors(), true);
        // a page's whole picture adds the Jacobians to the first picture it asked for just before
        FirstPictures firstPictures = new FirstPictures();
        TrainingSessions sessions = new TrainingSessions(idleMillis);
        String uplot = UPLOT + uplotVersion() + "/";
        Javalin app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.http.maxRequestSize = MAX_BODY;
            config.jsonMapper(new JavalinJackson(ApiJson.MAPPER, false));
            config.staticFiles.add(files -> {
                files.hostedPath = "/";
                files.directory = "/playground";
                files.location = Location.CLASSPATH;
            });
            config.routes.get("/vendor/uPlot.js", ctx -> resource(ctx, uplot + "dist/uPlot.iife.min.js", "text/javascript"));
            config.routes.get("/vendor/uPlot.css", ctx -> resource(ctx, uplot + "dist/uPlot.min.css", "text/css"));
            config.routes.get("/vendor/uPlot.LICENSE", ctx -> resource(ctx, uplot + "LICENSE", "text/plain"));
            config.routes.get("/api/probe", ctx -> {
                ProbeRequest request = ProbeRequest.parse(ctx.queryParamMap());
                Semaphore line = request.jacobians() ? probes : quickProbes;
                line.acquire();
                try {
                    ctx.json(request.answer(firstPictures));
                } finally {
                    line.release();
                }
            });
            config.routes.get("/api/tasks", ctx -> ctx.json(TrainRequest.tasks()));
            sessions.routes(config.routes);
            config.routes.exception(BadRequest.class, (e, ctx) -> error(ctx, HttpStatus.BAD_REQUEST, e.field(), e.getMessage()));
            config.routes.exception(TrainingSessions.NoSession.class,
                    (e, ctx) -> error(ctx, HttpStatus.NOT_FOUND, "id", e.getMessage()));
            config.routes.exception(TrainingSessions.TooMany.class,
                    (e, ctx) -> error(ctx, HttpStatus.TOO_MANY_REQUESTS, null, e.getMessage()));
            config.routes.exception(Exception.class, (e, ctx) -> error(ctx, HttpStatus.INTERNAL_SERVER_ERROR, null,
                    "the server failed: " + e));
            config.routes.error(404, ctx -> {
                if (ctx.path().startsWith("/api/") && ctx.attribute(ANSWERED) == null) {
                    error(ctx, HttpStatus.NOT_FOUND, null, ctx.method() + " " + ctx.path() + " is not part of the API (docs/playground.md)");
                }
            });
            // Jetty refuses an oversized body with 413; the API answers every bad request with a 400
            config.routes.error(413, ctx -> error(ctx, HttpStatus.BAD_REQUEST, "body",
                    "the request body is larger than " + MAX_BODY + " bytes; a training request is a few fields"));
        });
        try {
            app.start(host, port);
        } catch (RuntimeException e) {
            sessions.close();
            throw new IllegalStateException("cannot listen on " + host + ":" + port + " (" + rootMessage(e)
                    + "): is another server on that port? Try another --port", e);
        }
        return new Playground(app, sessions, host);
    }

    /** The page's address, {@code http://127.0.0.1:8080/}. */
    public URI uri() {
        return uri;
    }

    /** Ends every training session and stops the server. */
    @Override
    public void close() {
        sessions.close();
        app.stop();
    }

    private static void error(Context ctx, HttpStatus status, String field, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", message);
        if (field != null) {
            body.put("field", field);
        }
        ctx.attribute(ANSWERED, Boolean.TRUE);
        ctx.status(status).json(body);
    }

    private static void resource(Context ctx, String path, String type) throws IOException {
        InputStream in = Playground.class.getClassLoader().getResourceAsStream(path);
        if (in == null) {
            throw new IllegalStateException(path + " is not on the class path; the build is incomplete");
        }
        ctx.contentType(type).result(in);
    }

    private static String uplotVersion() {
        try (InputStream in = Playground.class.getClassLoader()
                .getResourceAsStream("META-INF/maven/org.webjars.npm/uplot/pom.properties")) {
            if (in == null) {
                throw new IllegalStateException("the uPlot webjar is not on the class path; the build is incomplete");
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
