package com.example.im.client;

import com.example.im.protocol.Envelope;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/** Records everything a {@link ChatClient} reports, for tests to wait on. */
public final class Recorder implements ChatClient.Listener {

    public final List<Envelope> frames = new CopyOnWriteArrayList<>();
    public final List<String> events = new CopyOnWriteArrayList<>();
    public final AtomicBoolean closed = new AtomicBoolean();

    @Override
    public void onFrame(Envelope frame) {
        frames.add(frame);
    }

    @Override
    public void onConnectionEvent(String what) {
        events.add(what);
    }

    @Override
    public void onClose() {
        closed.set(true);
    }

    public long count(Envelope.BodyCase kind) {
        return frames.stream().filter(f -> f.getBodyCase() == kind).count();
    }

    /** True once a chat message with {@code content} arrived. */
    public boolean received(String content) {
        return frames.stream().anyMatch(f -> f.hasChat() && f.getChat().getContent().equals(content));
    }
}
