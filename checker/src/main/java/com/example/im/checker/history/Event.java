package com.example.im.checker.history;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * One line of a run's history ({@code history.jsonl}): what a client did or saw, or what the fault injector did.
 * Flat on purpose, so a learner can read the file with {@code grep} and {@code jq}; fields a type does not use are
 * left out of the JSON.
 *
 * <table>
 *   <tr><th>type</th><th>fields</th><th>meaning</th></tr>
 *   <tr><td>run</td><td>text</td><td>first line: stage, seed, settings</td></tr>
 *   <tr><td>send</td><td>client, seq, to</td><td>client sent message number seq (its body is "client:seq") to the
 *       uids in to (one: private chat; several: a group message)</td></tr>
 *   <tr><td>ack</td><td>client, seq, msgId, sent, offline</td><td>the server's SendAck for that message</td></tr>
 *   <tr><td>error</td><td>client, seq, code, text</td><td>an ErrorReply; seq is set when it answered a send</td></tr>
 *   <tr><td>noreply</td><td>client, seq, text</td><td>no answer to the send: the reply timed out or the connection
 *       dropped first (text says which); the client then dropped the connection</td></tr>
 *   <tr><td>deliver</td><td>client, from, seq, msgId, box</td><td>client received message number seq of sender from
 *       (and showed it: a reliable client records only what it shows); box: its seq in the client's mailbox (stage 7)
 *       </td></tr>
 *   <tr><td>resend</td><td>client, seq, text</td><td>a reliable client sent message seq again, with the same
 *       client_msg_id (after a reconnect, or no acknowledgement in time); informational</td></tr>
 *   <tr><td>dropped</td><td>client, from, seq, msgId, box, text</td><td>a reliable client got a message and did not
 *       show it: its mailbox seq was already shown (a redelivery), or it skipped ahead; informational</td></tr>
 *   <tr><td>gap</td><td>client, text</td><td>the server said a range of the client's mailbox was trimmed before the
 *       client got it; the messages in it count as never delivered</td></tr>
 *   <tr><td>login</td><td>client, node</td><td>client logged in on node (its address)</td></tr>
 *   <tr><td>disconnect</td><td>client, node, text</td><td>client's connection ended (text: why)</td></tr>
 *   <tr><td>fault</td><td>fault, node, phase, text</td><td>a fault began (phase "start") or ended ("end") on a
 *       target (a node id, "redis" or "zk")</td></tr>
 * </table>
 *
 * @param t milliseconds since the run started (one clock for every event: the checker's own JVM)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Event(long t, String type, String client, Long seq, String from, List<String> to, String msgId,
                    List<String> sent, List<String> offline, String code, String node, String fault, String phase,
                    String text, Long box) {


    public static Event run(long t, String text) {
        return new Event(t, "run", null, null, null, null, null, null, null, null, null, null, null, text, null);
    }

    public static Event send(long t, String client, long seq, List<String> to) {
        return new Event(t, "send", client, seq, null, to, null, null, null, null, null, null, null, null, null);
    }

    public static Event ack(long t, String client, long seq, String msgId, List<String> sent, List<String> offline) {
        return new Event(t, "ack", client, seq, null, null, msgId, sent, offline, null, null, null, null, null, null);
    }

    /** An error reply; {@code seq} is null when it answered no send (KICKED, a refused login ...). */
    public static Event error(long t, String client, Long seq, String code, String text) {
        return new Event(t, "error", client, seq, null, null, null, null, null, code, null, null, null, text, null);
    }

    public static Event noReply(long t, String client, long seq, String why) {
        return new Event(t, "noreply", client, seq, null, null, null, null, null, null, null, null, null, why, null);
    }

    public static Event deliver(long t, String client, String from, long seq, String msgId) {
        return new Event(t, "deliver", client, seq, from, null, msgId, null, null, null, null, null, null, null, null);
    }

    /** A delivery a reliable client showed; {@code box} is its seq in the recipient's mailbox. */
    public static Event deliver(long t, String client, String from, long seq, String msgId, long box) {
        return new Event(t, "deliver", client, seq, from, null, msgId, null, null, null, null, null, null, null, box);
    }

    public static Event resend(long t, String client, long seq, String why) {
        return new Event(t, "resend", client, seq, null, null, null, null, null, null, null, null, null, why, null);
    }

    public static Event dropped(long t, String client, String from, long seq, String msgId, long box, String why) {
        return new Event(t, "dropped", client, seq, from, null, msgId, null, null, null, null, null, null, why, box);
    }

    public static Event gap(long t, String client, long fromSeq, long toSeq) {
        return new Event(t, "gap", client, null, null, null, null, null, null, null, null, null, null,
                "mailbox seqs " + fromSeq + ".." + toSeq + " trimmed before the client got them", null);
    }

    public static Event login(long t, String client, String node) {
        return new Event(t, "login", client, null, null, null, null, null, null, null, node, null, null, null, null);
    }

    public static Event disconnect(long t, String client, String node, String why) {
        return new Event(t, "disconnect", client, null, null, null, null, null, null, null, node, null, null, why,
                null);
    }

    public static Event fault(long t, String fault, String target, String phase, String text) {
        return new Event(t, "fault", null, null, null, null, null, null, null, null, target, fault, phase, text, null);
    }
}
