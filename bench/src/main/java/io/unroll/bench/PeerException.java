package io.unroll.bench;

/**
 * A peer (the PyTorch script, or the one-thread child JVM) could not be started, died, or answered
 * something that is not the protocol. The message is one line, says which peer and why, and, when
 * something is missing, what to install.
 */
public class PeerException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public PeerException(String message) {
        super(message);
    }

    public PeerException(String message, Throwable cause) {
        super(message, cause);
    }
}
