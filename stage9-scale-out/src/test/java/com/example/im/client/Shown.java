package com.example.im.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Envelope;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;

/** Assertions on what a recipient was shown: the stage-7 guarantee, each message once, in order, none missing. */
public final class Shown {

    private Shown() {
    }

    /** The chat messages a {@link ChatClient} passed to its listener (it has already dropped resends by seq). */
    public static List<ChatMessage> of(Recorder recorder) {
        return recorder.frames.stream().filter(Envelope::hasChat).map(Envelope::getChat).toList();
    }

    /**
     * {@code shown} is exactly {@code expected} (contents), in that order, each once, with consecutive seqs (no
     * hole): nothing acknowledged was lost, duplicated or reordered.
     */
    public static void assertExactlyOnceInOrder(String who, List<ChatMessage> shown, List<String> expected) {
        assertThat(shown.stream().map(ChatMessage::getContent).toList()).as("what %s was shown", who)
                .containsExactlyElementsOf(expected);
        assertConsecutive(who, shown);
    }

    /** The seqs of {@code shown} follow each other without a hole (a mailbox numbers from where it started). */
    public static void assertConsecutive(String who, List<ChatMessage> shown) {
        long first = shown.isEmpty() ? 0 : shown.get(0).getSeq();
        assertThat(shown.stream().map(ChatMessage::getSeq).toList()).as("the seqs %s was shown", who)
                .containsExactlyElementsOf(LongStream.range(first, first + shown.size()).boxed().toList());
    }

    /**
     * Every copy of a seq that arrived (resends included) is the same message: de-duplication by seq, which is what
     * makes resends harmless, is sound only if a seq never names two messages.
     */
    public static void assertEachSeqNamesOneMessage(String who, List<ChatMessage> received) {
        Map<Long, String> bySeq = new HashMap<>();
        for (ChatMessage m : received) {
            String earlier = bySeq.putIfAbsent(m.getSeq(), m.getMsgId());
            assertThat(earlier == null || earlier.equals(m.getMsgId()))
                    .as("%s: seq %d came as %s and as %s", who, m.getSeq(), earlier, m.getMsgId()).isTrue();
        }
    }
}
